"""Batch runs: outputs once per article, cache and dedupe, resume after SIGKILL, the report."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pyarrow.parquet as pq
import pytest
from cassette_format import CASSETTES
from corpus import generate
from helpers import fixture_text, summarise_exe
from llm_scenarios import PROVINCE_AND_CITY, SCENARIOS
from typer.testing import CliRunner

from summarise.batch import BatchOptions, run_batch
from summarise.cli import app
from summarise.drafts import CheckContext, DraftArticle, Extraction, checking
from summarise.errors import ProviderError
from summarise.inputs import Selection
from summarise.records import AttemptUsage, BatchRecord, Usage
from summarise.report import write_report
from summarise.settings import Engine, Settings
from summarise.sinks import write_outputs


def jsonl(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kill_part_way(command: list[str], state: Path, after: int) -> int:
    """Start `command`, SIGKILL it once its store holds `after` sources; how many it held then."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline and done < after:
        time.sleep(0.02)
        if state.exists():
            try:
                done = sqlite3.connect(state).execute("SELECT COUNT(*) FROM sources").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return int(sqlite3.connect(state).execute("SELECT COUNT(*) FROM sources").fetchone()[0])


def make_archive(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("province_and_city.txt", "county_in_city.txt", "mention_only.txt"):
        (folder / name).write_text(fixture_text(name), encoding="utf-8")
    (folder / "copy_in_gbk.txt").write_bytes(fixture_text("province_and_city.txt").encode("gbk"))  # same text
    (folder / "empty.txt").write_bytes(b"")
    with zipfile.ZipFile(folder / "more.zip", "w") as z:
        z.writestr("2024/venue.txt", fixture_text("venue_and_sector.txt"))
        z.writestr("../escape.txt", "三个一批")
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    return folder


def test_offline_batch_outputs_and_tables(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(archive), "--out", str(out), "--engine", "offline", "-q"])
    assert result.exit_code == 0, result.stderr
    assert f"summarise batch: 5 ok, 0 flagged, 3 failed -> {out}" in result.stderr  # per source
    records = jsonl(out / "articles.jsonl")
    hashes = [r["text_hash"] for r in records]
    assert len(hashes) == len(set(hashes)) == 4  # the GBK copy is the same article: once
    for r in records:  # each line, and each per-article file, is a record of the exported schema
        per_article = (out / "articles" / f"{r['text_hash'][:16]}.json").read_text(encoding="utf-8")
        assert BatchRecord.model_validate_json(per_article) == BatchRecord.model_validate(r)
    copy = next(r for r in records if len(r["sources"]) == 2)
    assert sorted(Path(s).name for s in copy["sources"]) == ["copy_in_gbk.txt", "province_and_city.txt"]
    failures = {Path(f["source"].split("!")[-1]).name: f["reason"] for f in jsonl(out / "failures.jsonl")}
    assert set(failures) == {"empty.txt", "escape.txt", "broken.zip"}
    assert "escapes the archive" in failures["escape.txt"]
    db = sqlite3.connect(out / "tables.sqlite")
    signed = db.execute(
        "SELECT phase, scope, SUM(investment_yi) FROM batches WHERE batch = 'signed' "
        "GROUP BY phase, scope ORDER BY phase, scope"
    ).fetchall()
    assert signed == [
        (8, "新乡市", 268.4),
        (8, "河南省", 4263.5),
        (10, "南阳市", 512.8),
        (10, "邓州市", 61.5),
        (12, "河南省", 5200.0),
    ]
    assert (
        pq.read_table(out / "parquet" / "batches.parquet").num_rows
        == db.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
    )
    assert len(list((out / "articles").glob("*.json"))) == 4
    assert len(list((out / "articles").glob("*.md"))) == 4
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| 12 | 2024-04-02 | Henan Province | 713 | ≈5,200 |" in report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2
    assert "<script" not in html
    images = re.findall(r"!\[[^]]+\]\(([^)]+)\)", report)  # the Markdown's charts are images beside it
    assert len(images) == 2
    for image in images:
        svg = ElementTree.parse(out / image).getroot()  # a well-formed SVG file of its own
        bars = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.find("{*}title") is not None]
        assert len(bars) == 3 * 2, image  # signed, started, commissioned for phases 8 and 12 (province level)
        title = svg.find("{*}text")
        assert title is not None
        assert f"![{title.text}]({image})" in report
    db.close()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("state")) == ["state.sqlite"]  # no WAL left


