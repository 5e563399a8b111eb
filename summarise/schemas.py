"""Export the JSON Schemas of the records; `schemas/` in the repository is this output.

Input: the pydantic models. Output: JSON files. Does I/O (writes files) in `write_schemas` only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from summarise.records import Article, BatchRecord

EXPORTED: dict[str, type[BaseModel]] = {"article": Article, "batch_record": BatchRecord}


def schema_texts() -> dict[str, str]:
    """File name -> schema text, exactly as written to disk."""
    out: dict[str, str] = {}
    for name, model in EXPORTED.items():
        schema: dict[str, Any] = model.model_json_schema(mode="serialization")
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
