"""LLM scenarios: which fixture, which settings, and, for authored cassettes, the replies.

Each scenario is one cassette in cassettes/<name>.yaml. The tests replay them; the script
scripts/record_cassettes.py records them, either against a stub server that sends the authored
replies below (the request in the cassette is then the real request of the real client), or
against a live endpoint (--live), which replaces the authored replies with a real model's.
The replies are written by hand in the chat-completions wire format and say so in a header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import fixture_text
from pydantic import SecretStr

from summarise.batch import BatchOptions, Tally
from summarise.batch_api import run_via_batch_api
from summarise.pipeline import summarise_text
from summarise.records import Article
from summarise.settings import Engine, Mode, Settings

STUB_URL = "http://127.0.0.1:18089/v1"
TEST_KEY = "sk-test-0000-not-a-real-key-0000"  # must never appear in a cassette or a message


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # a dict (JSON) or a raw string
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    fixture: str
    mode: Mode = Mode.TOOLS
    max_retries: int = 2
    transport_attempts: int = 3
    model: str = "authored-good-model"
    max_tokens: int = 4096
    replies: tuple[Reply, ...] = ()
    batch_api_fixtures: tuple[str, ...] = ()  # set: the scenario is a `batch --via-batch-api` run

    def settings(self, base_url: str = STUB_URL, model: str | None = None, key: str | None = TEST_KEY) -> Settings:
        return Settings(
            engine=Engine.LLM,
            preset="custom",
            base_url=base_url,
            model=model or self.model,
            api_key=SecretStr(key) if key else None,
            api_key_env="SUMMARISE_TEST_KEY" if key else None,
            mode=self.mode,
            max_retries=self.max_retries,
            transport_attempts=self.transport_attempts,
            backoff_seconds=0.01,
            transport_max_seconds=30,
            timeout=900,
            max_tokens=self.max_tokens,
        )

    def run(self, **settings: Any) -> Article:
        return summarise_text(fixture_text(self.fixture), source=self.fixture, settings=self.settings(**settings))

    def run_batch_api(self, folder: Path, out: Path, **settings: Any) -> Tally:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.batch_api_fixtures:
            (folder / name).write_text(fixture_text(name), encoding="utf-8")
        return run_via_batch_api(
            [str(folder)], self.settings(**settings), BatchOptions(out=out, workers=1), poll_seconds=0
        )


def completion(draft: dict[str, Any] | str, mode: Mode, n: int = 1, model: str = "authored-good-model") -> Reply:
    """A chat.completion object as an OpenAI-compatible server sends it."""
    arguments = draft if isinstance(draft, str) else json.dumps(draft, ensure_ascii=False)
    if mode is Mode.TOOLS:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_authored_{n}",
                    "type": "function",
                    "function": {"name": "DraftArticle", "arguments": arguments},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": arguments}
        finish = "stop"
    body = {
        "id": f"chatcmpl-authored-{n}",
        "object": "chat.completion",
        "created": 1763800000 + n,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": 2400 + 300 * n,
            "completion_tokens": len(arguments) // 2,
            "total_tokens": 2400 + 300 * n + len(arguments) // 2,
        },
    }
    return Reply(200, body, {"content-type": "application/json"})


def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        {"content-type": "application/json", **(headers or {})},
    )


def _fig(value: float, quote: str, qualifier: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "quote": quote}
    if qualifier:
        out["qualifier"] = qualifier
    return out


def _batch(projects: int, p_quote: str, yi: float | None = None, y_quote: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"projects": _fig(projects, p_quote)}
    if yi is not None and y_quote:
        out["investment"] = _fig(yi, y_quote)
    return out


PROVINCE_AND_CITY = {
    "headline_english": "Henan holds phase 8 of the 'Three Batches' campaign: 581 projects signed worth CNY 426.35 billion",
    "key_points": [
        "On 12 April the province signed 581 projects (CNY 426.35 billion), started 672 (CNY 503.12 billion) and commissioned 547 (CNY 331.87 billion).",
        "Xinxiang's sub-venue signed 37 projects worth CNY 26.84 billion, started 45 and commissioned 29.",
        "Party Secretary Lou Yangsheng spoke; Governor Wang Kai set out the work.",
    ],
    "rounds": [
        {
            "scope": "河南省", "phase": 8, "date": "2023-04-12",
            "signed": _batch(581, "签约项目 581个", 4263.5, "总投资\n4263.5亿元"),
            "started": _batch(672, "开工项目 672个", 5031.2, "5031.2亿元"),
            "commissioned": _batch(547, "投产项目 547个", 3318.7, "3318.7亿元"),
        },
        {
            "scope": "新乡市", "phase": 8, "date": "2023-04-12",
            "signed": _batch(37, "“签约一批”项目 37个", 268.4, "268.4亿元"),
            "started": _batch(45, "“开工一批”项目 45个", 301.6, "301.6亿元"),
            "commissioned": _batch(29, "“投产一批”项目 29\n个", 152.3, "152.3亿元"),
        },
    ],
    "cumulative": [],
    "people": [
        {"name": "楼阳生", "title": "省委书记", "title_english": "Party Secretary of Henan"},
        {"name": "王凯", "title": "省长", "title_english": "Governor of Henan"},
        {"name": "李卫东", "title": "市委书记", "title_english": "Party Secretary of Xinxiang"},
        {"name": "魏建平", "title": "市长", "title_english": "Mayor of Xinxiang"},
    ],
}  # fmt: skip

COUNTY_IN_CITY = {
    "headline_english": "Nanyang signs 64 projects worth CNY 51.28 billion in phase 10 of the 'Three Batches' campaign",
    "key_points": [
        "Nanyang's sub-venue signed 64 projects (CNY 51.28 billion), started 88 (CNY 43.61 billion) and commissioned 71 (CNY 29.84 billion) on 9 October.",
        "Dengzhou, a county-level city of Nanyang, signed 9 projects worth CNY 6.15 billion.",
    ],
    "rounds": [
        {
            "scope": "南阳市", "phase": 10, "date": "2023-10-09",
            "signed": _batch(64, "签约项目 64个", 512.8, "总投资 512.8亿元"),
            "started": _batch(88, "开工项目 88个", 436.1, "总投资 436.1亿元"),
            "commissioned": _batch(71, "投产项目 71个", 298.4, "总投资 298.4亿元"),
        },
        {
            "scope": "邓州市", "phase": 10, "date": "2023-10-09",
            "signed": _batch(9, "签约项目 9个", 61.5, "总投资 61.5亿元"),
            "started": _batch(12, "开工项目 12个", 47.3, "总投资 47.3亿元"),
            "commissioned": _batch(8, "投产项目 8个", 22.6, "22.6亿元"),
        },
    ],
    "people": [
        {"name": "朱是西", "title": "市委书记", "title_english": "Party Secretary of Nanyang"},
        {"name": "王智慧", "title": "市长", "title_english": "Mayor of Nanyang"},
    ],
}  # fmt: skip

TRADITIONAL = {
    "headline_english": "Henan's phase 9 'Three Batches' event signs 602 projects worth CNY 451.26 billion",
    "key_points": [
        "On 10 July the province signed 602 projects, started 738 (CNY 580.3 billion) and commissioned 614 (CNY 397.28 billion).",
    ],
    "rounds": [
        {
            "scope": "河南省", "phase": 9, "date": "2023-07-10",
            "signed": _batch(602, "簽約項目６０２個", 4512.6, "總投資４５１２.６億元"),
            "started": _batch(738, "開工項目７３８個", 5803, "總投資５８０３億元"),
            "commissioned": _batch(614, "投產項目６１４個", 3972.8, "總投資３９７２.８億元"),
        }
    ],
    "people": [{"name": "楼阳生", "title": "省委书记", "title_english": None}, {"name": "王凯", "title": "省长", "title_english": None}],
}  # fmt: skip


def _with(draft: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `draft` with one value replaced: a hallucination, precisely placed."""
    copy: dict[str, Any] = json.loads(json.dumps(draft))
    target: Any = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