def test_batch_strict_exits_11_after_every_output_when_articles_failed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    out = tmp_path / "out"
    args = ["batch", str(folder), "--out", str(out), "--engine", "offline", "-q", "--strict"]
    clean = CliRunner().invoke(app, args)
    assert clean.exit_code == 0, clean.stderr
    (folder / "empty.txt").write_bytes(b"")
    unclean = CliRunner().invoke(app, args)
    assert unclean.exit_code == 11
    assert unclean.stderr.splitlines()[-1] == (
        "summarise: error: 1 article(s) failed and 0 flagged (--strict); see failures.jsonl and the report"
    )
    assert [Path(f["source"]).name for f in jsonl(out / "failures.jsonl")] == ["empty.txt"]
    assert len(jsonl(out / "articles.jsonl")) == 1  # the outputs are written first
    assert "1 failed" in (out / "report.md").read_text(encoding="utf-8")
    lenient = CliRunner().invoke(app, args[:-1])
    assert lenient.exit_code == 0, lenient.stderr


def test_same_round_from_two_articles_is_merged_and_disagreements_listed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = fixture_text("province_and_city.txt")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text(text.replace("本报讯 4月 12日", "本报讯（晚报） 4月 12日"), encoding="utf-8")
    (folder / "c.txt").write_text(text.replace("581个", "518个"), encoding="utf-8")  # a misprint
    for name in ("d", "e"):  # more reprints: the report names three sources of a value, and counts the rest
        (folder / f"{name}.txt").write_text(f"{text}\n（{name}版）\n", encoding="utf-8")
    out = tmp_path / "out"
    run_batch([str(folder)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=1))
    write_outputs(out)
    summary = write_report(out)
    province = next(m for m in summary.rounds if m.scope == "河南省")
    assert province.articles == 5
    assert province.value("signed.projects") == 581
    assert province.disagreements() == [
        f"signed.projects: 581 ({folder / 'a.txt'}, {folder / 'b.txt'}, {folder / 'd.txt'} and 1 more);"
        f" 518 ({folder / 'c.txt'})"
    ]


@pytest.mark.vcr("good_province_and_city.yaml")
def test_llm_batch_calls_the_model_once_per_article_and_never_again(tmp_path: Path, vcr) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    (folder / "a_copy_gbk.txt").write_bytes(fixture_text("province_and_city.txt").encode("gbk"))
    settings = SCENARIOS["good_province_and_city"].settings()
    out = tmp_path / "out"
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    first = run_batch(
        [str(folder)], settings, BatchOptions(out=out, workers=1, concurrency=4),
        on_progress=lambda tally, total: seen.append(gc.get_threshold()),
    )  # fmt: skip
    assert (first.ok, first.model_calls, vcr.play_count) == (2, 1, 1)  # two sources, one article, one call
    assert seen[-1] == (10_000, *before[1:])  # young objects collected more rarely during the run
    assert gc.get_freeze_count() == 0  # the SDKs' objects, frozen for the run, are collectable again
    assert gc.get_threshold() == before
    second = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1, concurrency=4))
    assert (second.ok, second.model_calls, second.cached, vcr.play_count) == (2, 0, 2, 1)  # zero model calls
    write_outputs(out)
    [record] = jsonl(out / "articles.jsonl")
    assert record["article"]["engine"] == "llm:authored-good-model"


