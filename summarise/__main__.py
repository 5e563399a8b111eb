"""`python -m summarise` is the `summarise` command."""

from summarise.cli import app

app(prog_name="summarise")
