"""Rabta's triage engine: language, place, category, urgency, sensitivity and personal data.

Plain Python (no Django), deterministic, with its rules and model in ``data/``. Use ``triage(text)``
for one message, ``Engine.default().triage_many(texts)`` for a batch, ``rabta triage`` from a shell.
See docs/triage.md.
"""

from __future__ import annotations

from typing import Any

from rabta.triage.engine import ENGINE_VERSION, Engine, ruleset_version

__all__ = ["ENGINE_VERSION", "RULESET_VERSION", "Engine", "triage"]


def triage(text: str, *, channel: str | None = None) -> dict[str, Any]:
    """Triage one message with the process-wide engine (CONTRACTS.md output minus "id")."""
    return Engine.default().triage(text, channel=channel)


def __getattr__(name: str) -> str:
    # RULESET_VERSION digests the data files, so it is computed on first use, not at import.
    if name == "RULESET_VERSION":
        return ruleset_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
