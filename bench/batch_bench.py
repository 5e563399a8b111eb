"""Batch benchmarks: LLM concurrency against a stub with latency; offline engine at archive scale.

    python bench/batch_bench.py concurrency [--latency 1.0] [--levels 1,8,32,64] [--waves 20]
    python bench/batch_bench.py ceiling [--latency 1.0] [--levels 1,8,32,64] [--waves 20]
    python bench/batch_bench.py offline [--articles 10000] [--rounds 3] [--pages DIR]

concurrency: starts bench/stub_server.py, runs `summarise batch` (in process) over generated
articles with --concurrency N (`--waves` times N of them) and prints model calls per second
against the ideal N/latency; start-up and the last wave's drain cost about a second whatever the
number of waves, so more waves come closer to the rate of a long archive;
the SDK modules are loaded once before the first level (timed, in no figure), as imports are
excluded from the offline figures, so that no level pays them alone.
ceiling: the same calls against the same stub without the batch runner, layer by layer: the HTTP
client openai is built on posting the request body alone, the bare openai SDK, and the extractor
(openai + instructor + the answer's checks); each with a client per eight requests in flight, as
the extractor makes them. What the runner's figure can reach on this machine, and what each layer
costs of it.
offline: writes a generated archive of N articles and, each in a fresh process and interleaved
over several rounds, times the single-file job (read, decode, offline engine, briefing) on one
core alone and on every core at once (one process per core over its share of the files), then
the batch runner over the folder with all cores (processing, then also every output and the
report). Prints medians in articles per second per core; module imports are excluded from every
figure but the last, `summarise FILE` run once per file. The generated articles are one short
story each (~300 bytes); `--pages DIR` builds the archive from the newspaper pages in DIR instead
(../shared/samples/articles: 6-11 KB, several stories each), each copy made a distinct text by a
line of its own, so that the per-article costs of the batch weigh as they do on real pages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from corpus import generate  # noqa: E402

from summarise.batch import BatchOptions, run_batch  # noqa: E402
from summarise.pipeline import llm_inputs, offline_article, summarise_file  # noqa: E402
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


def _write_pages(folder: Path, count: int, pages: Path) -> list[Path]:
    """`count` articles cycled from the pages in `pages`, each a distinct text (its own last line)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(pages.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"{pages}: no .txt pages")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"page_{i:06d}.txt"
        path.write_text(f"{texts[i % len(texts)]}\n（第{i}号稿件）\n", encoding="utf-8")
        paths.append(path)
    return paths


def _stub_settings(port: int) -> Settings:
    return Settings(
        engine=Engine.LLM, preset="custom", base_url=f"http://127.0.0.1:{port}/v1", model="stub",
        api_key=None, api_key_env=None, mode=Mode.TOOLS, max_retries=0, timeout=60,
    )  # fmt: skip


@contextlib.contextmanager
def _stub(latency: float) -> Iterator[int]:
    """bench/stub_server.py in its own process, answering once it is up: its port."""
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
        yield port
    finally:
        server.terminate()
        server.wait()


def _load_sdks(port: int) -> None:
    start = time.perf_counter()
    from summarise.llm import AsyncLLMExtractor  # here: loading the SDKs is timed

    asyncio.run(AsyncLLMExtractor(_stub_settings(port)).aclose())  # builds a client: openai.resources
    print(f"SDK modules loaded once, before every level: {time.perf_counter() - start:.2f} s (in no figure)")


def _calls(n: int, waves: int) -> int:
    return max(waves * n, 30)


def concurrency(latency: float, levels: list[int], waves: int) -> None:
    with _stub(latency) as port:
        _load_sdks(port)
        for n in levels:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / "in"
                _write(folder, _calls(n, waves))
                settings = _stub_settings(port)
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


