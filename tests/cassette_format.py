"""How cassettes are stored and matched; shared by the tests and scripts/record_cassettes.py.

Bodies are stored parsed (JSON as YAML mappings, Chinese as characters, never NFKC-folded), so a
reviewer can read what was sent and what came back; credentials are filtered before writing.
Requests match on method and the endpoint path's tail ('chat/completions'), not the host, so a
cassette recorded against any OpenAI-compatible server replays under any --base-url.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vcr
import yaml
from vcr.request import Request

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
SECRET_HEADERS = [
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
]


def _parse(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, str) and body[:1] in "{[":
        try:
            return {"json": json.loads(body)}
        except json.JSONDecodeError:
            pass
    return body


def _unparse(body: Any) -> Any:
    if isinstance(body, dict) and set(body) == {"json"}:
        return json.dumps(body["json"], ensure_ascii=False)
    return body


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (prompts, articles) as literal blocks, as a person would write them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(ch in value for ch in "\t\r") and not value.endswith((" ", "\n\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def serialize(cassette: dict[str, Any]) -> str:
    data = json.loads(json.dumps(cassette, default=lambda b: b.decode("utf-8") if isinstance(b, bytes) else str(b)))
    for item in data["interactions"]:
        item["request"]["body"] = _parse(item["request"]["body"])
        item["response"]["body"]["string"] = _parse(item["response"]["body"]["string"])
    return str(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120))


def deserialize(text: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(text)
    for item in data["interactions"]:
        item["request"]["body"] = _unparse(item["request"]["body"])
        item["response"]["body"]["string"] = _unparse(item["response"]["body"]["string"])
    return data


class _Serializer:
    serialize = staticmethod(serialize)
    deserialize = staticmethod(deserialize)


def endpoint_tail(r1: Request, r2: Request) -> None:
    tail1, tail2 = r1.path.rstrip("/").split("/")[-2:], r2.path.rstrip("/").split("/")[-2:]
    assert tail1 == tail2, f"{r1.path} != {r2.path}"


def vcr_settings(record_mode: str = "none") -> dict[str, Any]:
    return {
        "serializer": "readable",
        "record_mode": record_mode,
        "match_on": ["method", "endpoint_tail"],
        "filter_headers": SECRET_HEADERS,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
        "path_transformer": vcr.VCR.ensure_suffix(".yaml"),
    }


def register(v: vcr.VCR) -> None:
    v.register_serializer("readable", _Serializer)
    v.register_matcher("endpoint_tail", endpoint_tail)


def make_vcr(record_mode: str) -> vcr.VCR:
    v = vcr.VCR(cassette_library_dir=str(CASSETTES), path_transformer=vcr.VCR.ensure_suffix(".yaml"))
    register(v)
    return v