def test_killed_run_resumes_with_every_article_exactly_once(tmp_path: Path) -> None:
    """A real process, SIGKILLed part-way, then started again."""
    folder = tmp_path / "in"
    folder.mkdir()
    generated = list(generate(3000))
    for g in generated:
        (folder / g.name).write_text(g.text, encoding="utf-8")
    out = tmp_path / "out"
    command = [summarise_exe(), "batch", str(folder), "--out", str(out), "--engine", "offline", "-q", "--workers", "1"]
    killed_at = kill_part_way(command, out / "state.sqlite", after=200)
    assert 0 < killed_at < len(generated), "the run was killed part-way"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    records = jsonl(out / "articles.jsonl")
    assert len(records) == len(generated)
    assert len({r["text_hash"] for r in records}) == len(generated)
    sources = sorted(Path(s).name for r in records for s in r["sources"])
    assert sources == sorted(g.name for g in generated)  # none lost, none twice
    by_name = {Path(r["sources"][0]).name: r for r in records}
    for g in generated[:50]:
        [round_] = [e for e in by_name[g.name]["article"]["events"] if e["type"] == "campaign_round"]
        assert (round_["phase"], round_["scope"]["name"], round_["signed"]["projects"]["value"]) == (
            g.phase,
            g.city,
            g.signed,
        )


@pytest.mark.vcr("batch_api_two_articles.yaml")
def test_batch_api_path_verifies_and_stores_like_live(tmp_path: Path, vcr) -> None:  # type: ignore[no-untyped-def]
    scenario = SCENARIOS["batch_api_two_articles"]
    tally = scenario.run_batch_api(tmp_path / "in", tmp_path / "out")
    assert (tally.ok, tally.flagged, tally.failed, vcr.play_count) == (1, 1, 0, 5)  # upload, create, 2 polls, download
    write_outputs(tmp_path / "out")
    records = {Path(r["sources"][0]).name: r for r in jsonl(tmp_path / "out" / "articles.jsonl")}
    nanyang = records["county_in_city.txt"]["article"]["events"][0]
    assert nanyang["signed"]["investment"]["value"] == 521.8
    assert nanyang["signed"]["investment"]["status"] == "mismatch"
    flagged = [
        (e["scope"]["name"], k, part)
        for r in records.values()
        for e in r["article"]["events"]
        if e["type"] == "campaign_round"
        for k in ("signed", "started", "commissioned")
        if e.get(k)
        for part in ("projects", "investment")
        if e[k].get(part) and e[k][part]["status"] != "verified"
    ]
    assert flagged == [("南阳市", "signed", "investment")]  # exactly the wrong figure, and no right one
    assert records["province_and_city.txt"]["status"] == "ok"
    again = scenario.run_batch_api(tmp_path / "in", tmp_path / "out")
    assert (again.cached, vcr.play_count) == (2, 5)  # nothing submitted twice