async def _drive(call: Callable[[int], Awaitable[object]], n: int, total: int) -> float:
    """`total` calls, `n` at a time, each started as soon as one ends: calls per second."""
    slots = asyncio.Semaphore(n)

    async def one(i: int) -> None:
        async with slots:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    return total / (time.perf_counter() - start)


async def _layers(port: int, n: int, calls: int, texts: list[str]) -> dict[str, float]:
    import openai

    from summarise.llm import AsyncLLMExtractor, build_messages

    settings = _stub_settings(port)
    url = f"{settings.base_url}/chat/completions"
    inputs = []
    for i, text in enumerate(texts):
        article, facts = offline_article(text, source=f"{i}.txt")
        inputs.append((text, *llm_inputs(text, f"{i}.txt", article, facts, settings)))
    bodies = [{"model": settings.model, "messages": build_messages(text, hints)} for text, hints, _ in inputs]
    pools = -(-n // 8)
    rates = {}
    http = [openai.DefaultAsyncHttpxClient() for _ in range(pools)]

    async def post(i: int) -> object:
        response = await http[i % pools].post(url, json=bodies[i % len(bodies)])
        return response.raise_for_status().json()

    rates["HTTP client alone"] = await _drive(post, n, calls)
    for client in http:
        await client.aclose()
    # Each layer starts with new clients and so opens its own connections, as a batch does.
    sdk = [openai.AsyncOpenAI(api_key="stub", base_url=settings.base_url, max_retries=0) for _ in range(pools)]

    async def create(i: int) -> object:
        return await sdk[i % pools].chat.completions.create(**bodies[i % len(bodies)])  # type: ignore[call-overload]

    rates["openai SDK"] = await _drive(create, n, calls)
    for client in sdk:
        await client.close()
    extractor = AsyncLLMExtractor(settings, in_flight=n)

    async def extract(i: int) -> object:
        return await extractor.extract(*inputs[i % len(inputs)])

    rates["extractor: openai + instructor + checks"] = await _drive(extract, n, calls)
    await extractor.aclose()
    return rates


def ceiling(latency: float, levels: list[int], waves: int) -> None:
    texts = [g.text for g in generate(200, seed=11)]
    with _stub(latency) as port:
        _load_sdks(port)
        print("calls per second, start of the first call to end of the last, no batch runner:")
        for n in levels:
            ideal = n / latency
            for layer, rate in asyncio.run(_layers(port, n, _calls(n, waves), texts)).items():
                print(f"concurrency {n:>3}, {layer:<40} {rate:6.2f} calls/s ({100 * rate / ideal:5.1f}% of {ideal:g})")


def _single_file_jobs(paths: list[Path]) -> tuple[float, float]:
    """The single-file job (file -> engine -> briefing) over `paths` in this process: (seconds, CPU)."""
    summarise_file(paths[0])  # imports and first-call set-up are not part of the job
    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        render(summarise_file(path), Format.TEXT)
    return time.perf_counter() - start, time.process_time() - cpu


def _child(what: str, folder: Path, share: str) -> None:
    """One measurement in a fresh process, printed as JSON: nothing inherited from the others."""
    paths = sorted(folder.glob("*.txt"))
    if what == "single":
        k, i = (int(x) for x in share.split("/"))
        seconds, cpu = _single_file_jobs(paths[i::k])
        print(json.dumps({"articles": len(paths[i::k]), "seconds": seconds, "cpu": cpu}))
        return
    from summarise.report import write_report
    from summarise.sinks import write_outputs

    out = Path(tempfile.mkdtemp())
    cores = len(os.sched_getaffinity(0))
    start, cpu = time.perf_counter(), time.process_time()
    run_batch([str(folder)], Settings(engine=Engine.OFFLINE), BatchOptions(out=out, workers=cores))
    processing = time.perf_counter() - start
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool has ended: its CPU is counted
    cpu = time.process_time() - cpu + workers.ru_utime + workers.ru_stime
    write_outputs(out, cores)
    write_report(out)
    whole = time.perf_counter() - start
    print(json.dumps({"articles": len(paths), "processing": processing, "whole": whole, "cpu": cpu}))


def _run_child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "_child", *args], stdout=subprocess.PIPE, text=True)


