"""The command as a user runs it: real processes, one-line errors, distinct exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import FIXTURES, ROOT, summarise_exe


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [summarise_exe(), *args], input=stdin.decode("latin-1") if stdin else None,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_example_article_from_the_readme() -> None:
    result = run(str(ROOT / "examples" / "luoyang-phase-11.txt"), "--format", "text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Luoyang holds phase 11 of the 'Three Batches' campaign on 29 January 2024")
    assert "Engine: offline. 18 of 18 figures verified against the source." in result.stdout


def test_json_output_is_the_records() -> None:
    result = run(str(FIXTURES / "province_and_city.txt"), "--format", "json")
    data = json.loads(result.stdout)
    assert [e["scope"]["name"] for e in data["events"] if e["type"] == "campaign_round"] == ["河南省", "新乡市"]


def test_markdown_output() -> None:
    result = run(str(FIXTURES / "province_and_city.txt"), "-f", "markdown")
    assert result.stdout.startswith("# Henan holds phase 8")
    assert "| Henan Province | 8 | 2023-04-12* | Signed | 581 |" in result.stdout


def test_standard_input(tmp_path: Path) -> None:
    data = (FIXTURES / "traditional_web.txt").read_text(encoding="utf-8").encode("big5")
    result = subprocess.run(
        [summarise_exe(), "-", "-f", "text"], input=data, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "602 signed" in result.stdout.decode()


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        pytest.param(lambda p: p / "missing.txt", 3, "no such file", id="missing"),
        pytest.param(lambda p: _write(p / "empty.txt", b""), 4, "empty", id="empty"),
        pytest.param(lambda p: _write(p / "bin.dat", bytes(range(256)) * 8), 5, "binary", id="binary"),
        pytest.param(
            lambda p: _write(p / "bad.txt", bytes([0x81, 0x20, 0xFE, 0x7F, 0xC0, 0x21]) * 50),
            6,
            "not valid",
            id="wrong-encoding",
        ),
        pytest.param(lambda p: _write(p / "en.txt", b"English only.\n"), 7, "no Chinese", id="no-chinese"),
        pytest.param(lambda p: p, 3, "folder", id="folder"),
    ],
)
def test_bad_input_is_one_line_and_a_distinct_exit_code(tmp_path: Path, make, code: int, words: str) -> None:  # type: ignore[no-untyped-def]
    result = run(str(make(tmp_path)))
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("summarise: error: ")
    assert words in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        pytest.param(
            lambda p: ["batch", str(p / "nothere"), "--out", str(p / "out")], 3, "nothere: no such", id="path"
        ),
        pytest.param(
            lambda p: ["batch", f"@{p / 'no.list'}", "--out", str(p / "out")], 3, "no.list: no such", id="list"
        ),
        pytest.param(
            lambda p: ["batch", str(FIXTURES), "--out", str(_write(p / "afile", b"x"))], 9, "in the way", id="out-file"
        ),
        pytest.param(
            lambda p: ["batch", str(FIXTURES), "--out", str(_write(p / "out" / "state.sqlite", b"\0" * 200).parent)],
            12,
            "not a state store this program can use (file is not a database); move it away",
            id="state-not-sqlite",
        ),
    ],
)
def test_batch_bad_arguments_are_one_line_before_any_work(tmp_path: Path, args, code: int, words: str) -> None:  # type: ignore[no-untyped-def]
    result = run(*args(tmp_path), "-q")
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("summarise: error: ")
    assert words in lines[0]
    out = tmp_path / "out"
    assert not out.exists() or {p.name for p in out.iterdir()} <= {"state.sqlite", ".lock"}  # no work was done


def test_too_large_names_the_option(tmp_path: Path) -> None:
    result = run(str(FIXTURES / "province_and_city.txt"), "--max-bytes", "50")
    assert result.returncode == 8
    assert "--max-bytes" in result.stderr


def test_strict_passes_when_all_verified() -> None:
    assert run(str(FIXTURES / "province_and_city.txt"), "--strict", "-f", "json").returncode == 0


@pytest.mark.parametrize("command", [[], ["run"], ["schemas"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_full_disk_is_one_line_not_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from summarise import sinks
    from summarise.cli import app

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "articles.jsonl.tmp"))

    monkeypatch.setattr(sinks, "write_outputs", full)
    result = CliRunner().invoke(
        app, ["batch", str(FIXTURES / "province_and_city.txt"), "--out", str(tmp_path / "out"), "-q"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"summarise: error: {tmp_path / 'out' / 'articles.jsonl.tmp'}: No space left on device"
    ]
    assert (tmp_path / "out" / "state.sqlite").exists()  # the work done is kept for the next run


def test_a_second_batch_on_the_same_output_folder_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    from summarise.store import exclusive

    with exclusive(tmp_path / "out"):  # as a run in another process holds it
        result = run("batch", str(FIXTURES / "province_and_city.txt"), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 9
    assert result.stderr.strip().splitlines() == [
        f"summarise: error: {tmp_path / 'out'}: another summarise batch is writing there; wait for it or choose"
        " another --out"
    ]
    assert not (tmp_path / "out" / "state.sqlite").exists()
    result = run("batch", str(FIXTURES / "province_and_city.txt"), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr  # released with the holder


def test_a_damaged_state_store_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("batch", str(FIXTURES), "--out", str(out), "-q").returncode == 0
    state = out / "state.sqlite"
    data = state.read_bytes()
    state.write_bytes(data[:16_384] + b"\xff" * (len(data) - 16_384))  # its first page intact, the rest not
    result = run("batch", str(FIXTURES), "--out", str(out), "-q")
    assert result.returncode == 12
    assert result.stderr.strip().splitlines() == [
        f"summarise: error: {state}: not a state store this program can use (database disk image is malformed);"
        " move it away to start afresh"
    ]
