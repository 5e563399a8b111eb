"""A local OpenAI-compatible stub with injected latency, for the concurrency benchmark.

    python bench/stub_server.py --port 18090 --latency 1.0

Answers every chat completion after `latency` seconds with a tool call holding a minimal valid
draft (an English headline, no rounds), so the batch runner does its full work per article while
the model costs exactly one call. Counts requests and the peak number in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from aiohttp import web

DRAFT = {
    "headline_english": "A campaign round was held.",
    "key_points": [],
    "rounds": [],
    "cumulative": [],
    "people": [],
}
state: dict[str, float] = {"requests": 0, "in_flight": 0, "peak": 0, "first_request": 0.0, "last_response": 0.0}


async def chat(request: web.Request) -> web.Response:
    await request.read()
    if state["first_request"] == 0.0:
        state["first_request"] = time.monotonic()
    state["requests"] += 1
    state["in_flight"] += 1
    state["peak"] = max(state["peak"], state["in_flight"])
    try:
        await asyncio.sleep(request.app["latency"])
    finally:
        state["in_flight"] -= 1
        state["last_response"] = time.monotonic()
    n = state["requests"]
    body = {
        "id": f"chatcmpl-stub-{n}", "object": "chat.completion", "created": 0, "model": "stub",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                     "tool_calls": [{"id": f"call_{n}", "type": "function",
                                     "function": {"name": "DraftArticle", "arguments": json.dumps(DRAFT)}}]}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020},
    }  # fmt: skip
    return web.json_response(body)


async def stats(request: web.Request) -> web.Response:
    return web.json_response(state)


async def reset(request: web.Request) -> web.Response:
    state.update(requests=0, in_flight=0, peak=0, first_request=0.0, last_response=0.0)
    return web.json_response(state)


def make_app(latency: float) -> web.Application:
    app = web.Application()
    app["latency"] = latency
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()
    web.run_app(make_app(args.latency), host="127.0.0.1", port=args.port, print=None, backlog=1024)
