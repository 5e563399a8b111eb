"""The project's exceptions. Only the CLI turns them into a one-line message and an exit code.

    SummariseError                  exit 1
    ├── InputError                  the article cannot be read as Chinese text
    │   ├── MissingInput            exit 3  no such file, or not readable
    │   ├── EmptyInput              exit 4  nothing but whitespace
    │   ├── BinaryInput             exit 5  not text at all
    │   ├── UndecodableInput        exit 6  text in no encoding we can decode
    │   ├── NoChineseText           exit 7  decodes, but holds no Chinese
    │   └── InputTooLarge           exit 8  above the configured size limit
    ├── FactError                   exit 1  a matched string is not the number it looked like
    ├── ConfigError                 exit 9  settings that cannot work (unknown preset, no key)
    ├── ProviderError               exit 10 the model endpoint failed or answered nonsense
    ├── UnverifiedFigures           exit 11 --strict and some figure is not verified
    └── StateError                  exit 12 a batch's state store is damaged or cannot be written

Messages name the file or setting involved and, where there is one, the fix. They never
contain an API key.
"""

from __future__ import annotations


class SummariseError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 1


class InputError(SummariseError):
    """The input cannot be turned into Chinese text."""

    exit_code = 2

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class MissingInput(InputError):
    exit_code = 3


class EmptyInput(InputError):
    exit_code = 4


class BinaryInput(InputError):
    exit_code = 5


class UndecodableInput(InputError):
    exit_code = 6


class NoChineseText(InputError):
    exit_code = 7


class InputTooLarge(InputError):
    exit_code = 8


class FactError(SummariseError, ValueError):
    """A string matched a pattern but is not the number or date it looked like."""


class ConfigError(SummariseError):
    exit_code = 9


class ProviderError(SummariseError):
    """The model endpoint failed, or answered with something that is not a record."""

    exit_code = 10


class UnverifiedFigures(SummariseError):
    """Raised under --strict, after the output is written, when figures stay unverified."""

    exit_code = 11

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(f"{count} figure(s) not verified against the source (--strict)")


class UncleanBatch(SummariseError):
    """Raised under `batch --strict`, after every output is written, when articles failed or
    were flagged: a script learns it from the exit code, not by reading the summary."""

    exit_code = 11

    def __init__(self, failed: int, flagged: int) -> None:
        super().__init__(
            f"{failed} article(s) failed and {flagged} flagged (--strict); see failures.jsonl and the report"
        )


class StateError(SummariseError):
    """A batch's SQLite store is damaged, is not one, or the disk refused a write to it."""

    exit_code = 12
