"""Grouping: one case across outlets, different disputes of one platform apart."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cases.clustering import (
    MATCH_THRESHOLD,
    Profile,
    absorb,
    article_profile,
    evidence_score,
    find_case,
    keywords_of,
    open_case,
    platform_keys,
)
from bot.detect.detector import detect
from bot.models import Action, ArticleText, Case, Detection, Stage


def _t(title: str, summary: str, day: str | None) -> ArticleText:
    when = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None
    return ArticleText(title, summary, f"https://example.org/{abs(hash(title))}", when)


def _ingest(articles: list[ArticleText]) -> list[str]:
    """Run articles through detect -> find_case/open_case/absorb; return the case id of each."""
    cases: dict[str, Case] = {}
    ids: list[str] = []
    for art in articles:
        det = detect(art)
        assert det.relevant, art.title
        at = art.published or datetime(2025, 1, 1, tzinfo=UTC)
        keys = platform_keys(det.platforms)
        cands = sorted((c for c in cases.values() if platform_keys(c.platforms) & keys),
                       key=lambda c: c.updated_at, reverse=True)
        found = find_case(art, det, cands)
        case = absorb(found, art, det, at) if found else open_case(art, det, art.url or art.title, at)
        cases[case.id] = case
        ids.append(case.id)
    return ids


def test_platform_keys_twitter_and_x_are_one() -> None:
    assert platform_keys(["Twitter"]) == platform_keys(["X"]) == platform_keys(["X Corp"]) == {"twitter"}
    assert platform_keys(["Meta", "Facebook"]) == {"facebook"}


def test_same_dispute_across_outlets_and_days_is_one_case() -> None:
    ids = _ingest([
        _t("Twitter sues Homeland Security to protect @ALT_uscis",
           "Twitter sued DHS over a summons from Customs and Border Protection to unmask the account.", "2017-04-06"),
        _t("Feds demand identity of anti-Trump account; Twitter goes to court",
           "A CBP summons sought records on the @ALT_uscis account; Twitter filed suit in San Francisco.", "2017-04-06"),
        _t("Government withdraws summons, Twitter drops lawsuit",
           "Homeland Security withdrew the summons for records of the immigration account critical of Trump.",
           "2017-04-07"),
    ])
    assert len(set(ids)) == 1


def test_two_reddit_subpoenas_from_two_lawsuits_stay_apart() -> None:
    ids = _ingest([
        _t("Reddit fights subpoena in film piracy lawsuit",
           "Movie studios suing an internet provider served Reddit with a subpoena for the identities of users "
           "who commented about piracy; Reddit moved to quash it in federal court.", "2021-07-10"),
        _t("Reddit fights subpoena from Twitter in Musk-era lawsuit",
           "A defamation plaintiff in a Texas business dispute subpoenaed Reddit for the names of moderators of "
           "a finance forum; Reddit asked a judge to block the demand.", "2023-03-02"),
    ])
    assert ids[0] != ids[1]


def test_tiktok_executive_order_2020_and_divestiture_law_2024_stay_apart() -> None:
    ids = _ingest([
        _t("TikTok sues Trump administration over executive order",
           "TikTok filed a lawsuit challenging the executive order that would ban the app in the US.", "2020-08-24"),
        _t("Judge blocks Trump's TikTok executive order",
           "A federal judge granted TikTok an injunction against the executive order ban.", "2020-09-28"),
        _t("TikTok sues to block divestiture law",
           "TikTok and ByteDance sued the US government over the Protecting Americans from Foreign Adversary "
           "Controlled Applications Act, which forces a sale or a ban.", "2024-05-07"),
    ])
    assert ids[0] == ids[1]
    assert ids[2] != ids[0]


def test_open_case_is_stable_and_titled() -> None:
    art = _t("Twitter sues DHS over summons for @ALT_uscis",
             "Twitter sued DHS and CBP over a summons to unmask @ALT_uscis.", "2017-04-06")
    det = detect(art)
    at = datetime(2017, 4, 6, tzinfo=UTC)
    a, b = open_case(art, det, "seed-1", at), open_case(art, det, "seed-1", at)
    assert a == b and a.id.startswith("c") and len(a.id) == 11
    assert a.title.startswith("Twitter v. DHS/CBP") and len(a.title) <= 120
    assert "@alt_uscis" in a.title


def test_absorb_is_deterministic_and_unions_fields() -> None:
    first = _t("Microsoft sues Justice Department over gag orders",
               "Microsoft sued the DOJ over secrecy orders on customer data searches.", "2016-04-14")
    second = _t("Microsoft drops lawsuit over gag orders",
                "Microsoft dropped its suit in the Western District of Washington after DOJ limited gag orders.",
                "2017-10-23")
    c0 = open_case(first, detect(first), "s", datetime(2016, 4, 14, tzinfo=UTC))
    at = datetime(2017, 10, 23, tzinfo=UTC)
    c1, c2 = absorb(c0, second, detect(second), at), absorb(c0, second, detect(second), at)
    assert c1 == c2
    assert c1.article_count == 2 and c1.updated_at == at
    assert c1.court == "Western District of Washington"
    assert len(c1.keywords) <= 80


# --- who is a party, and what two reports must share -------------------------------------------------


def _parties(title: str, summary: str = "") -> tuple[str, ...]:
    return detect(ArticleText(title, summary, "https://example.org/a", None)).counterparties


def test_country_adjective_is_a_party_only_before_an_organ_of_state() -> None:
    assert "Brazil" in _parties("The Brazilian Supreme Court orders X suspended nationwide")
    assert "Turkey" in _parties("Turkish court orders access to Twitter blocked")
    assert "Nigeria" in _parties("Nigeria suspends Twitter indefinitely")
    assert "India" not in _parties("Indian-American judge rules Google broke antitrust law")
    assert "Ireland" not in _parties("Microsoft wins appeal over Irish email data sought by US warrant")
    assert "UK" not in _parties("British comedian sues YouTube over removed videos")


def test_jurisdiction_tag_opening_a_headline_is_not_a_party() -> None:
    assert "Ireland" not in _parties("Ireland: The Microsoft Warrant Case And US Search Warrants")
    assert "Ireland" in _parties("Ireland fines TikTok over children's data in court filing")


def test_official_capacity_defendant_keeps_one_case_name() -> None:
    """Twitter v. Holder became Twitter v. Barr when the Attorney General changed: one case."""
    a = detect(ArticleText("Twitter v. Holder", "Twitter's lawsuit over national security letter reporting.",
                           "https://example.org/h", None))
    b = detect(ArticleText("Twitter, Inc. v. Barr", "The court ruled in Twitter's suit over surveillance "
                           "reporting.", "https://example.org/b", None))
    assert {s for s in a.subjects if " v. " in s} == {s for s in b.subjects if " v. " in s} != set()


def test_country_name_and_adjective_are_one_keyword() -> None:
    text = ArticleText("Microsoft fights warrant for Irish emails",
                       "Prosecutors want emails stored in Ireland.", "https://example.org/i", None)
    det = detect(text)
    kws = keywords_of(text, det)
    assert "^ireland" in kws and "irish" not in kws and "^irish" not in kws


def test_procedure_words_are_not_evidence() -> None:
    text = ArticleText("Judge schedules evidentiary hearing on injunction in Apple case",
                       "The motion for contempt will be heard at trial.", "https://example.org/p", None)
    kws = keywords_of(text, detect(text))
    assert not {"hear", "schedul", "evidentiary", "injunction", "motion", "contempt", "trial"} & set(kws)


def _profile(platforms: tuple[str, ...], parties: tuple[str, ...], words: tuple[str, ...]) -> Profile:
    det = Detection(relevant=True, score=0.9, platforms=platforms, counterparties=parties,
                    action=Action.COURT_ORDER, stage=Stage.RULING)
    day = datetime(2024, 5, 1, tzinfo=UTC)
    return article_profile(ArticleText("t", "s", None, day), det, words)


def test_two_countries_acting_against_one_platform_are_two_disputes() -> None:
    words = ("^musk", "^elon", "suspension", "platform", "video", "remove")
    brazil = _profile(("X",), ("Brazil", "Brazil Supreme Court"), words)
    australia = _profile(("X",), ("Australia", "eSafety Commissioner"), words)
    assert evidence_score(brazil, brazil) > MATCH_THRESHOLD
    assert evidence_score(brazil, australia) < MATCH_THRESHOLD


def test_a_platform_named_in_passing_does_not_join_its_disputes() -> None:
    """An Epic v. Apple report that mentions Google is no evidence about US v. Google."""
    words = ("^epic", "monopoly", "store", "search", "default", "payment")
    epic_apple = _profile(("Apple", "Google"), ("Epic Games",), words)
    us_google = _profile(("Google",), ("Epic Games",), words)
    epic_google = _profile(("Google", "Apple"), ("Epic Games",), words)
    assert evidence_score(epic_apple, us_google) == 0.0
    assert evidence_score(epic_google, us_google) > MATCH_THRESHOLD


def test_a_foreign_authority_stands_for_its_state() -> None:
    """eSafety (Australia) and Brazil's Supreme Court act for different states, named or not."""
    words = ("^musk", "^elon", "suspension", "platform", "video", "remove")
    brazil = _profile(("X",), ("Brazil Supreme Court",), words)
    esafety = _profile(("X",), ("eSafety Commissioner",), words)
    assert brazil.states == {"Brazil"} and esafety.states == {"Australia"}
    assert evidence_score(brazil, esafety) < MATCH_THRESHOLD