class FlakyExtractor:
    """A fake model (the runner takes any extractor): fails while `down`, answers well after."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    async def extract(self, article: str, hints: list[str], check: CheckContext) -> Extraction:
        self.calls += 1
        if self.down:
            raise ProviderError("server error 500 from the fake endpoint after 3 attempts; giving up")
        with checking(check):
            draft = DraftArticle.model_validate(PROVINCE_AND_CITY)
        return Extraction(
            draft, Usage(model="fake", attempts=[AttemptUsage(attempt=1, prompt_tokens=1, completion_tokens=1)])
        )


def one_article_and_a_flaky_model(tmp_path: Path) -> tuple[Path, Settings, FlakyExtractor, Path]:
    """(the input folder, holding a.txt; settings; a model that is down; the output folder)"""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    return folder, SCENARIOS["good_province_and_city"].settings(), FlakyExtractor(), tmp_path / "out"


def test_retry_failed_takes_up_earlier_failures_and_only_then(tmp_path: Path) -> None:
    folder, settings, fake, out = one_article_and_a_flaky_model(tmp_path)
    first = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1), extractor=fake)
    assert (first.failed, fake.calls) == (1, 1)
    fake.down = False
    again = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1), extractor=fake)
    assert (again.failed, fake.calls) == (1, 1)  # a known failure is not paid for again by default
    retried = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1, retry_failed=True), extractor=fake)
    assert (retried.ok, retried.failed, fake.calls) == (1, 0, 2)
    write_outputs(out)
    [record] = jsonl(out / "articles.jsonl")
    assert record["status"] == "ok"
    assert jsonl(out / "failures.jsonl") == []


def test_retry_failed_asks_once_per_text_even_when_it_fails_again(tmp_path: Path) -> None:
    """Under --retry-failed a copy of a text that failed again in this run is linked to that
    failure, not sent again: the run asks about each text once."""
    folder, settings, fake, out = one_article_and_a_flaky_model(tmp_path)
    run_batch([str(folder)], settings, BatchOptions(out=out, workers=1), extractor=fake)
    (folder / "a_copy.txt").write_bytes(fixture_text("province_and_city.txt").encode("gbk"))
    retried = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1, retry_failed=True), extractor=fake)
    assert (retried.failed, retried.cached, fake.calls) == (2, 1, 2)


def test_outputs_do_not_depend_on_how_many_processes_write_them(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for g in generate(1_100, seed=5):  # three slices of articles
        (folder / g.name).write_text(g.text, encoding="utf-8")
    (folder / f"again_{g.name}").write_text(g.text, encoding="utf-8")  # one text with two sources
    out = tmp_path / "out"
    run_batch([str(folder)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=2))

    def snapshot() -> dict[str, object]:
        db = sqlite3.connect(out / "tables.sqlite")
        tables = {t: db.execute(f"SELECT * FROM {t}").fetchall() for t in ("articles", "rounds", "batches", "figures")}
        db.close()
        files = {p.name: p.read_bytes() for p in (out / "articles").iterdir()}
        return {"jsonl": (out / "articles.jsonl").read_bytes(), "report": (out / "report.md").read_bytes(),
                "tables": tables, "files": files}  # fmt: skip

    assert write_outputs(out, workers=1) == {"articles": 1_100, "failures": 0}
    write_report(out)
    one = snapshot()
    assert write_outputs(out, workers=2) == {"articles": 1_100, "failures": 0}
    write_report(out)
    assert snapshot() == one
    assert len(one["files"]) == 2 * 1_100  # type: ignore[arg-type]
    assert b"again_" in one["jsonl"]  # type: ignore[operator]


def test_outputs_written_again_after_an_interrupted_write_hold_only_this_write(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in")
    out = tmp_path / "out"
    run_batch([str(archive)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=1))
    write_outputs(out)
    expected = sorted(p.name for p in (out / "articles").iterdir())
    (out / "articles").rename(out / "articles.old")  # a kill between the two renames: no articles/ at all
    for leftover in ("articles.tmp", "articles.old", "parquet.tmp"):  # and half-written folders beside it
        (out / leftover).mkdir(exist_ok=True)
        (out / leftover / "stray.json").write_text("{}", encoding="utf-8")

    write_outputs(out)
    assert sorted(p.name for p in (out / "articles").iterdir()) == expected
    assert [p.name for p in out.iterdir() if p.suffix in {".tmp", ".old"}] == []
    assert len(expected) == 2 * len(jsonl(out / "articles.jsonl"))  # a JSON record and a briefing each


@pytest.mark.parametrize(
    ("budget", "order"),
    [
        pytest.param(8_000_000, ["read a", "read a_gbk", "read b", "engine a", "engine b"], id="one-batch"),
        pytest.param(1, ["read a", "engine a", "read a_gbk", "read b", "engine b"], id="one-text-at-a-time"),
    ],
)
def test_the_offline_engine_runs_once_per_text_not_once_per_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int, order: list[str]
) -> None:
    import summarise.batch as batch

    folder = tmp_path / "in"
    folder.mkdir()
    text = fixture_text("province_and_city.txt")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "a_gbk.txt").write_bytes(text.encode("gbk"))  # the same text in another encoding
    (folder / "b.txt").write_text(fixture_text("county_in_city.txt"), encoding="utf-8")
    (folder / "c.txt").write_text(fixture_text("county_in_city.txt"), encoding="utf-8")  # b's text, next chunk
    events: list[str] = []
    real_engine, real_read = batch.offline_article, batch.read_member

    def engine(text: str, **kwargs: str | None) -> tuple[object, object]:
        events.append(f"engine {Path(str(kwargs['source'])).stem}")
        return real_engine(text, **kwargs)  # type: ignore[arg-type]

    def read(name: str, data: bytes | None) -> object:
        events.append(f"read {Path(name).stem}")
        return real_read(name, data)

    monkeypatch.setattr(batch, "offline_article", engine)
    monkeypatch.setattr(batch, "read_member", read)
    monkeypatch.setattr(batch, "_WORKER_STORES", {})
    monkeypatch.setattr(batch, "_TEXT_BUDGET", budget)  # 1: a worker holds one decoded text at a time
    state = tmp_path / "out" / "state.sqlite"
    first = batch.offline_chunk(
        str(state), "offline", [(str(folder / n), None) for n in ("a.txt", "a_gbk.txt", "b.txt")], []
    )
    second = batch.offline_chunk(str(state), "offline", [(str(folder / "c.txt"), None)], [])
    for store in batch._WORKER_STORES.values():
        store.close()

    assert events == [*order, "read c"]  # neither copy was run through the engine again
    assert (first["ok"] + first["flagged"], first["cached"], second["cached"]) == (3, 1, 1)
    db = sqlite3.connect(state)
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT cache_key) FROM sources").fetchone() == (4, 2)
    assert db.execute("SELECT COUNT(*) FROM results").fetchone() == (2,)
    db.close()


@pytest.mark.parametrize(
    ("stored", "retry_failed", "engine_runs"),
    [
        pytest.param("ok", False, ["b"], id="answered-before"),
        pytest.param("failed", False, ["b"], id="failed-before"),
        pytest.param("failed", True, ["a_copy", "b"], id="failed-before-and-asked-again"),
    ],
)
def test_the_llm_batch_runs_the_offline_engine_only_for_texts_it_will_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: str, retry_failed: bool, engine_runs: list[str]
) -> None:
    """A copy of a text the store already answered (under another name) is linked to that answer:
    reading and hashing it is enough, the engine's hints and fallback are not needed."""
    import summarise.batch as batch
    from summarise.store import Result, Store, cache_key, text_hash

    folder = tmp_path / "in"
    folder.mkdir()
    text = fixture_text("province_and_city.txt")
    (folder / "a_copy.txt").write_bytes(text.encode("gbk"))
    (folder / "b.txt").write_text(fixture_text("county_in_city.txt"), encoding="utf-8")
    state = tmp_path / "out" / "state.sqlite"
    state.parent.mkdir()
    key = cache_key(text_hash(text), "llm:m", "p1", batch.SCHEMA_VERSION)
    store = Store(state)
    with store.transaction():
        store.save(Result(key, text_hash(text), stored, "{}", None, 1), str(folder / "a.txt"))
    store.close()
    runs: list[str] = []
    real_engine = batch.offline_article

    def engine(text: str, **kwargs: str | None) -> tuple[object, object]:
        runs.append(Path(str(kwargs["source"])).stem)
        return real_engine(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "offline_article", engine)
    monkeypatch.setattr(batch, "_WORKER_STORES", {})
    items: list[tuple[str, bytes | None]] = [(str(folder / n), None) for n in ("a_copy.txt", "b.txt")]
    copy, other = batch.prepare_llm_chunk(str(state), "llm:m", "p1", retry_failed, items)
    for open_store in batch._WORKER_STORES.values():
        open_store.close()
    assert runs == engine_runs
    assert (copy.sha, other.sha) == (text_hash(text), text_hash(fixture_text("county_in_city.txt")))
    assert (copy.article_json is None) == (engine_runs == ["b"])
    assert other.article_json is not None


