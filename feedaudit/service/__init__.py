"""`feedaudit serve`: audits as an HTTP service for marketplaces and shops.

The service is glue around the library: `api` (the versioned JSON API) and `pages` (the server-rendered
web page) take requests, `store` keeps tokens and audit jobs in a SQLAlchemy database, `runner` claims
queued jobs and runs them in a process pool or on a Dask cluster (`work`), `results` renders a finished
audit in any output format, and `webhook` tells the submitter when it is done. Nothing here imports
the web framework until `app.create_app` is called, so `feedaudit --help` stays fast.
"""

from pathlib import Path

DEFAULT_DATA_DIR = Path("feedaudit-service")  # uploads, per-shop histories, the default database