def _reference_keywords(text: ArticleText, det: Detection) -> tuple[str, ...]:
    """keywords_of as it was before its per-word results were cached (the frozen reference)."""
    from bot.cases import keywords as kw
    from bot.detect import patterns as pt
    from bot.detect.extract import normalize
    from bot.detect.lexicons import STOPWORDS

    title, summary = normalize(text.title), normalize(text.summary)
    full = f"{title}. {summary}"
    skip = {p.lower() for p in det.platforms} | {"x"}
    names: list[str] = []
    words_t = title.split()
    title_case = len(words_t) > 3 and sum(w[:1].isupper() for w in words_t) / len(words_t) > 0.6
    for m in pt.PROPER_NOUN.finditer(summary if title_case else full):
        for part in m.group(0).lower().replace("-", " ").split():
            if part not in STOPWORDS and part not in skip and len(part) > 2:
                names.append("^" + (kw.country_key(part) or kw._stem(part)))
    words: list[str] = []
    for w in pt.WORD.findall(full.lower()):
        if w in STOPWORDS or w in skip or kw._LEGAL_WORDS.match(w):
            continue
        place = kw.country_key(w)
        if place:
            names.append("^" + place)
        else:
            words.append(kw._stem(w))
    out = list(dict.fromkeys(names))
    name_set = {n[1:] for n in out}
    out += [w for w in dict.fromkeys(words) if w not in name_set]
    return tuple(out[: kw.MAX_KEYWORDS])


