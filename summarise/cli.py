"""The `summarise` command. Parses options, calls the pipeline, prints; holds no logic.

Errors of the project become one line on stderr and the error's exit code; anything else is a
bug and, under --debug or pytest, is re-raised so it is seen.
"""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from summarise import __version__
from summarise.batch import BatchOptions, run_batch
from summarise.errors import ConfigError, SummariseError, UncleanBatch, UnverifiedFigures
from summarise.inputs import Selection, require_inputs
from summarise.pipeline import EngineFailed, summarise_file
from summarise.progress import BatchProgress, print_summary
from summarise.records import Article
from summarise.render import Format, print_rich, render
from summarise.schemas import write_schemas
from summarise.settings import PRESETS, Engine, Mode, load_settings
from summarise.sources import DEFAULT_MAX_BYTES
from summarise.store import exclusive, state_errors


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


# Options both commands take, declared once.
EngineOpt = Annotated[Engine, typer.Option(help="auto: the LLM engine when a key is configured.")]
PresetOpt = Annotated[str | None, typer.Option(help=f"Endpoint preset: {', '.join(PRESETS)}.")]
ModelOpt = Annotated[str | None, typer.Option(help="Model name (default: the preset's, or $OPENAI_MODEL).")]
BaseUrlOpt = Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")]
KeyEnvOpt = Annotated[str | None, typer.Option(help="Environment variable that holds the API key.")]
ModeOpt = Annotated[Mode | None, typer.Option(help="How the schema is sent (tools, json_schema, json, md_json).")]
RetriesOpt = Annotated[int, typer.Option(help="Re-asks when the model's figures fail the cross-check.")]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for one model answer.")]
DebugOpt = Annotated[bool, typer.Option(help="Show tracebacks of unexpected errors.")]


