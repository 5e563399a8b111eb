"""Settings of the LLM engine: the only place that reads the environment.

Input: environment variables and command-line overrides. Output: one frozen `Settings`. No I/O
beyond reading `os.environ`. A preset names a service or a local server with its base URL,
default model, key variable and instructor mode, since local servers differ in what they accept.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from pydantic import SecretStr

from summarise.errors import ConfigError


class Engine(StrEnum):
    AUTO = "auto"  # llm when a key (or a keyless local endpoint) is configured, else offline
    OFFLINE = "offline"
    LLM = "llm"


class Mode(StrEnum):
    """How the schema reaches the model; mapped to instructor's modes in `llm.py`."""

    TOOLS = "tools"
    JSON_SCHEMA = "json_schema"
    JSON = "json"
    MD_JSON = "md_json"


@dataclass(frozen=True, slots=True)
class Preset:
    base_url: str
    model: str
    key_env: str | None  # None: a local server that needs no key
    mode: Mode


PRESETS: dict[str, Preset] = {
    "openai": Preset("https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY", Mode.TOOLS),
    "deepseek": Preset("https://api.deepseek.com/v1", "deepseek-chat", "DEEPSEEK_API_KEY", Mode.TOOLS),
    "qwen": Preset("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", "DASHSCOPE_API_KEY", Mode.TOOLS),
    "ollama": Preset("http://127.0.0.1:11434/v1", "qwen2.5:7b", None, Mode.JSON),
    "vllm": Preset("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", None, Mode.JSON_SCHEMA),
    # llama-cpp-python's server: run it with --chat_format chatml-function-calling, whose tool
    # calls are constrained by the schema; its JSON mode ignores the schema, and the 'gemma'
    # chat format drops the system message that carries instructor's instructions.
    "llamacpp": Preset("http://127.0.0.1:8080/v1", "local", None, Mode.TOOLS),
}

# USD per million tokens (input, output): an estimate to show, never a bill.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "deepseek-chat": (0.27, 1.10),
    "qwen-plus": (0.40, 1.20),
}


@dataclass(frozen=True, slots=True)
class Settings:
    engine: Engine = Engine.AUTO
    preset: str = "openai"
    base_url: str = PRESETS["openai"].base_url
    model: str = PRESETS["openai"].model
    api_key: SecretStr | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    mode: Mode = Mode.TOOLS
    max_retries: int = 2  # re-asks after a failed cross-check
    transport_attempts: int = 5  # tries per request on 429, 5xx, timeouts
    transport_max_seconds: float = 120.0
    backoff_seconds: float = 1.0
    timeout: float = 60.0
    max_tokens: int = 4096  # bounds a runaway answer (small local models may never stop)
    max_chars: int = 24_000
    temperature: float = 0.0
    prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(PRICES))

    @property
    def keyless(self) -> bool:
        return self.api_key_env is None

    def resolved_engine(self) -> Engine:
        if self.engine is not Engine.AUTO:
            return self.engine
        return Engine.LLM if (self.api_key is not None or self.keyless) else Engine.OFFLINE

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(
    *,
    engine: Engine = Engine.AUTO,
    preset: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    mode: Mode | None = None,
    max_retries: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from a preset, the environment (OPENAI_BASE_URL, OPENAI_MODEL) and overrides.

    With no preset and a base URL that is not OpenAI's, the endpoint is treated as keyless
    unless --api-key-env names a variable: local servers take no key.
    """
    env = os.environ if env is None else env
    name = preset or ("openai" if not (base_url or env.get("OPENAI_BASE_URL")) else "custom")
    if name == "custom":
        chosen = Preset(base_url or env["OPENAI_BASE_URL"], env.get("OPENAI_MODEL", "local"), None, Mode.JSON)
        if env.get("OPENAI_API_KEY") or api_key_env:
            chosen = replace(chosen, key_env=api_key_env or "OPENAI_API_KEY", mode=Mode.TOOLS)
    elif name in PRESETS:
        chosen = PRESETS[name]
    else:
        guess = difflib.get_close_matches(name, PRESETS, n=1)
        hint = f" Did you mean {guess[0]!r}?" if guess else ""
        raise ConfigError(f"unknown preset {name!r}.{hint} Known: {', '.join(PRESETS)}")
    key_env = api_key_env or chosen.key_env
    raw_key = env.get(key_env) if key_env else None
    if api_key_env and not raw_key:
        raise ConfigError(f"--api-key-env {api_key_env}: that environment variable is empty or not set")
    settings = Settings(
        engine=engine,
        preset=name,
        base_url=base_url or chosen.base_url,
        model=model or (env.get("OPENAI_MODEL") if name == "openai" else None) or chosen.model,
        api_key=SecretStr(raw_key) if raw_key else None,
        api_key_env=key_env,
        mode=mode or chosen.mode,
    )
    if max_retries is not None:
        settings = settings.with_(max_retries=max_retries)
    if engine is Engine.LLM and settings.api_key is None and not settings.keyless:
        raise ConfigError(f"--engine llm needs an API key: set {key_env} (or pick a local --preset)")
    return settings