_KEYWORD_TEXTS = [
    _t("Irish court backs Microsoft over US warrant for Dublin emails",
       "Ireland's data protection regulator and the Irish government filed briefs; the U.S. Justice Department "
       "appealed the ruling on customers' emails stored in Dublin.", "2016-07-14"),
    _t("Twitter Sues Homeland Security To Protect Identity Of Anti-Trump Account",
       "Twitter filed a lawsuit to block a summons from Customs and Border Protection seeking records of "
       "@ALT_uscis, an anonymous account critical of the administration.", "2017-04-06"),
    _t("Brazil's Supreme Court orders X blocked nationwide",
       "Justice Alexandre de Moraes ordered X Corp blocked after Elon Musk refused to name a legal "
       "representative; Starlink accounts were frozen.", "2024-08-30"),
]  # fmt: skip


def test_cached_keywords_equal_the_reference_and_callers_may_pass_them() -> None:
    for text in _KEYWORD_TEXTS:
        det = detect(text)
        assert det.relevant, text.title
        words = keywords_of(text, det)
        assert words == _reference_keywords(text, det) and words
        assert keywords_of(text, det) == words  # the second call is served from the per-word caches
        at = text.published or datetime(2025, 1, 1, tzinfo=UTC)
        opened = open_case(text, det, "seed", at)
        assert open_case(text, det, "seed", at, keywords=words) == opened
        assert absorb(opened, text, det, at, keywords=words) == absorb(opened, text, det, at)
        assert find_case(text, det, [opened], keywords=words) == find_case(text, det, [opened]) == opened


_VOCAB = ["Ireland", "Irish", "irish", "court", "Courts", "subpoena", "users", "user's", "Meta", "emails",
          "Dublin", "the", "Brazil", "brazilian", "X", "accounts", "judge", "Musk", "anti-Trump", "ruling",
          "France", "French", "data", "Privacy", "privacy", "filed", "Telegram", "telegram", "CEO"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=14), st.lists(st.sampled_from(_VOCAB), max_size=40))
def test_cached_keywords_equal_the_reference_on_any_text(title: list[str], summary: list[str]) -> None:
    text = ArticleText(" ".join(title), " ".join(summary))
    det = Detection(relevant=True, score=1.0, platforms=("Telegram", "X"))
    assert keywords_of(text, det) == _reference_keywords(text, det)