@app.command()
def run(
    file: Annotated[str, typer.Argument(help="Article text file, or '-' for standard input.")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="Output format; rich on a terminal, text otherwise."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    engine: EngineOpt = Engine.AUTO,
    preset: PresetOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = None,
    mode: ModeOpt = None,
    max_retries: RetriesOpt = 2,
    max_chars: Annotated[int, typer.Option(help="Refuse longer articles for the LLM engine.")] = 24_000,
    timeout: TimeoutOpt = 60.0,
    max_tokens: Annotated[int, typer.Option(help="Cap on the tokens of one answer.")] = 4096,
    http_attempts: Annotated[int, typer.Option(help="Tries per request on 429, 5xx, timeouts.")] = 5,
    max_bytes: Annotated[int, typer.Option(help="Refuse files larger than this.")] = DEFAULT_MAX_BYTES,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any figure is not verified.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show token usage per request.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Summarise one article into an English briefing."""
    with _errors(debug):
        settings = load_settings(
            engine=engine,
            preset=preset,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            mode=mode,
            max_retries=max_retries,
        ).with_(max_chars=max_chars, timeout=timeout, transport_attempts=http_attempts, max_tokens=max_tokens)
        try:
            article = summarise_file(file, max_bytes=max_bytes, settings=settings)
        except EngineFailed as failed:
            _emit(failed.fallback, fmt, output)  # the offline result: the work done is not lost
            raise
        if engine is Engine.AUTO and settings.resolved_engine() is Engine.OFFLINE:
            _stderr.print(
                f"summarise: no API key configured (${settings.api_key_env}); using the offline engine",
                markup=False, highlight=False,
            )  # fmt: skip
        _emit(article, fmt, output)
        if verbose and article.usage:
            for attempt in article.usage.attempts:
                _stderr.print(
                    f"request {attempt.attempt}: {attempt.prompt_tokens} prompt + "
                    f"{attempt.completion_tokens} completion tokens",
                    markup=False, highlight=False,
                )  # fmt: skip
        if strict and (article.verification.unverified or article.verification.prose_flagged):
            raise UnverifiedFigures(article.verification.unverified + article.verification.prose_flagged)


def _emit(article: Article, fmt: Format | None, output: Path | None) -> None:
    chosen = fmt or (Format.RICH if sys.stdout.isatty() and output is None else Format.TEXT)
    if chosen is Format.RICH and output is None:
        print_rich(article, Console())
        return
    text = render(article, Format.TEXT if chosen is Format.RICH else chosen)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


@app.command()
def batch(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, .zip/.tar/.tar.gz archives, or @list files.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (also holds the resumable state).")],
    include: Annotated[list[str], typer.Option(help="Glob of member names to take.")] = ["*.txt"],  # noqa: B006
    exclude: Annotated[list[str], typer.Option(help="Glob of member names to skip.")] = [],  # noqa: B006
    engine: EngineOpt = Engine.AUTO,
    preset: PresetOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = None,
    mode: ModeOpt = None,
    max_retries: RetriesOpt = 2,
    concurrency: Annotated[int, typer.Option(help="Model requests in flight at once.")] = 8,
    workers: Annotated[int, typer.Option(help="Processes for the offline engine (default: all cores).")] = 0,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute, at most.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens per minute, at most (estimated).")] = None,
    retry_failed: Annotated[bool, typer.Option(help="Process again the articles that failed before.")] = False,
    timeout: TimeoutOpt = 60.0,
    via_batch_api: Annotated[bool, typer.Option(help="Send through the OpenAI Batch API (24 h, half price).")] = False,
    poll_seconds: Annotated[float, typer.Option(help="How often to ask a Batch API job for news.")] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the summary.")] = False,
    strict: Annotated[
        bool, typer.Option(help="Exit non-zero (11), after every output, when any article failed or is flagged.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Summarise whole archives into a dataset and a report; resumable and cached."""
    # Imported here: pyarrow and the model SDKs cost a second of start-up `summarise FILE` need not pay.
    from summarise.batch_api import run_via_batch_api
    from summarise.report import write_report
    from summarise.sinks import write_outputs

    with _errors(debug):
        settings = load_settings(
            engine=engine, preset=preset, model=model, base_url=base_url, api_key_env=api_key_env, mode=mode,
            max_retries=max_retries,
        ).with_(timeout=timeout)  # fmt: skip
        options = BatchOptions(
            out=out, concurrency=concurrency, workers=workers or (os.cpu_count() or 1), rpm=rpm, tpm=tpm,
            retry_failed=retry_failed, selection=Selection(tuple(include), tuple(exclude)),
        )  # fmt: skip
        if via_batch_api and settings.resolved_engine() is not Engine.LLM:
            raise ConfigError("--via-batch-api needs the LLM engine: configure a key or --engine llm")
        require_inputs(paths)  # before the output folder is made for a run that cannot start
        with exclusive(out), state_errors(out):  # one run per output folder at a time
            if via_batch_api:
                tally = run_via_batch_api(
                    paths, settings, options, poll_seconds=poll_seconds,
                    on_status=None if quiet else lambda s: _stderr.print(f"batch job: {s}", markup=False),
                )  # fmt: skip
            else:
                with BatchProgress(_stderr, quiet=quiet) as progress:
                    tally = run_batch(paths, settings, options, on_progress=progress.update)
            with nullcontext() if quiet else _stderr.status("writing the outputs and the report…"):
                written = write_outputs(out, options.workers)
                write_report(out)
            if quiet:
                _stderr.print(
                    f"summarise batch: {tally.ok} ok, {tally.flagged} flagged, {tally.failed} failed -> {out}",
                    markup=False, highlight=False, soft_wrap=True,
                )  # fmt: skip
            else:
                print_summary(_stderr, tally, str(out), written)
            if strict and (tally.failed or tally.flagged):
                raise UncleanBatch(tally.failed, tally.flagged)


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
        if isinstance(exc, OSError) and exc.strerror:  # the machine's, not ours: disk full, permissions
            where = f"{exc.filename}: " if exc.filename else ""
            _stderr.print(f"summarise: error: {where}{exc.strerror}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        if self.debug or "PYTEST_CURRENT_TEST" in os.environ:
            return
        _stderr.print(
            f"summarise: internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
