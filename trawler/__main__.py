"""`python -m trawler` is the `trawler` command."""

from trawler.cli import app

app()
