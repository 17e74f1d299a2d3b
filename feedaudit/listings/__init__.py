"""Live listings: fetch the product pages offers link to, politely, and read what each page shows.

settings.py   the `[listings]` configuration section
guard.py      which addresses may be connected to (the SSRF guard)
fetch.py      the polite async crawler: robots.txt, per-host limits, retries, caps, redirects
cache.py      the optional on-disk page cache (ETag / Last-Modified revalidation)
extract.py    page bytes → `Listing` (JSON-LD, microdata, OpenGraph, visible text)
sample.py     the deterministic sample of pages to fetch
live.py       `LiveListings`, the engine's `ListingFetcher`
"""
