"""Record the LLM cassettes in cassettes/.

    python scripts/record_cassettes.py                     # every authored scenario, via a local stub
    python scripts/record_cassettes.py good_province_and_city
    python scripts/record_cassettes.py --live --base-url https://api.openai.com/v1 \\
        --model gpt-4o-mini --api-key-env OPENAI_API_KEY good_province_and_city
    python scripts/record_cassettes.py --live --base-url http://127.0.0.1:8089/v1 \\
        --model gemma-3-270m --no-key llamacpp_gemma3_270m

Authored scenarios: a stub server on 127.0.0.1:18089 answers with the replies written in
tests/llm_scenarios.py, and the real client's real requests are recorded beside them.
Live: the same scenario against a real endpoint; its answers replace the authored ones.
Either way credentials are filtered (tests/cassette_format.py) and a header line in the file
says where the answers came from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cassette_format import CASSETTES, make_vcr, vcr_settings
from llm_scenarios import SCENARIOS, STUB_URL, Reply, Scenario

from summarise.errors import SummariseError


def _stub(replies: list[Reply]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            reply = replies.pop(0) if replies else Reply(599, {"error": {"message": "no authored reply left"}})
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body, ensure_ascii=False)
            data = body.encode("utf-8")
            self.send_response(reply.status)
            for name, value in {"content-type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("x-cassette-origin", "authored")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 18089), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def record(scenario: Scenario, *, live: bool, base_url: str | None, model: str | None, key_env: str | None) -> str:
    path = CASSETTES / f"{scenario.name}.yaml"
    path.unlink(missing_ok=True)
    server = None
    if live:
        key = os.environ.get(key_env, "") if key_env else None
        settings = {"base_url": base_url, "model": model, "key": key}
        origin = f"recorded live from {base_url}, model {model or scenario.model}, on {dt.date.today()}"
    else:
        server = _stub(list(scenario.replies))
        settings = {"base_url": STUB_URL}
        origin = (
            "authored: replies written by hand in the chat-completions wire format "
            "(tests/llm_scenarios.py); requests recorded from the real client"
        )
    outcome = "ok"
    try:
        with make_vcr("all").use_cassette(f"{scenario.name}.yaml", **vcr_settings("all")):
            try:
                if scenario.batch_api_fixtures:
                    with tempfile.TemporaryDirectory() as tmp:
                        tally = scenario.run_batch_api(Path(tmp) / "in", Path(tmp) / "out", **settings)
                    outcome = f"ok: {tally.ok} ok, {tally.flagged} flagged, {tally.failed} failed"
                else:
                    article = scenario.run(**settings)
                    outcome = f"ok: {article.verification.verified} verified, {article.verification.unverified} flagged"
            except SummariseError as exc:
                outcome = f"error: {exc}"
    finally:
        if server:
            server.shutdown()
            server.server_close()
    text = path.read_text(encoding="utf-8")
    path.write_text(f"# origin: {origin}\n# outcome when recorded: {outcome}\n{text}", encoding="utf-8")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description="Record LLM cassettes (authored via a stub, or --live).")
    parser.add_argument("names", nargs="*", help="scenarios (default: every authored one)")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY")
    parser.add_argument("--no-key", action="store_true", help="a local server that takes no key")
    args = parser.parse_args()
    names = args.names or [n for n, s in SCENARIOS.items() if s.replies]
    for name in names:
        scenario = SCENARIOS[name]
        if not args.live and not scenario.replies:
            parser.error(f"{name} has no authored replies: record it with --live")
        outcome = record(
            scenario,
            live=args.live,
            base_url=args.base_url,
            model=args.model,
            key_env=None if args.no_key else args.api_key_env,
        )
        print(f"{name}: {outcome}")


if __name__ == "__main__":
    main()
