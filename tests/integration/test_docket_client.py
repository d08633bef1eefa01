"""The CourtListener client and the lookup worker against the fake CourtListener on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.docket.client import NO_TOKEN, ClientSettings, CourtListenerClient, RateLimiter
from bot.docket.lookup import DocketLookup, LinkedDocket, LookupResult, check_linked, look_up
from bot.models import Action, ArticleText, Case, Stage
from tests.fakecourtlistener import FakeCourtListener

TOKEN = "fake-token-123"


class FakeTime:
    """A monotonic clock that sleeping advances: rate-limit waits take no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def cl() -> AsyncIterator[FakeCourtListener]:
    async with FakeCourtListener(token=TOKEN) as server:
        yield server


def client_for(server: FakeCourtListener, t: FakeTime | None = None, **kw: object) -> CourtListenerClient:
    settings = replace(ClientSettings(token=TOKEN, base_url=server.base_url, timeout_s=5.0), **kw)  # type: ignore[arg-type]
    t = t or FakeTime()
    return CourtListenerClient(settings, clock=t.clock, sleep=t.sleep, wall_clock=t.clock)


def chirper_case(**kw: object) -> Case:
    base: dict[str, object] = dict(id="case-chirper", title="Chirper sues the attorney general", status=Stage.FILED,
                                   action=Action.LAWSUIT, platforms=("Twitter",), counterparties=("DOJ",))
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def reports() -> list[ArticleText]:
    return [
        ArticleText("Twitter v. Holder: the company challenges gag rules",
                    "Twitter filed suit in the N.D. Cal. over what it may say about surveillance requests.",
                    None, datetime(2014, 10, 8, tzinfo=UTC)),
        ArticleText("Judge lets Twitter v. Holder go on", "The Northern District of California judge ruled.", None,
                    datetime(2015, 5, 1, tzinfo=UTC)),
    ]


def add_true_docket(server: FakeCourtListener) -> None:
    server.add_docket(id=101, case_name="Twitter, Inc. v. Holder", docket_number="4:14-cv-04480",
                      court_id="cand", date_filed="2014-10-07", date_last_filing="2020-04-17")


def add_decoys(server: FakeCourtListener) -> None:
    server.add_docket(id=201, case_name="Twitter, Inc. v. Holder", docket_number="1:14-cv-09999",
                      court_id="dcd", date_filed="2014-10-01")  # same parties, another court
    server.add_docket(id=202, case_name="Twitter, Inc. v. Holder", docket_number="3:19-cv-00123",
                      court_id="cand", date_filed="2019-03-01")  # same court, after the first report
    server.add_docket(id=203, case_name="Twitterfeed LLC v. Acme", docket_number="4:14-cv-04481",
                      court_id="cand", date_filed="2014-09-30")  # a similar name


