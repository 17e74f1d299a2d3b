"""The findings history: what earlier runs found, so a run can tell new findings from resolved ones.

`settings` holds the `[history]` section (cheap to import); `store` holds the database code
(SQLAlchemy Core, imported only when a history is used); `schema` the tables and their migrations.
"""