# Signed count 518 where the article says 581: the re-ask fixes it.
WRONG_COUNT = _with(PROVINCE_AND_CITY, ("rounds", 0, "signed", "projects", "value"), 518)
# A started investment that is nowhere in the article, and an English amount that is wrong:
WRONG_KEPT = _with(
    _with(PROVINCE_AND_CITY, ("rounds", 0, "started", "investment"), {"value": 5301.2, "quote": "总投资5301.2亿元"}),
    ("key_points", 1),
    "Xinxiang's sub-venue signed 37 projects worth CNY 62.84 billion, started 45 and commissioned 29.",
)
# ...and, in the same answer, Xinxiang's commissioned batch left out: the patterns report it.
WRONG_KEPT["rounds"][1].pop("commissioned")


def _batch_object(status: str, output: str | None = None) -> Reply:
    body = {
        "id": "batch_authored_1", "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
        "input_file_id": "file-authored-in", "completion_window": "24h", "status": status,
        "output_file_id": output, "error_file_id": None, "created_at": 1763800000,
        "request_counts": {"total": 2, "completed": 2 if output else 0, "failed": 0},
        "metadata": {"description": "summarise 2 articles"},
    }  # fmt: skip
    return Reply(200, body, {"content-type": "application/json"})


def _batch_output(drafts: list[tuple[str, dict[str, Any]]]) -> Reply:
    lines = []
    for n, (custom_id, draft) in enumerate(drafts, start=1):
        body = completion(draft, Mode.TOOLS, n).body
        lines.append(
            json.dumps(
                {
                    "id": f"batch_req_{n}",
                    "custom_id": custom_id,
                    "response": {"status_code": 200, "request_id": f"req_{n}", "body": body},
                    "error": None,
                },
                ensure_ascii=False,
            )
        )
    return Reply(200, "\n".join(lines) + "\n", {"content-type": "application/octet-stream"})


