"""Held-out quality floors: a little below what the engine measures (docs/triage-quality.md), so a
regression in rules, data or model fails here. The held-out split is never used for training."""

from __future__ import annotations

from typing import Any

import pytest

from rabta.triage.corpus import load_corpus
from rabta.triage.engine import Engine
from rabta.triage.evaluate import evaluate

FLOORS = {
    "language_accuracy": 0.98,
    "district_accuracy": 0.945,
    "category_macro_f1": 0.825,
    "urgency_accuracy": 0.855,
}


@pytest.fixture(scope="module")
def report(engine: Engine) -> dict[str, Any]:
    heldout = load_corpus(split="heldout")
    assert len(heldout) >= 400
    return evaluate(engine, heldout)


@pytest.mark.parametrize(("figure", "floor"), FLOORS.items())
def test_heldout_floor(report: dict[str, Any], figure: str, floor: float) -> None:
    assert report[figure] >= floor, f"{figure} fell to {report[figure]:.3f}"


def test_critical_and_sensitive_recall(report: dict[str, Any]) -> None:
    # Never miss a life-threatening or vulnerable-person message (precision may pay for it).
    assert report["critical"]["recall"] == 1.0, report["critical"]
    assert report["sensitive"]["recall"] == 1.0, report["sensitive"]
    assert report["critical"]["precision"] >= 0.85
    assert report["sensitive"]["precision"] >= 0.77


def test_every_language_holds_up(report: dict[str, Any]) -> None:
    for language, row in report["per_language"].items():
        assert row["category_macro_f1"] >= 0.77, language
        assert row["district_accuracy"] >= 0.93, language
        assert row["language_accuracy"] >= 0.97, language
