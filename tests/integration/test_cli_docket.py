"""``casewatch case docket ID [URL | --clear]`` on a real database, with a fake CourtListener on 127.0.0.1:
show, set (described from CourtListener when a token is set), clear, and one-line errors."""

from __future__ import annotations

import pytest

from tests.fakecourtlistener import FakeCourtListener
from tests.integration.test_cli import run


def test_show_set_and_clear_without_a_token(
    db: tuple[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURTLISTENER_TOKEN", raising=False)
    path, case_id = db
    assert run(capsys, "case", "docket", case_id, "--db", path)[:2] == (0, f"case {case_id}: no docket\n")
    url = "https://www.courtlistener.com/docket/123/reddit-v-studios/"
    code, out, _ = run(capsys, "case", "docket", case_id, url, "--db", path)
    assert code == 0 and url in out and "docket lookups are off (no COURTLISTENER_TOKEN)" in out
    code, out, _ = run(capsys, "case", "docket", case_id, "--db", path)
    assert code == 0 and url in out and "set by an admin" in out
    code, out, _ = run(capsys, "case", "docket", case_id, "--clear", "--db", path)
    assert code == 0 and "docket removed" in out
    assert run(capsys, "case", "docket", case_id, "--db", path)[1] == f"case {case_id}: no docket\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["javascript:alert(1)"], "casewatch: cannot use that docket URL: the docket URL must start with https://"),
        (["https://www.courtlistener.com/opinion/9/x/"], "casewatch: cannot use that docket URL: that CourtListener link is not a docket page"),
        (["https://x.org/d", "--clear"], "casewatch: give a URL to set the docket, or --clear to remove it, not both"),
    ],
)
def test_bad_input_is_one_line(db: tuple[str, str], capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    path, case_id = db
    code, out, err = run(capsys, "case", "docket", case_id, *args, "--db", path)
    assert code == 2 and out == "" and err.startswith(message) and err.count("\n") == 1


def test_an_unknown_case_is_one_line(db: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = db
    code, _, err = run(capsys, "case", "docket", "nosuchcase", "--db", path)
    assert code == 2 and err.startswith("casewatch: no case 'nosuchcase'") and err.count("\n") == 1


async def test_a_courtlistener_url_is_described_from_courtlistener(
    db: tuple[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    path, case_id = db
    async with FakeCourtListener(token="tok") as cl:
        cl.add_docket(id=77, case_name="Reddit, Inc. v. Studios", docket_number="1:23-cv-00077",
                      court_id="dcd", date_filed="2023-04-28")
        monkeypatch.setenv("COURTLISTENER_TOKEN", "tok")
        monkeypatch.setenv("COURTLISTENER_BASE_URL", cl.base_url)
        url = f"{cl.base_url}/docket/77/reddit-inc-v-studios/"
        code, out, _ = await asyncio.to_thread(run, capsys, "case", "docket", case_id, url, "--db", path)
        assert cl.hits("/api/rest/v4/dockets/77/") == 1
    assert code == 0 and "D.D.C. 1:23-cv-00077 (Reddit, Inc. v. Studios), filed 2023-04-28" in out


def test_a_bad_courtlistener_setting_is_one_line(db: tuple[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path, case_id = db
    monkeypatch.setenv("COURTLISTENER_PER_MINUTE", "lots")
    code, _, err = run(capsys, "case", "docket", case_id, "--db", path)
    assert code == 2 and err == "casewatch: invalid setting COURTLISTENER_PER_MINUTE: 'lots' is not a whole number\n"
