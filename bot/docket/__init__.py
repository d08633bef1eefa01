"""The court docket of a case, found automatically (issue 14 item 3).

A case whose reports name a US court, a docket number or an "A v. B" case name is looked up in
CourtListener (Free Law Project):

- ``courts``  the court table (``bot/data/us_courts.tsv``) and the finder of court names in news text (pure)
- ``query``   what a CourtListener search needs, extracted from a case and its reports (pure)
- ``match``   which search result, if any, is the case's docket, and why (pure)
- ``client``  the CourtListener REST API v4 client: rate limit, 429 back-off, cache, one-line errors
- ``lookup``  a queue and worker so that lookups never block a poll; polling linked dockets for new filings

Nothing here touches storage or Discord: the worker hands its results to a callback (a port), so the
wiring (storage columns, card fields, ``/case docket``) can be added without changing this package.
The feature is off without ``COURTLISTENER_TOKEN`` (``client.ClientSettings.from_env``).
"""