def test_an_output_folder_inside_the_input_is_never_read_as_input(tmp_path: Path) -> None:
    archive = tmp_path / "pages"
    archive.mkdir()
    for name in ("province_and_city.txt", "county_in_city.txt"):
        (archive / name).write_text(fixture_text(name), encoding="utf-8")
    options = BatchOptions(out=archive / "out", workers=1, selection=Selection(("*",)))
    for _ in range(2):  # the second run finds the first run's outputs beside the articles
        tally = run_batch([str(archive)], Settings(engine=Engine.OFFLINE), options)
        write_outputs(options.out)
        write_report(options.out)
    assert (tally.ok, tally.flagged, tally.failed, tally.cached) == (2, 0, 0, 2)
    assert len(jsonl(options.out / "articles.jsonl")) == 2
    tally = run_batch([str(archive), str(options.out)], Settings(engine=Engine.OFFLINE), options)
    assert (tally.ok, tally.failed) == (2, 0)  # the output folder named as an input is not read either


def test_outputs_written_again_touch_only_what_changed(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in")
    out = tmp_path / "out"
    run_batch([str(archive)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=1))
    write_outputs(out)
    before = {p.name: p.stat().st_ino for p in (out / "articles").iterdir()}
    (out / "articles" / "0123456789abcdef.json").write_text("{}", encoding="utf-8")  # no such article
    (out / "articles" / "0123456789abcdef.md.tmp").write_text("half", encoding="utf-8")  # a killed write
    changed = next(p for p in (out / "articles").iterdir() if p.suffix == ".md")
    changed.write_text("edited by hand", encoding="utf-8")

    write_outputs(out)
    after = {p.name: p.stat().st_ino for p in (out / "articles").iterdir()}
    assert sorted(after) == sorted(before)  # the stray files are gone
    assert [n for n in after if after[n] != before[n]] == [changed.name]  # only that file was written again
    assert changed.read_text(encoding="utf-8").startswith("# ")


def test_chunks_shrink_towards_the_end_once_the_total_is_known(tmp_path: Path) -> None:
    from summarise.batch import BatchRunner, _chunks
    from summarise.inputs import Member

    runner = BatchRunner(Settings(engine=Engine.OFFLINE), BatchOptions(out=tmp_path, workers=2))
    items = [Member(f"{i}.txt") for i in range(2_000)]
    assert [len(c) for c in _chunks(iter(items), lambda n: runner._chunk_size(256, n))] == [256] * 7 + [208]
    runner.total = len(items)
    sizes = [len(c) for c in _chunks(iter(items), lambda n: runner._chunk_size(256, n))]
    assert sum(sizes) == 2_000
    assert sizes[:3] == [256, 256, 256]
    assert sizes[-1] <= 8
    assert sizes == sorted(sizes, reverse=True)
    runner.store.close()


@pytest.mark.vcr("hallucination_fixed_by_reask.yaml")
def test_batch_rate_limits_count_the_re_ask_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vcr) -> None:  # type: ignore[no-untyped-def]
    import summarise.batch
    from summarise.limits import RateLimiter

    asked: list[int] = []

    class Recording(RateLimiter):
        async def acquire(self, tokens: int) -> None:
            asked.append(tokens)
            await super().acquire(tokens)

    monkeypatch.setattr(summarise.batch, "RateLimiter", Recording)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    settings = SCENARIOS["hallucination_fixed_by_reask"].settings()
    tally = run_batch([str(folder)], settings, BatchOptions(out=tmp_path / "out", workers=1, rpm=100, tpm=1_000_000))
    assert (tally.ok, tally.model_calls, vcr.play_count) == (1, 2, 2)
    assert len(asked) == 2  # the first request and the re-ask


