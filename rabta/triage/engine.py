"""The triage engine: one object that holds the compiled data and turns texts into decisions.

Loading compiles the gazetteer and lexicon automata and reads the model file (about a second); do it
once per process through ``Engine.default()``. Everything after that is deterministic: the same text
and the same data files give the same output, and the output carries ``ruleset`` so a decision can be
replayed against the data that made it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rabta.triage.classify import Classification, Classifier, Lexicon
from rabta.triage.features import model_text
from rabta.triage.language import LanguageGuess, LanguageIdentifier
from rabta.triage.model import CATEGORIES, URGENCIES, LinearModel, ModelScores
from rabta.triage.normalise import display_form, matching_key_with_offsets, matching_keys, replace_surrogates
from rabta.triage.pii import PiiSpan, find_pii, redact
from rabta.triage.places import Gazetteer, PlaceResult

__all__ = ["ENGINE_VERSION", "Engine", "ruleset_version"]

ENGINE_VERSION = "1.0"
DATA_DIR = Path(__file__).resolve().parent / "data"
_DATA_FILES = ("language.json", "lexicon.json", "gazetteer.json", "places_extra.json", "model.npz")
# The model and language rules see at most this much of a message; places, lexicon and PII see all.
MODEL_CHARS = 4000
LANGUAGE_CHARS = 20000
# Messages per chunk. Larger chunks let the model's tables (and the numpy set-up) serve more
# messages per load; 1024 was measurably faster than 256 or 512, and 2048 no faster (its
# gathered rows, ~25 MB, no longer stay in the caches).
_BATCH = 1024

_lock = threading.Lock()
_default: list[Engine] = []  # the process-wide engine, once loaded
_ruleset: dict[Path, str] = {}


def ruleset_version(data_dir: Path | None = None) -> str:
    """Engine version plus a digest of every data file: names exactly the rules that decided."""
    data_dir = data_dir or DATA_DIR
    cached = _ruleset.get(data_dir)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    for name in _DATA_FILES:
        path = data_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    version = f"triage-{ENGINE_VERSION}+{digest.hexdigest()[:12]}"
    _ruleset[data_dir] = version
    return version


def _common_words(language: LanguageIdentifier, lexicon: Lexicon) -> set[str]:
    """Words that must never be fuzzily read as a place name."""
    data = json.loads((DATA_DIR / "language.json").read_text(encoding="utf-8"))
    words: set[str] = set()
    for group in ("roman_urdu_words", "english_words", "latin_other_words"):
        for phrase in data.get(group, {}):
            words.update(str(phrase).lower().split())
    words.update(w for w in lexicon.words if w.isascii())
    return words


class Engine:
    """Language, place, category, urgency, sensitivity and personal data for messages."""

    def __init__(
        self, data_dir: Path | None = None, *, model_path: Path | None = None, gazetteer_path: Path | None = None, use_langid: bool | None = None
    ) -> None:
        self.data_dir = data_dir or DATA_DIR
        self.lexicon = Lexicon.load(self.data_dir / "lexicon.json")
        if use_langid is None:
            use_langid = os.environ.get("RABTA_TRIAGE_LANGID", "") in ("1", "true", "yes")
        self.language = LanguageIdentifier(json.loads((self.data_dir / "language.json").read_text(encoding="utf-8")), use_langid=use_langid)
        self.gazetteer = Gazetteer.load(
            gazetteer_path or self.data_dir / "gazetteer.json",
            extra_path=self.data_dir / "places_extra.json",
            common_words=_common_words(self.language, self.lexicon),
        )
        self.classifier = Classifier(self.lexicon)
        path = model_path or self.data_dir / "model.npz"
        self.model: LinearModel | None = LinearModel.load(path) if path.exists() else None
        if self.model is not None:
            self.language.set_trigram_model(self.model.trigram_llr)
        self.ruleset = ruleset_version(self.data_dir)
        if model_path is not None or gazetteer_path is not None:
            self.ruleset += f"+model-{self.model.digest if self.model else 'none'}"
            if gazetteer_path is not None:
                self.ruleset += f"+gazetteer-{self.gazetteer.version}"

    @classmethod
    def default(cls) -> Engine:
        """The process-wide engine, loaded on first use."""
        if not _default:
            with _lock:
                if not _default:
                    _default.append(cls())
        return _default[0]

    # -- public API ----------------------------------------------------------------------------
    def triage(self, text: str, *, channel: str | None = None, explain: bool = False) -> dict[str, Any]:
        """Triage one message (see CONTRACTS.md for the output; "id" is added by the caller)."""
        return self.triage_many([text], channels=[channel], explain=explain)[0]

    def triage_many(self, texts: Sequence[str], *, channels: Sequence[str | None] | None = None, explain: bool = False) -> list[dict[str, Any]]:
        """Triage a batch; faster per message than one by one (the model scores the batch at once)."""
        results: list[dict[str, Any]] = []
        for offset in range(0, len(texts), _BATCH):
            chunk = texts[offset : offset + _BATCH]
            chunk_channels = channels[offset : offset + _BATCH] if channels is not None else None
            # A chunk makes some hundred thousand short-lived tuples, lists and dicts, none of them in
            # a reference cycle (they go by reference counting): the cyclic collector's passes over
            # them cost ~5% and find nothing, so it is paused for the chunk (and restored after it,
            # as it was: a process that turned it off keeps it off).
            paused = gc.isenabled()
            if paused:
                gc.disable()
            try:
                results.extend(self._triage_chunk(chunk, chunk_channels, explain))
            finally:
                if paused:
                    gc.enable()
        return results

    # -- internals -----------------------------------------------------------------------------
    def _scores(self, model_texts: list[str]) -> ModelScores:
        if self.model is None:
            n = len(model_texts)
            return ModelScores(
                np.full((n, len(CATEGORIES)), 1.0 / len(CATEGORIES)),
                np.full((n, len(URGENCIES)), 1.0 / len(URGENCIES)),
                np.full(n, 0.5),
            )
        return self.model.predict(model_texts)

    def _triage_chunk(self, texts: Sequence[str], channels: Sequence[str | None] | None, explain: bool) -> list[dict[str, Any]]:
        displays = [display_form(t if isinstance(t, str) else str(t)) for t in texts]
        keys = matching_keys(displays)
        scores = self._scores([model_text(k[:MODEL_CHARS], d[:MODEL_CHARS]) for k, d in zip(keys, displays, strict=True)])
        category_rows: list[list[float]] = scores.category.tolist()
        urgency_rows: list[list[float]] = scores.urgency.tolist()
        sensitive_rows: list[float] = scores.sensitive.tolist()
        # Stage by stage over the whole chunk rather than message by message: each stage's code and
        # tables stay hot in the CPU caches (measurably faster than interleaving the stages).
        languages = self.language.identify_many([d[:LANGUAGE_CHARS] for d in displays])
        places = self.gazetteer.locate_many(keys, displays)
        match = self.lexicon.match
        decide = self.classifier.decide
        decisions = [decide(k, category_rows[i], urgency_rows[i], sensitive_rows[i], explain=explain, hits=match(k)) for i, k in enumerate(keys)]
        originals = [replace_surrogates(t if isinstance(t, str) else str(t)) for t in texts]
        spans_all = [find_pii(t) for t in originals]
        out: list[dict[str, Any]] = []
        for i, (display, key) in enumerate(zip(displays, keys, strict=True)):
            channel = channels[i] if channels is not None else None
            out.append(
                self._assemble(
                    originals[i],
                    display,
                    key,
                    language=languages[i],
                    place=places[i],
                    decision=decisions[i],
                    spans=spans_all[i],
                    channel=channel,
                    explain=explain,
                )
            )
        return out

    def _assemble(
        self,
        safe: str,
        display: str,
        key: str,
        *,
        language: LanguageGuess,
        place: PlaceResult,
        decision: Classification,
        spans: list[PiiSpan],
        channel: str | None,
        explain: bool,
    ) -> dict[str, Any]:
        # Personal data spans are offsets into the text as received (only lone surrogates, which
        # cannot be written out as UTF-8, are replaced, one for one).
        reasons = [f"language {language.language}: {language.evidence[0]}" if language.evidence else f"language {language.language}"]
        reasons.extend(place.reasons)
        if place.district is None and not place.reasons:
            reasons.append("no place in KP named")
        reasons.extend(decision.reasons)
        if spans:
            kinds = sorted({s.kind for s in spans})
            reasons.append(f"personal data redacted: {', '.join(kinds)}")
        result: dict[str, Any] = {
            "language": language.language,
            "category": decision.category,
            "urgency": decision.urgency,
            "district": place.district,
            "police_station": place.station,
            "sensitive": decision.sensitive,
            "pii": [s.as_dict() for s in spans] if spans else [],
            "redacted_text": redact(safe, spans) if spans else safe,
            "confidence": {
                "category": decision.category_confidence,
                "urgency": decision.urgency_confidence,
                "language": language.confidence,
                "district": place.confidence,
                "sensitive": decision.sensitive_confidence,
            },
            "reasons": reasons,
            "ruleset": self.ruleset,
        }
        if explain:
            result["explain"] = self._explain(display, key, place, decision.explain, language_evidence=language.evidence, channel=channel)
        return result

    def _explain(
        self, display: str, key: str, place: PlaceResult, decision: dict[str, Any], *, language_evidence: tuple[str, ...], channel: str | None
    ) -> dict[str, Any]:
        key_check, offsets = matching_key_with_offsets(display[:MODEL_CHARS])

        def original_span(start: int, end: int) -> list[int] | None:
            if key_check != key[: len(key_check)] or end > len(offsets) or start >= end:
                return None
            return [offsets[start], offsets[end - 1] + 1]

        signals = decision.get("signals", [])
        for signal in signals:
            signal["span"] = original_span(signal["key_start"], signal["key_end"])
        return {
            "matching_key": key[:MODEL_CHARS],
            "channel": channel,
            "language": list(language_evidence),
            "places": [
                {
                    "text": h.text,
                    "role": h.role,
                    "fuzzy": h.fuzzy,
                    "span": original_span(h.start, h.end),
                    "candidates": [{"id": p.id, "kind": p.kind, "district": p.district, "station": p.station} for p in h.places],
                }
                for h in place.hits
            ],
            **decision,
        }