# In the batch, Nanyang's signed investment comes back as 521.8 (the article says 512.8): no re-ask.
COUNTY_WRONG = _with(COUNTY_IN_CITY, ("rounds", 0, "signed", "investment", "value"), 521.8)

SCENARIOS = {
    s.name: s
    for s in (
        Scenario("good_province_and_city", "province_and_city.txt", Mode.TOOLS, replies=(completion(PROVINCE_AND_CITY, Mode.TOOLS),)),
        Scenario("good_county_in_city_json", "county_in_city.txt", Mode.JSON, replies=(completion(COUNTY_IN_CITY, Mode.JSON),)),
        Scenario("good_traditional_json_schema", "traditional_web.txt", Mode.JSON_SCHEMA, replies=(completion(TRADITIONAL, Mode.JSON_SCHEMA),)),
        Scenario(
            "hallucination_fixed_by_reask", "province_and_city.txt", Mode.TOOLS,
            replies=(completion(WRONG_COUNT, Mode.TOOLS, 1), completion(PROVINCE_AND_CITY, Mode.TOOLS, 2)),
        ),
        Scenario(
            "hallucination_kept_flagged", "province_and_city.txt", Mode.TOOLS, max_retries=1,
            replies=(completion(WRONG_KEPT, Mode.TOOLS, 1), completion(WRONG_KEPT, Mode.TOOLS, 2)),
        ),
        Scenario(
            "malformed_json", "province_and_city.txt", Mode.JSON, max_retries=1,
            replies=tuple(completion('{"headline_english": "Henan holds phase 8", "rounds": [{"scope": "河南省", "signed": {', Mode.JSON, n) for n in (1, 2)),
        ),
        Scenario(
            "rate_limited_then_ok", "province_and_city.txt", Mode.TOOLS,
            replies=(error(429, "Rate limit reached for requests", "rate_limit_error", {"retry-after": "0"}), completion(PROVINCE_AND_CITY, Mode.TOOLS)),
        ),
        Scenario(
            "server_error_give_up", "province_and_city.txt", Mode.TOOLS,
            replies=tuple(error(500, "The server had an error while processing your request.", "server_error") for _ in range(3)),
        ),
        Scenario(
            "gateway_timeout_give_up", "province_and_city.txt", Mode.TOOLS,
            replies=tuple(error(504, "upstream request timeout", "timeout") for _ in range(3)),
        ),
        Scenario("bad_api_key", "province_and_city.txt", Mode.TOOLS, replies=(error(401, "Incorrect API key provided: sk-test-****0000.", "invalid_request_error"),)),
        Scenario(
            "unknown_model", "province_and_city.txt", Mode.TOOLS, model="gpt-nonexistent",
            replies=(error(404, "The model `gpt-nonexistent` does not exist or you do not have access to it.", "invalid_request_error"),),
        ),
        Scenario(
            "batch_api_two_articles", "province_and_city.txt", Mode.TOOLS, model="gpt-4o-mini",
            batch_api_fixtures=("county_in_city.txt", "province_and_city.txt"),
            replies=(
                Reply(200, {"id": "file-authored-in", "object": "file", "bytes": 20000, "created_at": 1763800000, "filename": "requests.jsonl", "purpose": "batch", "status": "processed"}, {"content-type": "application/json"}),
                _batch_object("validating"),
                _batch_object("in_progress"),
                _batch_object("completed", "file-authored-out"),
                _batch_output([("article-0000001", COUNTY_WRONG), ("article-0000002", PROVINCE_AND_CITY)]),
            ),
        ),
        # Recorded, not authored: llama-cpp-python's server with the gemma-3-270m GGUF model.
        Scenario("llamacpp_gemma3_270m", "traditional_web.txt", Mode.TOOLS, max_retries=0, transport_attempts=1, model="gemma-3-270m", max_tokens=1000),
    )
}  # fmt: skip