@pytest.mark.vcr("good_province_and_city.yaml")
def test_one_record_per_text_when_its_sources_were_run_with_different_engines(tmp_path: Path, vcr) -> None:  # type: ignore[no-untyped-def]
    text = fixture_text("province_and_city.txt")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "page.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_batch([str(first)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=1))
    llm = SCENARIOS["good_province_and_city"].settings()
    run_batch([str(second)], llm, BatchOptions(out=out, workers=1))  # the same text, another engine
    assert write_outputs(out) == {"articles": 1, "failures": 0}
    [record] = jsonl(out / "articles.jsonl")
    assert sorted(record["sources"]) == [str(first / "page.txt"), str(second / "page.txt")]
    assert record["article"]["engine"] == "llm:authored-good-model"  # the latest result stands
    province = next(m for m in write_report(out).rounds if m.scope == "河南省")
    assert province.articles == 1
    assert vcr.play_count == 1


def test_an_article_too_long_for_the_model_keeps_its_offline_result(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "long.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    settings = SCENARIOS["good_province_and_city"].settings().with_(max_chars=100)
    out = tmp_path / "out"
    tally = run_batch([str(folder)], settings, BatchOptions(out=out, workers=1), extractor=FlakyExtractor())
    assert (tally.failed, tally.model_calls) == (1, 0)  # not sent
    write_outputs(out)
    [record] = jsonl(out / "articles.jsonl")
    assert "above the LLM engine's limit of 100" in record["error"]
    assert record["article"]["engine"] == "offline"
    assert [e["scope"]["name"] for e in record["article"]["events"] if e["type"] == "campaign_round"] == [
        "河南省",
        "新乡市",
    ]


def test_latest_by_text_groups_sources_by_text_in_first_name_order_latest_result_wins(tmp_path: Path) -> None:
    from summarise.store import Result, Store

    store = Store(tmp_path / "state.sqlite")
    store.save_many(
        [(Result("A-offline", "A", "ok", "{}", None), "z.txt"), (Result("B", "B", "ok", "{}", None), "a.txt")]
    )
    store.save_many([(Result("A-llm", "A", "flagged", "{}", None), "b.txt")])  # the same text, later, another engine
    store.link("c.txt", "A-offline", "ok")
    assert list(store.latest_by_text()) == [("B", ["a.txt"]), ("A-llm", ["b.txt", "c.txt", "z.txt"])]
    store.close()


def test_a_disagreement_lists_the_five_most_reported_values_and_counts_the_rest() -> None:
    from summarise.report import merge_rounds

    def row(i: int, projects: float) -> tuple[object, ...]:
        return (f"sha{i}", 0, f"s{i}.txt", "三个一批", 9, "河南省", "Henan Province", "2023-07-01",
                "signed", projects, "verified", "exact", None, None, None)  # fmt: skip

    values = [581] * 4 + [518] * 2 + [588, 501, 851, 185, 158]
    [merged] = merge_rounds(row(i, v) for i, v in enumerate(values))
    assert merged.value("signed.projects") == 581
    assert merged.disagreements() == [
        "signed.projects: 581 (s0.txt, s1.txt, s2.txt and 1 more); 518 (s4.txt, s5.txt); 588 (s6.txt);"
        " 501 (s7.txt); 851 (s8.txt); 2 other values from 2 sources"
    ]


def test_killed_llm_run_resumes_exactly_once_and_a_second_run_makes_no_model_call(tmp_path: Path) -> None:
    """The real process with the LLM engine, its model a cassette replayed on 127.0.0.1."""
    folder = tmp_path / "in"
    folder.mkdir()
    generated = list(generate(400, seed=7))
    for g in generated:
        (folder / g.name).write_text(g.text, encoding="utf-8")
    replay = tmp_path / "replay"
    replay.mkdir()
    cassette = CASSETTES / "good_province_and_city.yaml"
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("replay_server.py")), str(cassette), str(replay)]
    )
    try:
        deadline = time.monotonic() + 30
        while not (replay / "port").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{(replay / 'port').read_text(encoding='utf-8')}/v1"
        out = tmp_path / "out"
        command = [summarise_exe(), "batch", str(folder), "--out", str(out), "--engine", "llm", "--preset", "custom",
                   "--base-url", base_url, "--model", "replayed", "--max-retries", "0", "--concurrency", "4",
                   "-q"]  # fmt: skip
        killed_at = kill_part_way(command, out / "state.sqlite", after=60)
        assert 0 < killed_at < len(generated), "the run was killed part-way"

        resumed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert resumed.returncode == 0, resumed.stderr
        calls = int((replay / "calls").read_text(encoding="utf-8"))
        assert killed_at <= len(generated) <= calls < len(generated) + 20  # at most the kill's in-flight calls again
        records = jsonl(out / "articles.jsonl")
        assert sorted(Path(s).name for r in records for s in r["sources"]) == sorted(g.name for g in generated)
        assert len({r["text_hash"] for r in records}) == len(records) == len(generated)
        assert all(r["article"]["engine"].startswith("llm") for r in records)

        again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert again.returncode == 0, again.stderr
        assert int((replay / "calls").read_text(encoding="utf-8")) == calls  # every answer came from the store
        assert jsonl(out / "articles.jsonl") == records
    finally:
        server.terminate()
        server.wait()
