"""The labelled corpus: JSON Lines files of messages with their triage labels.

Fields: id, text, language, category, urgency, district, police_station, sensitive, split
("train" or "heldout"). Corrections exported by the cases app use the same fields; their split is
ignored (a correction is always training data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rabta.triage.model import CATEGORIES, URGENCIES

__all__ = ["CORPUS_DIR", "Example", "load_corpus", "load_examples"]

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"
LANGUAGES = ("en", "ur", "ps", "ur-Latn", "und")


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    id: str
    text: str
    language: str
    category: str
    urgency: str
    district: str | None
    police_station: str | None
    sensitive: bool
    split: str
    source: str


def _parse(line: str, source: str, number: int) -> Example | None:
    line = line.strip()
    if not line:
        return None
    raw = json.loads(line)
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise ValueError(f"{source}:{number}: not an object with a string 'text'")
    category = str(raw.get("category", ""))
    urgency = str(raw.get("urgency", ""))
    if category not in CATEGORIES or urgency not in URGENCIES:
        raise ValueError(f"{source}:{number}: unknown category {category!r} or urgency {urgency!r}")
    language = str(raw.get("language", "und"))
    district = raw.get("district")
    station = raw.get("police_station")
    return Example(
        id=str(raw.get("id", f"{source}:{number}")),
        text=raw["text"],
        language=language if language in LANGUAGES else "und",
        category=category,
        urgency=urgency,
        district=str(district) if district else None,
        police_station=str(station) if station else None,
        sensitive=bool(raw.get("sensitive", False)),
        split=str(raw.get("split", "train")),
        source=source,
    )


def load_examples(path: Path) -> list[Example]:
    """Every example in one JSON Lines file (blank lines skipped; a bad line is an error)."""
    examples: list[Example] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            example = _parse(line, path.name, number)
            if example is not None:
                examples.append(example)
    return examples


def load_corpus(directory: Path | None = None, *, split: str | None = None) -> list[Example]:
    """All examples of the corpus directory (files in name order), optionally of one split."""
    directory = directory or CORPUS_DIR
    examples: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        examples.extend(load_examples(path))
    if split is not None:
        examples = [e for e in examples if e.split == split]
    return examples


def texts(examples: Iterable[Example]) -> list[str]:
    """The texts of some examples."""
    return [e.text for e in examples]
