"""Prompt templates from `prompts/`, rendered with exactly the variables they declare.

Input: a template name and its variables. Output: the rendered text. Reads the template files.
A missing variable or one the template does not use is an error, so a prompt and the code that
fills it cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, meta

from summarise.errors import ConfigError
from summarise.resources import resource_dir

_VERSION = re.compile(r"\{#\s*version:\s*(\d+)\s*#\}")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(resource_dir("prompts")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # prompts are plain text, never HTML
    )


@cache
def _source(name: str) -> str:
    env = _environment()
    assert env.loader is not None
    try:
        text, _, _ = env.loader.get_source(env, name)
    except Exception as exc:
        raise ConfigError(f"prompt template {name!r} not found in {resource_dir('prompts')}") from exc
    return text


@cache
def _template(name: str) -> Template:
    """Compiled from the same reading of the file as its version, once: a prompt edited during a
    batch is not sent under the version that is already part of every cache key of the run."""
    return _environment().from_string(_source(name))


@cache
def declared_variables(name: str) -> frozenset[str]:
    env = _environment()
    return frozenset(meta.find_undeclared_variables(env.parse(_source(name))))


def prompt_version(name: str) -> int:
    match = _VERSION.search(_source(name))
    if match is None:
        raise ConfigError(f"prompt template {name!r} has no '{{# version: N #}}' line")
    return int(match.group(1))


def render_prompt(name: str, **variables: object) -> str:
    wanted = declared_variables(name)
    missing = wanted - variables.keys()
    unknown = variables.keys() - wanted
    if missing or unknown:
        raise ConfigError(f"prompt {name!r}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return _template(name).render(**variables).strip() + "\n"


def prompts_version() -> str:
    """One version string for the whole prompt set, part of every cache key."""
    names = ("extract.system.j2", "extract.user.j2")
    return "+".join(f"{n.split('.')[1]}{prompt_version(n)}" for n in names)
