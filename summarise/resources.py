"""Where the files shipped beside the code live: `prompts/` and `schemas/`.

In a wheel they are inside the package as `_data/` (pyproject force-includes them); in a source checkout
they sit at the top of the repository. Nothing else looks for them, so a wheel built without
them fails here, loudly, instead of running without its prompts.
"""

from __future__ import annotations

from pathlib import Path

from summarise.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`prompts` or `schemas`, from the installed package or from a source checkout."""
    inside = _PACKAGE / "_data" / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    raise ConfigError(f"the package is missing its {name}/ folder ({inside}); reinstall summarise")


def is_installed_copy() -> bool:
    """True when running from an installed wheel rather than a source checkout."""
    return not (_PACKAGE.parent / "pyproject.toml").is_file()
