"""Auditing one large local feed on several cores.

`split` cuts the feed into byte ranges at record boundaries and reads each range as a document of its
own (the feed's real head, the range, closing tags), with the source lines of the original file.
`run` audits the ranges in worker processes and merges their findings back into exactly the order,
lines and messages of a one-process audit. `settings` is the `[parallel]` configuration section.

Nothing is imported here, so that `feedaudit.config` can import the settings without a cycle.
"""
