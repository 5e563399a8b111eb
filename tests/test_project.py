"""Meta-tests: schemas match the models, the public API is complete, the package ships its files."""

from __future__ import annotations

import os
import pkgutil

from helpers import ROOT

import summarise
from summarise.resources import is_installed_copy, resource_dir
from summarise.schemas import schema_texts


def test_schemas_folder_matches_the_models() -> None:
    """Fails when records.py changes without `summarise schemas` being run."""
    for name, text in schema_texts().items():
        on_disk = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert on_disk == text, f"schemas/{name} drifted from the models: run `summarise schemas`"


def test_installed_package_ships_its_schemas() -> None:
    """CI sets SUMMARISE_REQUIRE_INSTALLED: the tests must run on the wheel, not the source tree."""
    if os.environ.get("SUMMARISE_REQUIRE_INSTALLED"):
        assert is_installed_copy(), f"tests imported the source tree: {summarise.__file__}"
    folder = resource_dir("schemas")
    if is_installed_copy():  # the wheel's own files, wherever the environment is (.venv/ in the checkout too)
        assert not folder.is_relative_to(ROOT / "schemas")
        assert not folder.is_relative_to(ROOT / "summarise")
    for name, text in schema_texts().items():
        assert (folder / name).read_text(encoding="utf-8") == text


def test_public_api_is_exported() -> None:
    modules = {m.name for m in pkgutil.iter_modules(summarise.__path__)}
    public = {name for name in dir(summarise) if not name.startswith("_") or name == "__version__"}
    assert public - modules - set(summarise.__all__) == set()
    assert all(hasattr(summarise, name) for name in summarise.__all__)


def test_prompts_ship_with_the_package_and_declare_a_version() -> None:
    from summarise.prompts import declared_variables, prompts_version

    assert (resource_dir("prompts") / "extract.system.j2").is_file()
    assert declared_variables("extract.user.j2") == {"article", "characters", "facts"}
    assert prompts_version() == "system1+user1"


def test_a_prompt_edited_during_a_run_is_sent_as_first_read_with_its_version(tmp_path, monkeypatch) -> None:
    """The version read first is in every cache key of a run: the text sent must be that version's."""
    from summarise import prompts

    template = tmp_path / "extract.system.j2"
    template.write_text("{# version: 1 #}\nfirst text\n", encoding="utf-8")
    monkeypatch.setattr(prompts, "resource_dir", lambda name: tmp_path)
    cached = (prompts._environment, prompts._source, prompts._template, prompts.declared_variables)
    for function in cached:
        function.cache_clear()
    try:
        assert prompts.render_prompt("extract.system.j2") == "first text\n"
        template.write_text("{# version: 2 #}\nsecond text\n", encoding="utf-8")
        os.utime(template, (1, 1))  # a different modification time, however fast the test runs
        assert prompts.render_prompt("extract.system.j2") == "first text\n"
        assert prompts.prompt_version("extract.system.j2") == 1
    finally:
        for function in cached:
            function.cache_clear()


def test_tests_cannot_reach_the_network() -> None:
    """--block-network (pytest-recording) is on for the whole suite: only cassettes answer."""
    import socket

    import pytest

    with socket.socket() as s, pytest.raises(RuntimeError, match="Network is disabled"):
        s.connect(("127.0.0.1", 9))
