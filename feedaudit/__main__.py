"""`python -m feedaudit`: the same as the `feedaudit` command."""

from feedaudit.cli import main

main()