async def test_match_through_the_real_client(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    add_decoys(cl)
    async with client_for(cl) as client:
        got = await look_up(client, chirper_case(), reports())
    assert got.status == "match", got.reasons
    assert got.docket is not None and got.docket.docket_id == 101
    assert got.url == f"{cl.base_url}/docket/101/twitter-inc-v-holder/"
    assert any("parties agree" in r for r in got.reasons)
    seen = cl.requests[0]
    assert seen.authorization == f"Token {TOKEN}"
    assert seen.query["type"] == "d" and seen.query["court"] == "cand" and seen.query["case_name"] == "Twitter v. Holder"
    assert seen.query["filed_before"] == "2015-06-15"  # the last report + 45 days: appeals come later


async def test_ambiguous(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    cl.add_docket(id=102, case_name="Twitter Inc. v. Eric Holder", docket_number="4:14-cv-05001",
                  court_id="cand", date_filed="2014-10-02")
    async with client_for(cl) as client:
        got = await look_up(client, chirper_case(), reports())
    assert got.status == "ambiguous" and got.docket is None
    assert "2 dockets agree" in " ".join(got.reasons)


async def test_no_match(cl: FakeCourtListener) -> None:
    add_decoys(cl)
    async with client_for(cl) as client:
        got = await look_up(client, chirper_case(), reports())
        # the search's own filters (court, name, window) leave nothing
        assert got.status == "no_match" and got.docket is None
        assert got.reasons[-1] == "the search found no docket"
        # results the search returns but the parties do not fit (a new client: the first answer is cached)
        cl.add_docket(id=204, case_name="Holder Twitter Fans Club v. Acme", docket_number="4:14-cv-04700",
                      court_id="cand", date_filed="2014-08-01")
        assert (await look_up(client, chirper_case(), reports())).requests == 0
    async with client_for(cl) as client:
        got = await look_up(client, chirper_case(), reports())
    assert got.status == "no_match" and got.docket is None
    assert "not a caption with Twitter as a party" in " ".join(got.reasons)


async def test_number_first_then_name(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    later = datetime(2015, 1, 1, tzinfo=UTC)
    appeal = [*reports(), ArticleText("Twitter appeal, No. 14-99999, in the N.D. Cal.", "", None, later)]
    async with client_for(cl) as client:
        got = await look_up(client, chirper_case(), appeal)
        # nothing by number, then the name finds the trial docket (an appeal's number does not contradict it)
        assert [r.query.get("docket_number") for r in cl.requests] == ["14-99999", None]
        assert got.status == "match" and got.requests == 2
        other = [*reports(), ArticleText("Twitter filing 14-cv-9999 in the N.D. Cal.", "", None, later)]
        got = await look_up(client, chirper_case(), other)
    assert got.status == "no_match"  # a district number that differs rules the docket out
    assert "not the reported docket number" in " ".join(got.reasons)


async def test_429_then_success_honours_retry_after(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    cl.answer_429(times=1, retry_after="7")
    t = FakeTime()
    async with client_for(cl, t) as client:
        res = await client.search({"case_name": "Twitter v. Holder", "court": "cand"})
    assert res.ok and [c.docket_id for c in res.candidates] == [101]
    assert res.attempts == 2 and cl.hits("/api/rest/v4/search/") == 2
    assert t.slept == [pytest.approx(7.0)]


async def test_429_without_retry_after_backs_off_exponentially(cl: FakeCourtListener) -> None:
    cl.answer_429(times=2, retry_after=None)
    t = FakeTime()
    async with client_for(cl, t, backoff_s=3.0, per_minute=100, per_hour=1000) as client:
        res = await client.search({"case_name": "Nobody"})
    assert res.ok and res.count == 0
    assert t.slept == [pytest.approx(3.0), pytest.approx(6.0)]


async def test_429_every_time_is_a_one_line_error(cl: FakeCourtListener) -> None:
    cl.answer_429(times=10, retry_after="1")
    t = FakeTime()
    async with client_for(cl, t, max_attempts=3) as client:
        res = await client.search({"case_name": "Nobody"})
    assert not res.ok and res.status == "rate_limited"
    assert res.error is not None and "\n" not in res.error and "429" in res.error and "3 attempts" in res.error
    assert TOKEN not in res.error


async def test_rate_limit_is_respected(cl: FakeCourtListener) -> None:
    t = FakeTime()
    sent_at: list[float] = []
    async with client_for(cl, t, per_minute=2, per_hour=3) as client:
        for i in range(4):
            res = await client.search({"case_name": f"Party{i} v. Other"})  # distinct: no cache hits
            assert res.ok
            sent_at.append(t.now)
    start = 1000.0
    assert sent_at[0] == sent_at[1] == start  # two a minute go at once
    assert sent_at[2] == pytest.approx(start + 60)  # the third waits for the minute window
    assert sent_at[3] == pytest.approx(start + 3600)  # the fourth for the hour window
    assert cl.hits("/api/rest/v4/search/") == 4


async def test_limiter_gives_up_past_max_wait() -> None:
    t = FakeTime()
    limiter = RateLimiter(((1, 60.0),), clock=t.clock, sleep=t.sleep)
    assert await limiter.acquire() == 0.0
    assert await limiter.acquire(max_wait=10) is None  # would need 60 s
    assert t.slept == []


async def test_no_token_means_off_and_says_so(cl: FakeCourtListener) -> None:
    settings = ClientSettings.from_env({"COURTLISTENER_BASE_URL": cl.base_url})
    async with CourtListenerClient(settings) as client:
        assert not client.enabled and client.disabled_reason == NO_TOKEN
        assert "COURTLISTENER_TOKEN" in NO_TOKEN
        res = await client.search({"case_name": "Twitter"})
        got = await look_up(client, chirper_case(), reports())
    assert res.status == "disabled" and not res.ok
    assert got.status == "disabled" and got.error == NO_TOKEN
    assert cl.requests == []


async def test_wrong_token_is_refused_without_retries(cl: FakeCourtListener) -> None:
    settings = ClientSettings(token="not-the-token", base_url=cl.base_url)
    async with CourtListenerClient(settings) as client:
        res = await client.search({"case_name": "Twitter"})
    assert res.status == "unauthorized" and res.error == "CourtListener refused the token (HTTP 401)"
    assert cl.hits("/api/rest/v4/") == 1


async def test_fake_server_refuses_missing_token(cl: FakeCourtListener) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as s, s.get(cl.base_url + "/api/rest/v4/search/?type=d") as resp:
        assert resp.status == 401
        assert (await resp.json())["detail"] == "Authentication credentials were not provided."


async def test_timeout_is_a_one_line_error(cl: FakeCourtListener) -> None:
    cl.delay_s = 1.0
    async with client_for(cl, timeout_s=0.2, max_attempts=2) as client:
        res = await client.search({"case_name": "Twitter"})
    assert not res.ok and res.status == "timeout"
    assert res.error == "CourtListener did not answer within 0.2 s (after 2 attempts)"


async def test_unreachable_is_a_one_line_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = ClientSettings(token=TOKEN, base_url=f"http://127.0.0.1:{port}", max_attempts=1)
    t = FakeTime()
    async with CourtListenerClient(settings, clock=t.clock, sleep=t.sleep) as client:
        res = await client.search({"case_name": "Twitter"})
    assert res.status == "error" and res.error is not None
    assert res.error.startswith("CourtListener unreachable:") and "\n" not in res.error


async def test_cache_hit_avoids_a_request(cl: FakeCourtListener, tmp_path: Path) -> None:
    add_true_docket(cl)
    cache_file = tmp_path / "cl-cache.json"
    t = FakeTime()
    params = {"case_name": "Twitter v. Holder", "court": "cand"}
    async with client_for(cl, t, cache_file=cache_file) as client:
        first = await client.search(params)
        second = await client.search(params)
    assert first.ok and not first.from_cache and second.ok and second.from_cache
    assert second.candidates == first.candidates
    assert cl.hits("/api/rest/v4/search/") == 1
    # a restart reads the file cache: still no request
    async with client_for(cl, t, cache_file=cache_file) as again:
        third = await again.search(params)
    assert third.from_cache and cl.hits("/api/rest/v4/search/") == 1
    # past the TTL the cache is not used
    t.now += 7 * 3600
    async with client_for(cl, t, cache_file=cache_file) as later:
        fourth = await later.search(params)
    assert not fourth.from_cache and cl.hits("/api/rest/v4/search/") == 2


async def test_pagination_follows_next(cl: FakeCourtListener) -> None:
    cl.page_size = 2
    for i in range(3):
        cl.add_docket(id=300 + i, case_name=f"Chirper v. Party{i}", docket_number=f"1:20-cv-0000{i}",
                      court_id="dcd", date_filed="2020-01-0" + str(i + 1))
    async with client_for(cl, per_minute=100) as client:
        one = await client.search({"case_name": "Chirper"})
        both = await client.search({"case_name": "Chirper"}, max_pages=2)
    assert one.count == 3 and len(one.candidates) == 2
    assert [c.docket_id for c in both.candidates] == [300, 301, 302]
    assert "cursor" in cl.requests[-1].query


async def test_docket_endpoint_and_404(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    async with client_for(cl, per_minute=100) as client:
        ok = await client.docket(101)
        missing = await client.docket(999)
    assert ok.ok and ok.docket is not None and ok.docket.date_last_filing == date(2020, 4, 17)
    assert ok.docket.case_name == "Twitter, Inc. v. Holder" and ok.docket.court_id == "cand"
    assert missing.status == "not_found" and missing.error == "CourtListener: not found (HTTP 404)"


async def test_new_filing_on_a_linked_docket(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    links = [LinkedDocket("case-chirper", 101, date(2020, 1, 1)), LinkedDocket("case-gone", 999, None)]
    async with client_for(cl, per_minute=100) as client:
        devs, errors = await check_linked(client, links)
        assert len(devs) == 1 and devs[0].date_last_filing == date(2020, 4, 17)
        assert devs[0].text == "New filing on the docket (cand 4:14-cv-04480): last entry 2020-04-17"
        assert devs[0].url.endswith("/docket/101/twitter-inc-v-holder/")
        assert errors == ["docket 999 (case case-gone): CourtListener: not found (HTTP 404)"]
        # the docket moves on: fresh fetches bypass the cache
        cl.dockets[101]["date_last_filing"] = "2020-06-01"
        devs2, _ = await check_linked(client, [LinkedDocket("case-chirper", 101, date(2020, 4, 17))])
    assert [d.date_last_filing for d in devs2] == [date(2020, 6, 1)]


async def test_worker_dedupes_and_never_blocks_the_caller(cl: FakeCourtListener) -> None:
    add_true_docket(cl)
    cases = {"case-chirper": (chirper_case(), reports())}
    loaded: list[str] = []
    results: list[LookupResult] = []
    gate = asyncio.Event()

    async def source(case_id: str) -> tuple[Case, Sequence[ArticleText]] | None:
        loaded.append(case_id)
        await gate.wait()  # the worker is busy: submit() must still return at once
        if case_id == "case-broken":
            raise RuntimeError("database is locked\nsecond line")
        return cases.get(case_id)

    async def sink(result: LookupResult) -> None:
        results.append(result)

    async with client_for(cl) as client:
        worker = DocketLookup(client, source, sink)
        worker.start()
        assert worker.submit("case-chirper") is True
        assert worker.submit("case-chirper") is False  # already queued
        assert worker.submit("case-broken") is True
        assert worker.submit("case-missing") is True
        await asyncio.sleep(0)
        assert worker.pending == {"case-chirper", "case-broken", "case-missing"}
        gate.set()
        await asyncio.wait_for(worker.join(), 10)
        await worker.stop()
    assert loaded == ["case-chirper", "case-broken", "case-missing"]
    by_id = {r.case_id: r for r in results}
    assert by_id["case-chirper"].status == "match"
    assert by_id["case-broken"].status == "error"
    assert by_id["case-broken"].error == "lookup failed: database is locked second line"
    assert by_id["case-missing"].status == "error" and by_id["case-missing"].error == "case case-missing not found"
    assert worker.pending == frozenset()
    assert worker.submit("case-chirper") is True  # done cases may be queued again


async def test_worker_is_off_without_a_token() -> None:
    async def source(case_id: str) -> None:
        raise AssertionError("never called")

    async def sink(result: LookupResult) -> None:
        raise AssertionError("never called")

    client = CourtListenerClient(ClientSettings())
    worker = DocketLookup(client, source, sink)
    assert worker.submit("case-1") is False


def test_settings_from_env() -> None:
    s = ClientSettings.from_env({"COURTLISTENER_TOKEN": " abc ", "COURTLISTENER_PER_MINUTE": "3",
                                 "COURTLISTENER_BASE_URL": "http://127.0.0.1:9/"})
    assert s.token == "abc" and s.per_minute == 3 and s.per_hour == 50 and s.base_url == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="COURTLISTENER_PER_HOUR"):
        ClientSettings.from_env({"COURTLISTENER_PER_HOUR": "lots"})
    with pytest.raises(ValueError, match="COURTLISTENER_BASE_URL"):
        ClientSettings.from_env({"COURTLISTENER_BASE_URL": "ftp://x"})


def test_corpus_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks.docket_match end to end (needs ../shared/corpus); no case may get a wrong docket."""
    import json

    from tests.conftest import shared_path

    shared_path("corpus", "dev2.jsonl")
    from benchmarks import docket_match

    assert docket_match.main([]) == 0
    out = capsys.readouterr().out
    data = json.loads(out.strip().splitlines()[-1])
    assert data["benchmark"] == "docket_match" and data["cases"] >= 38
    assert data["with_query"] + data["no_query"] == data["cases"]
    assert data["found"] + data["wrong"] + data["ambiguous"] + data["no_match"] + data["errors"] == data["with_query"]
    assert data["wrong"] == 0 and data["errors"] == 0 and data["found"] > 0
    assert all(sc["wrong"] == 0 for sc in data["scenarios"].values())
    assert "built from what the reports say" in out