def offline(count: int, rounds: int, pages: Path | None) -> None:
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        paths = _write(folder, count) if pages is None else _write_pages(folder, count, pages)
        size = sum(p.stat().st_size for p in paths)
        what = "generated articles" if pages is None else f"articles from the pages in {pages}"
        print(f"{count:,} {what}, {size / 1e6:.1f} MB, {cores} cores; {rounds} rounds, medians shown")
        one_core, all_cores, batch, whole = [], [], [], []
        cpu_one, cpu_all, cpu_batch = [], [], []  # CPU seconds per article, every process counted
        for _ in range(rounds):  # interleaved, so a slower spell of the machine hits every figure
            done = json.loads(_run_child("single", str(folder), "1/0").communicate()[0])
            one_core.append(done["articles"] / done["seconds"])
            cpu_one.append(done["cpu"] / done["articles"])
            jobs = [_run_child("single", str(folder), f"{cores}/{i}") for i in range(cores)]
            results = [json.loads(j.communicate()[0]) for j in jobs]
            all_cores.append(count / max(r["seconds"] for r in results) / cores)
            cpu_all.append(sum(r["cpu"] for r in results) / count)
            done = json.loads(_run_child("batch", str(folder), "-").communicate()[0])
            batch.append(count / done["processing"] / cores)
            whole.append(count / done["whole"] / cores)
            cpu_batch.append(done["cpu"] / count)
        exe = Path(sys.executable).parent / "summarise"
        start = time.perf_counter()
        for path in paths[:20]:
            subprocess.run([str(exe), str(path), "--engine", "offline", "-f", "text"], capture_output=True, check=True)
        per_file = 20 / (time.perf_counter() - start)
        med = statistics.median
        print("articles per second per core (start-up excluded except where said):")
        print(f"  single-file job, one core alone:                  {med(one_core):8.1f}")
        print(f"  single-file job, one process per core, all busy:  {med(all_cores):8.1f}")
        shares = f"{100 * med(batch) / med(one_core):.0f}% / {100 * med(batch) / med(all_cores):.0f}%"
        print(f"  summarise batch, processing and state store:      {med(batch):8.1f}  ({shares} of the two above)")
        print(f"  summarise batch, with every output and the report: {med(whole):7.1f}")
        print(f"  `summarise FILE` per file, process start included: {per_file:7.1f}")
        for label, base in (("one core alone", one_core), ("one process per core", all_cores)):
            paired = [100 * b / s for b, s in zip(batch, base, strict=True)]  # same round: same spell of the machine
            listed = ", ".join(f"{x:.1f}%" for x in paired)
            print(f"  batch / single-file job ({label}), round by round: {listed} (median {med(paired):.1f}%)")
        print("CPU per article, every process of the job counted (µs):")
        print(f"  single-file job, one core alone:                  {1e6 * med(cpu_one):8.1f}")
        print(f"  single-file job, one process per core, all busy:  {1e6 * med(cpu_all):8.1f}")
        print(f"  summarise batch, processing and state store:      {1e6 * med(cpu_batch):8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["concurrency", "ceiling", "offline", "_child"])
    parser.add_argument("child", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--waves", type=int, default=20, help="calls per level: this many times N")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=Path, default=None)
    args = parser.parse_args()
    if args.what == "concurrency":
        concurrency(args.latency, [int(x) for x in args.levels.split(",")], args.waves)
    elif args.what == "ceiling":
        ceiling(args.latency, [int(x) for x in args.levels.split(",")], args.waves)
    elif args.what == "offline":
        offline(args.articles, args.rounds, args.pages)
    else:
        _child(args.child[0], Path(args.child[1]), args.child[2])
