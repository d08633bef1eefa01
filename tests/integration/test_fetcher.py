"""Fetcher and UrlGuard against a real local HTTP server (tests/feedserver.py); no internet."""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.feeds.fetcher import Fetcher, FetchError, FetchLimits, parse_retry_after
from bot.feeds.netguard import BlockedUrl, UrlGuard, blocked_reason
from tests.feedserver import FeedServer

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    b"<item><title>Meta sued</title><link>https://example.com/a</link></item></channel></rss>"
)
FAST = FetchLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(FAST) as f:
        yield f


def fake_dns(table: dict[str, list[str]]):
    async def resolve(host: str) -> Iterable[str]:
        return table[host]

    return resolve


# --- plain fetching ----------------------------------------------------------------------------------


async def test_fetch_returns_body_validators_and_polite_headers(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", body=RSS, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    result = await fetcher.fetch(server.url("/feed.xml"))
    assert (result.status, result.body, result.not_modified) == (200, RSS, False)
    assert result.etag == '"v1"' and result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.final_url == server.url("/feed.xml") and 0 <= result.elapsed_s < 2
    sent = server.requests[0].headers
    assert sent["User-Agent"].startswith("casewatch/") and "github.com/casewatch" in sent["User-Agent"]
    assert "application/rss+xml" in sent["Accept"] and "gzip" in sent["Accept-Encoding"]
    assert "If-None-Match" not in sent and "Cookie" not in sent


async def test_conditional_get_gives_not_modified(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", body=RSS, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    first = await fetcher.fetch(server.url("/feed.xml"))
    again = await fetcher.fetch(server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304 and again.body is None
    assert again.etag == '"v1"' and again.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    sent = server.requests[1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"

    server.route("/lm.xml", body=RSS, last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    by_date = await fetcher.fetch(server.url("/lm.xml"), last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    assert by_date.not_modified
    changed = await fetcher.fetch(server.url("/feed.xml"), etag='"v0"')
    assert not changed.not_modified and changed.body == RSS


async def test_gzip_body_is_decoded(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/gz", body=RSS * 50, gzip=True)
    server.route("/deflate", raw_body=zlib.compress(RSS), headers={"Content-Encoding": "deflate"})
    assert (await fetcher.fetch(server.url("/gz"))).body == RSS * 50
    assert (await fetcher.fetch(server.url("/deflate"))).body == RSS


# --- redirects ---------------------------------------------------------------------------------------


async def test_redirect_chain_is_followed(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", body=RSS)
    server.route("/r1", redirect_to="/r2", status=301)
    server.route("/r2", redirect_to=server.url("/r3"), status=307)
    server.route("/r3", redirect_to="feed.xml", status=308)  # relative to /r3
    result = await fetcher.fetch(server.url("/r1"))
    assert result.body == RSS and result.final_url == server.url("/feed.xml")
    assert [r.path for r in server.requests] == ["/r1", "/r2", "/r3", "/feed.xml"]


async def test_redirect_limit(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", body=RSS)
    for i in range(6):
        server.route(f"/h{i}", redirect_to=f"/h{i + 1}" if i < 5 else "/feed.xml")
    assert (await fetcher.fetch(server.url("/h1"))).body == RSS  # exactly 5 redirects
    with pytest.raises(FetchError, match="too many redirects") as info:
        await fetcher.fetch(server.url("/h0"))  # 6 redirects
    assert not info.value.transient
    assert server.hits("/feed.xml") == 1


async def test_redirect_loop_is_detected(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/a", redirect_to="/b")
    server.route("/b", redirect_to="/a")
    with pytest.raises(FetchError, match="loop"):
        await fetcher.fetch(server.url("/a"))
    assert server.hits("/a") == 1 and server.hits("/b") == 1


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)"]
)
async def test_redirect_to_other_scheme_is_refused(server: FeedServer, fetcher: Fetcher, target: str) -> None:
    server.route("/r", redirect_to=target)
    with pytest.raises(FetchError, match="scheme") as info:
        await fetcher.fetch(server.url("/r"))
    assert not info.value.transient and info.value.status is None


async def test_bad_scheme_is_refused_without_a_request(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="scheme"):
        await fetcher.fetch("file:///etc/passwd")


# --- status codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "transient"), [(404, False), (410, False), (500, True), (502, True)])
async def test_http_errors(server: FeedServer, fetcher: Fetcher, status: int, transient: bool) -> None:
    server.route("/x", status=status, body=b"nope")
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/x"))
    assert info.value.status == status and info.value.transient is transient
    assert info.value.retry_after is None and str(status) in info.value.reason


async def test_429_and_503_carry_retry_after(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/slow-down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/slow-down"))
    assert info.value.transient and info.value.status == 429 and info.value.retry_after == 120

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    server.route("/busy", status=503, headers={"Retry-After": later})
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/busy"))
    assert info.value.transient and 590 <= (info.value.retry_after or 0) <= 600


def test_parse_retry_after() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("99999999999") == 30 * 24 * 3600  # capped


async def test_connection_refused_is_transient(fetcher: Fetcher) -> None:
    closed = FeedServer()
    await closed.start()
    url = closed.url("/feed.xml")
    await closed.stop()
    with pytest.raises(FetchError, match="connection failed") as info:
        await fetcher.fetch(url)
    assert info.value.transient


# --- slow and big servers ----------------------------------------------------------------------------


async def test_read_timeout(server: FeedServer) -> None:
    server.route("/stall", body=RSS, delay_s=3)
    async with Fetcher(FetchLimits(read_timeout_s=0.3, total_timeout_s=5)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timeout") as info:
            await fetcher.fetch(server.url("/stall"))
    assert info.value.transient and time.monotonic() - started < 1.5


async def test_slow_drip_hits_the_total_deadline(server: FeedServer) -> None:
    # One byte every 0.2 s never trips the read timeout; only the total deadline stops it.
    server.route("/drip", body=RSS, drip_interval_s=0.2)
    async with Fetcher(FetchLimits(read_timeout_s=1.0, total_timeout_s=1.0)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match="total deadline") as info:
            await fetcher.fetch(server.url("/drip"))
    assert info.value.transient and 0.9 < time.monotonic() - started < 1.6


async def test_oversized_body_with_content_length(server: FeedServer) -> None:
    server.route("/big", body=b"x" * (2 * 1024 * 1024))
    async with Fetcher(FetchLimits(max_bytes=1024 * 1024)) as fetcher:
        with pytest.raises(FetchError, match="Content-Length") as info:
            await fetcher.fetch(server.url("/big"))
    assert not info.value.transient


async def test_oversized_chunked_body_without_length(server: FeedServer) -> None:
    server.route("/big", body=b"x" * (3 * 1024 * 1024), chunked=True)
    async with Fetcher(FetchLimits(max_bytes=1024 * 1024)) as fetcher:
        with pytest.raises(FetchError, match="on the wire"):
            await fetcher.fetch(server.url("/big"))


def gzip_bomb(total: int, member: int = 16 * 1024 * 1024) -> bytes:
    """``total`` zero bytes as concatenated gzip members (legal gzip), compressed ~1000:1."""
    one = gzip.compress(b"\0" * member, compresslevel=9)
    return one * (total // member)


async def test_gzip_bomb_fails_fast_with_little_memory(server: FeedServer) -> None:
    bomb = gzip_bomb(1024 * 1024 * 1024)  # 1 GiB inflated
    assert len(bomb) < 1.1 * 1024 * 1024
    server.route("/bomb", raw_body=bomb, headers={"Content-Encoding": "gzip"})
    async with Fetcher(FAST) as fetcher:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(FetchError, match="after decompression"):
                await fetcher.fetch(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert time.monotonic() - started < 2.0
    assert peak < 80 * 1024 * 1024  # the 20 MiB cap plus buffers, not 1 GiB


async def test_truncated_gzip_is_an_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/cut", raw_body=gzip.compress(RSS * 100)[:-40], headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="truncated"):
        await fetcher.fetch(server.url("/cut"))


# --- concurrency -------------------------------------------------------------------------------------


async def test_per_host_limit_is_enforced(server: FeedServer) -> None:
    server.route("/feed.xml", body=RSS, delay_s=0.15)
    async with Fetcher(FetchLimits(per_host=2, global_limit=16)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(server.url("/feed.xml")) for _ in range(6)))
    assert all(r.body == RSS for r in results)
    assert server.max_concurrent("/feed.xml") == 2


async def test_global_limit_is_enforced(server: FeedServer) -> None:
    async with FeedServer() as other:
        for s in (server, other):
            s.route("/feed.xml", body=RSS, delay_s=0.1)
        async with Fetcher(FetchLimits(per_host=2, global_limit=1)) as fetcher:
            started = time.monotonic()
            urls = [s.url("/feed.xml") for s in (server, other) for _ in range(2)]
            await asyncio.gather(*(fetcher.fetch(u) for u in urls))
        assert server.max_concurrent() == 1 and other.max_concurrent() == 1
        assert time.monotonic() - started >= 0.4  # four requests, one at a time


# --- SSRF guard --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
        "ff02::1",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert blocked_reason(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None


async def test_guard_checks_every_resolved_address() -> None:
    guard = UrlGuard(
        resolver=fake_dns(
            {
                "news.test": ["93.184.216.34"],
                "intranet.test": ["10.0.0.5"],
                "mixed.test": ["93.184.216.34", "192.168.0.10"],
                "metadata.test": ["169.254.169.254"],
                "empty.test": [],
            }
        )
    )
    await guard.check("https://news.test/feed")
    for url in ("http://intranet.test/", "http://mixed.test/", "http://metadata.test/latest/meta-data/"):
        with pytest.raises(BlockedUrl, match="blocked address"):
            await guard.check(url)
    with pytest.raises(BlockedUrl, match="no addresses"):
        await guard.check("http://empty.test/")
    for url, reason in [
        ("file:///etc/passwd", "scheme"),
        ("gopher://news.test/", "scheme"),
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254"),
        ("http://localhost/", "local name"),
        ("http://printer.local/", "local name"),
        ("http:///nohost", "no host"),
    ]:
        with pytest.raises(BlockedUrl, match=reason):
            await guard.check(url)


async def test_guard_allow_list_and_allow_private() -> None:
    dns = fake_dns({"intranet.test": ["10.0.0.5"], "a.corp.test": ["10.0.0.6"]})
    await UrlGuard(allowed_hosts=["intranet.test", ".corp.test"], resolver=dns).check("http://intranet.test/")
    await UrlGuard(allowed_hosts=[".corp.test"], resolver=dns).check("http://a.corp.test/")
    await UrlGuard(allow_private=True, resolver=dns).check("http://10.0.0.5/")
    with pytest.raises(BlockedUrl):
        await UrlGuard(allow_private=True).check("ftp://10.0.0.5/")


async def test_fetcher_with_guard_refuses_loopback_without_connecting(server: FeedServer) -> None:
    server.route("/feed.xml", body=RSS)
    async with Fetcher(FAST, guard=UrlGuard()) as fetcher:
        with pytest.raises(FetchError, match="blocked") as info:
            await fetcher.fetch(server.url("/feed.xml"))
    assert not info.value.transient and server.requests == []
    async with Fetcher(FAST, guard=UrlGuard(allowed_hosts=["127.0.0.1"])) as fetcher:
        assert (await fetcher.fetch(server.url("/feed.xml"))).body == RSS


async def test_guard_applies_to_every_redirect_hop(server: FeedServer) -> None:
    server.route("/r", redirect_to="http://intranet.test/admin")
    guard = UrlGuard(allowed_hosts=["127.0.0.1"], resolver=fake_dns({"intranet.test": ["10.0.0.5"]}))
    async with Fetcher(FAST, guard=guard) as fetcher:
        with pytest.raises(FetchError, match=r"blocked:.*10\.0\.0\.5"):
            await fetcher.fetch(server.url("/r"))
    assert server.hits("/r") == 1


async def test_connection_uses_the_guarded_resolver(server: FeedServer) -> None:
    server.route("/feed.xml", body=RSS)
    guard = UrlGuard(allowed_hosts=["feeds.test"], resolver=fake_dns({"feeds.test": ["127.0.0.1"]}))
    async with Fetcher(FAST, guard=guard) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml", host="feeds.test"))
    assert result.body == RSS and server.requests[0].headers["Host"].startswith("feeds.test")


async def test_dns_rebinding_is_caught_at_connection_time(server: FeedServer) -> None:
    server.route("/feed.xml", body=RSS)
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding_dns(host: str) -> list[str]:
        return next(answers)  # public for the check, loopback for the connection

    async with Fetcher(FAST, guard=UrlGuard(resolver=rebinding_dns)) as fetcher:
        with pytest.raises(FetchError, match=r"blocked:.*127\.0\.0\.1") as info:
            await fetcher.fetch(server.url("/feed.xml", host="rebind.test"))
    assert not info.value.transient and server.requests == []
