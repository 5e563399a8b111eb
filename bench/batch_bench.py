"""Batch benchmarks: LLM concurrency against a stub with latency; offline engine at archive scale.

    python bench/batch_bench.py concurrency [--latency 1.0] [--levels 1,8,32,64]
    python bench/batch_bench.py offline [--articles 10000]

concurrency: starts bench/stub_server.py, runs `summarise batch` (in process) over generated
articles with --concurrency N and prints model calls per second against the ideal N/latency.
offline: writes a generated archive of N articles, times the same articles summarised one by
one in one process (read, decode, offline engine), then the batch runner over the folder with
all cores, and prints articles per second per core for both (CPU work only; process start
excluded by timing inside the process).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from corpus import generate  # noqa: E402

from summarise.batch import BatchOptions, run_batch  # noqa: E402
from summarise.pipeline import summarise_file  # noqa: E402
from summarise.render import Format, render  # noqa: E402
from summarise.settings import Engine, Mode, Settings  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for g in generate(count, seed=11):
        path = folder / g.name
        path.write_text(g.text, encoding="utf-8")
        paths.append(path)
    return paths


def concurrency(latency: float, levels: list[int]) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "stub_server.py"), "--port", str(port), "--latency", str(latency)]
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print(f"stub latency {latency:g} s per call; one model call per article (max_retries 0)")
        for n in levels:
            articles = max(20 * n, 30)  # enough waves that start-up (pool, imports) is amortised
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / "in"
                _write(folder, articles)
                settings = Settings(
                    engine=Engine.LLM, preset="custom", base_url=f"http://127.0.0.1:{port}/v1", model="stub",
                    api_key=None, api_key_env=None, mode=Mode.TOOLS, max_retries=0, timeout=60,
                )  # fmt: skip
                urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/reset", method="POST"))
                start = time.perf_counter()
                tally = run_batch([str(folder)], settings, BatchOptions(out=Path(tmp) / "out", concurrency=n))
                elapsed = time.perf_counter() - start
                after = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats"))
            calls = int(after["requests"])
            rate = calls / elapsed
            steady = calls / (after["last_response"] - after["first_request"])
            ideal = n / latency
            print(
                f"concurrency {n:>3}: {calls:>4} calls in {elapsed:6.2f} s = {rate:6.2f} calls/s"
                f" ({100 * rate / ideal:5.1f}% of {ideal:g}); first request to last answer"
                f" {steady:6.2f} calls/s ({100 * steady / ideal:5.1f}%); peak in flight {after['peak']:.0f},"
                f" ok {tally.ok + tally.flagged}"
            )
    finally:
        server.terminate()
        server.wait()


def offline(count: int) -> None:
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        paths = _write(folder, count)
        size = sum(p.stat().st_size for p in paths)
        print(f"{count:,} generated articles, {size / 1e6:.1f} MB, {cores} cores")
        summarise_file(paths[0])
        start = time.perf_counter()
        for path in paths:
            summarise_file(path)
        engine_only = count / (time.perf_counter() - start)
        print(f"one by one, engine only (summarise_file):            {engine_only:8.1f} articles/s per core")
        start = time.perf_counter()
        for path in paths:
            render(summarise_file(path), Format.TEXT)
        single = count / (time.perf_counter() - start)
        print(f"one by one, the single-file job (file -> briefing):  {single:8.1f} articles/s per core")
        exe = Path(sys.executable).parent / "summarise"
        start = time.perf_counter()
        for path in paths[:20]:
            subprocess.run([str(exe), str(path), "--engine", "offline", "-f", "text"], capture_output=True, check=True)
        per_file = 20 / (time.perf_counter() - start)
        print(f"one by one, `summarise FILE` per file (process start): {per_file:8.1f} articles/s per core")
        start = time.perf_counter()
        tally = run_batch(
            [str(folder)], Settings(engine=Engine.OFFLINE), BatchOptions(out=Path(tmp) / "out", workers=cores)
        )
        elapsed = time.perf_counter() - start
        rate = count / elapsed
        print(
            f"summarise batch, {cores} workers:                         {rate / cores:8.1f} articles/s per core"
            f" ({rate:.1f} in all; ok {tally.ok}, flagged {tally.flagged}, failed {tally.failed})"
        )
        from summarise.report import write_report
        from summarise.sinks import write_outputs

        start = time.perf_counter()
        write_outputs(Path(tmp) / "out")
        write_report(Path(tmp) / "out")
        print(f"writing outputs and report: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["concurrency", "offline"])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    if args.what == "concurrency":
        concurrency(args.latency, [int(x) for x in args.levels.split(",")])
    else:
        offline(args.articles)
