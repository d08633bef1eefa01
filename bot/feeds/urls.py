"""The one spelling of an http(s) URL, by which feed and item links are keyed, deduplicated and shown.

Feeds hand out relative links, ``javascript:`` URLs and tracking parameters; this runs for every link
of every item of every poll, so the common already-canonical URL takes a fast path.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

MAX_URL_CHARS = 4096

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "spm",
        "cmpid",
        "smid",
        "sr_share",
        "ncid",
        "at_medium",
        "at_campaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
# WHATWG URL parsing drops these anywhere in a URL; feeds put them in by wrapping long lines.
_URL_STRIP_INNER = re.compile(r"[\t\n\r]")
# A host we are willing to emit: no whitespace, controls, quotes, brackets or percent signs.
_BAD_HOST = re.compile(r"[\x00-\x20\x7f-\x9f\"#%'/<>?@\[\\\]^`{|}]")
# Characters left alone when percent-encoding path and query; "%" is safe so quoting is idempotent.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$&'()*+,;=-._~%?"
# An absolute URL already in canonical spelling but for its fragment and tracking parameters (the
# usual feed link): lower-case http(s) scheme and LDH host without trailing dot, port or credentials;
# path and query only of characters that ``quote`` keeps with the safe sets above.
_SIMPLE_URL = re.compile(
    r"(https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*)"
    r"(/[A-Za-z0-9/:@!$&'()*+,;=\-._~%]*)?"
    r"(?:\?([A-Za-z0-9/:@!$&'()*+,;=\-._~%?]*))?"
    r"(?:#.*)?",
    re.S,
)


def _is_tracking_param(piece: str) -> bool:
    name = piece.split("=", 1)[0].lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    return "&".join([p for p in query.split("&") if p and not _is_tracking_param(p)])


def _canonical_simple(url: str) -> str | None:
    """Fast path for the common absolute URL whose canonical form needs no parsing library.

    Only URLs matching :data:`_SIMPLE_URL` come here: lower-case scheme and host, no port or
    credentials, path and query made only of characters ``quote`` leaves alone. For those,
    ``urlsplit`` / ``quote`` / ``urlunsplit`` amount to: drop the fragment and the tracking
    parameters, default the path to "/". Returns None when the URL does not qualify.
    """
    m = _SIMPLE_URL.fullmatch(url)
    if m is None:
        return None
    scheme_host, path, query = m.groups()
    if query:
        query = _drop_tracking(query)
    return f"{scheme_host}{path or '/'}?{query}" if query else f"{scheme_host}{path or '/'}"


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The one spelling of an http(s) URL used for dedupe and display, or None when unusable.

    Only http/https survive (``javascript:``, ``data:``, ``file:`` ... give None); scheme and host are
    lower-cased, default ports, credentials, fragments and tracking parameters dropped, other query
    parameters kept in order; a relative URL is resolved against ``base``. Idempotent.
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip(" \t\n\r\x00\x0b\x0c")
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_STRIP_INNER.sub("", url)
    if not url or len(url) > MAX_URL_CHARS * 2:
        return None
    simple = _canonical_simple(url)
    if simple is not None:
        return simple if len(simple) <= MAX_URL_CHARS else None
    try:
        if base and isinstance(base, str) and not url.startswith(("http://", "https://")):
            base = _URL_STRIP_INNER.sub("", base.strip())
            if urlsplit(base).scheme.lower() in _ALLOWED_SCHEMES:
                url = urljoin(base, url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            return None
        host = parts.hostname  # lower-cased, brackets and credentials removed
        port = parts.port  # raises ValueError when not a number in range
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if not host or _BAD_HOST.search(host) or not host.isprintable():
        return None
    if ":" in host:  # IPv6 literal
        if not re.fullmatch(r"[0-9a-f:.]+", host):
            return None
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE, errors="replace") or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = quote(_drop_tracking(parts.query), safe=_QUERY_SAFE, errors="replace") if parts.query else ""
    result = urlunsplit((scheme, netloc, path, query, ""))
    return result if len(result) <= MAX_URL_CHARS else None
