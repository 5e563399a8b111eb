"""The `summarise` command. Parses options, calls the pipeline, prints; holds no logic.

Errors of the project become one line on stderr and the error's exit code; anything else is a
bug and, under --debug or pytest, is re-raised so it is seen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from summarise import __version__
from summarise.errors import SummariseError, UnverifiedFigures
from summarise.pipeline import summarise_file
from summarise.render import Format, print_rich, render
from summarise.schemas import write_schemas
from summarise.sources import DEFAULT_MAX_BYTES


class _DefaultToRun(TyperGroup):
    """`summarise FILE` means `summarise run FILE`; named commands still win."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: click's, vendored or not
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DefaultToRun,
    add_completion=False,
    no_args_is_help=True,
    help="Verified English briefings of Chinese government news on investment campaigns.",
    pretty_exceptions_enable=False,
)
_stderr = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarise {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Summarise an article: `summarise FILE` (FILE may be '-' for standard input)."""


@app.command()
def run(
    file: Annotated[str, typer.Argument(help="Article text file, or '-' for standard input.")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="Output format; rich on a terminal, text otherwise."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    max_bytes: Annotated[int, typer.Option(help="Refuse files larger than this.")] = DEFAULT_MAX_BYTES,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any figure is not verified.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    """Summarise one article into an English briefing (offline engine)."""
    with _errors(debug):
        article = summarise_file(file, max_bytes=max_bytes)
        chosen = fmt or (Format.RICH if sys.stdout.isatty() and output is None else Format.TEXT)
        if chosen is Format.RICH:
            print_rich(article, Console())
        else:
            text = render(article, chosen)
            if output is not None:
                output.write_text(text + "\n", encoding="utf-8")
            else:
                typer.echo(text)
        if strict and article.verification.unverified:
            raise UnverifiedFigures(article.verification.unverified)


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Schemas to.")] = Path("schemas"),
) -> None:
    """Export the JSON Schemas of the records (run after changing `records.py`)."""
    for path in write_schemas(out):
        typer.echo(str(path))


class _errors:
    """Turn the project's errors into one line and an exit code."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, typer.Exit):
            return
        if isinstance(exc, SummariseError):
            _stderr.print(f"summarise: error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code)
        if isinstance(exc, KeyboardInterrupt):
            _stderr.print("summarise: interrupted", markup=False)
            raise typer.Exit(130)
        if self.debug or "PYTEST_CURRENT_TEST" in os.environ:
            return
        _stderr.print(
            f"summarise: internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
