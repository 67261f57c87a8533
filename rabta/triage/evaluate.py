"""Quality figures of the whole engine on labelled examples (``rabta triage evaluate``).

Everything is measured on the engine's final output (rules + model), not on the model alone:
language accuracy, district accuracy (null must match null), category precision/recall/F1 per
category and per language, urgency accuracy, recall and precision of critical urgency and of
"sensitive".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from rabta.triage.corpus import Example
from rabta.triage.engine import Engine
from rabta.triage.model import CATEGORIES

__all__ = ["evaluate", "format_report", "score"]


def _prf(pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    result: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for gold, pred in pairs if gold == label and pred == label)
        fp = sum(1 for gold, pred in pairs if gold != label and pred == label)
        fn = sum(1 for gold, pred in pairs if gold == label and pred != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn)}
    return result


def _macro_f1(prf: dict[str, dict[str, float]]) -> float:
    present = [v["f1"] for v in prf.values() if v["support"] > 0]
    return sum(present) / len(present) if present else 0.0


def _binary(pairs: Sequence[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(1 for gold, pred in pairs if gold and pred)
    fp = sum(1 for gold, pred in pairs if not gold and pred)
    fn = sum(1 for gold, pred in pairs if gold and not pred)
    return {
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "support": float(tp + fn),
        "missed": float(fn),
    }


def evaluate(engine: Engine, examples: Sequence[Example]) -> dict[str, Any]:
    """Run the engine over the examples and compute every figure (plus the misses, for review)."""
    return score(examples, engine.triage_many([e.text for e in examples]), engine.ruleset)


def score(examples: Sequence[Example], outputs: Sequence[dict[str, Any]], ruleset: str) -> dict[str, Any]:
    """Every figure for engine outputs against their labelled examples (same order)."""
    n = len(examples)
    language_ok = sum(1 for e, o in zip(examples, outputs, strict=True) if e.language == o["language"])
    district_ok = sum(1 for e, o in zip(examples, outputs, strict=True) if e.district == o["district"])
    urgency_ok = sum(1 for e, o in zip(examples, outputs, strict=True) if e.urgency == o["urgency"])
    category_pairs = [(e.category, str(o["category"])) for e, o in zip(examples, outputs, strict=True)]
    per_category = _prf(category_pairs, CATEGORIES)
    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    language_counts: dict[str, Counter[str]] = defaultdict(Counter)
    district_by_language: dict[str, list[bool]] = defaultdict(list)
    urgency_by_language: dict[str, list[bool]] = defaultdict(list)
    for e, o in zip(examples, outputs, strict=True):
        by_language[e.language].append((e.category, str(o["category"])))
        language_counts[e.language][str(o["language"])] += 1
        district_by_language[e.language].append(e.district == o["district"])
        urgency_by_language[e.language].append(e.urgency == o["urgency"])
    per_language: dict[str, Any] = {}
    for language, pairs in sorted(by_language.items()):
        prf = _prf(pairs, CATEGORIES)
        per_language[language] = {
            "n": len(pairs),
            "language_accuracy": language_counts[language][language] / len(pairs),
            "category_accuracy": sum(1 for g, p in pairs if g == p) / len(pairs),
            "category_macro_f1": _macro_f1(prf),
            "district_accuracy": sum(district_by_language[language]) / len(pairs),
            "urgency_accuracy": sum(urgency_by_language[language]) / len(pairs),
            "predicted_languages": dict(language_counts[language]),
        }
    critical = _binary([(e.urgency == "critical", o["urgency"] == "critical") for e, o in zip(examples, outputs, strict=True)])
    sensitive = _binary([(e.sensitive, bool(o["sensitive"])) for e, o in zip(examples, outputs, strict=True)])
    misses = [
        {
            "id": e.id,
            "text": e.text[:160],
            "gold": [e.language, e.category, e.urgency, e.district, e.sensitive],
            "got": [o["language"], o["category"], o["urgency"], o["district"], o["sensitive"]],
        }
        for e, o in zip(examples, outputs, strict=True)
        if (e.language, e.category, e.urgency, e.district, e.sensitive) != (o["language"], o["category"], o["urgency"], o["district"], o["sensitive"])
    ]
    return {
        "n": n,
        "ruleset": ruleset,
        "language_accuracy": language_ok / n if n else 0.0,
        "district_accuracy": district_ok / n if n else 0.0,
        "urgency_accuracy": urgency_ok / n if n else 0.0,
        "category_accuracy": sum(1 for g, p in category_pairs if g == p) / n if n else 0.0,
        "category_macro_f1": _macro_f1(per_category),
        "critical": critical,
        "sensitive": sensitive,
        "per_category": per_category,
        "per_language": per_language,
        "misses": misses,
    }


def format_report(report: dict[str, Any]) -> str:
    """The figures as Markdown tables (what docs/triage-quality.md shows)."""
    lines = [
        f"Examples: {report['n']} · ruleset `{report['ruleset']}`",
        "",
        "| figure | value |",
        "|---|---|",
        f"| language accuracy | {report['language_accuracy']:.3f} |",
        f"| district accuracy | {report['district_accuracy']:.3f} |",
        f"| category accuracy | {report['category_accuracy']:.3f} |",
        f"| category macro-F1 | {report['category_macro_f1']:.3f} |",
        f"| urgency accuracy | {report['urgency_accuracy']:.3f} |",
        (
            f"| critical recall | {report['critical']['recall']:.3f} ({int(report['critical']['support'] - report['critical']['missed'])}"
            f"/{int(report['critical']['support'])}) |"
        ),
        f"| critical precision | {report['critical']['precision']:.3f} |",
        (
            f"| sensitive recall | {report['sensitive']['recall']:.3f} ({int(report['sensitive']['support'] - report['sensitive']['missed'])}"
            f"/{int(report['sensitive']['support'])}) |"
        ),
        f"| sensitive precision | {report['sensitive']['precision']:.3f} |",
        "",
        "| language | n | language acc. | category acc. | category macro-F1 | district acc. | urgency acc. |",
        "|---|---|---|---|---|---|---|",
    ]
    for language, row in report["per_language"].items():
        lines.append(
            f"| {language} | {row['n']} | {row['language_accuracy']:.3f} | {row['category_accuracy']:.3f} | "
            f"{row['category_macro_f1']:.3f} | {row['district_accuracy']:.3f} | {row['urgency_accuracy']:.3f} |"
        )
    lines += ["", "| category | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for category, row in report["per_category"].items():
        lines.append(f"| {category} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {int(row['support'])} |")
    return "\n".join(lines) + "\n"
