"""Notifications of a run's results: the e-mail message, its SMTP delivery, and the outbox.

`settings` holds the `[email]` section; `message` builds the report e-mail; `email` delivers it over
SMTP; `outbox` keeps every message on disk until a server has accepted it.
"""
