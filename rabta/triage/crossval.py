"""Cross-validation inside the train split (``rabta triage cv``).

Rules, lexicon and hyper-parameters are tuned on these figures, never on the held-out split: the
train split is cut into folds by CRC32 of the message id (stable when messages are added), a model
is trained on all folds but one (``train.train_model``), the whole engine (rules + that model) triages
the fold left out, and the outputs of all folds are pooled into one report (``evaluate.score``).
Four folds take four trainings (a few minutes on one core).
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rabta.triage.corpus import Example
from rabta.triage.engine import Engine
from rabta.triage.evaluate import score
from rabta.triage.train import TrainSettings, train_model, write_model

__all__ = ["cross_validate", "fold_of"]


def fold_of(example: Example, folds: int) -> int:
    """The fold of a message: CRC32 of its id modulo the number of folds."""
    return zlib.crc32(example.id.encode("utf-8")) % folds


def cross_validate(examples: Sequence[Example], *, folds: int = 4, settings: TrainSettings | None = None) -> dict[str, Any]:
    """The pooled report of ``folds``-fold cross-validation over ``examples`` (the train split)."""
    if folds < 2:
        raise ValueError("cross-validation needs at least two folds")
    outputs: list[dict[str, Any] | None] = [None] * len(examples)
    with tempfile.TemporaryDirectory(prefix="rabta-cv-") as directory:
        for fold in range(folds):
            held = [i for i, e in enumerate(examples) if fold_of(e, folds) == fold]
            trained = [e for e in examples if fold_of(e, folds) != fold]
            if not held or not trained:
                continue
            path = Path(directory) / f"fold{fold}.npz"
            write_model(train_model(trained, settings), path)
            engine = Engine(model_path=path)
            for index, output in zip(held, engine.triage_many([examples[i].text for i in held]), strict=True):
                outputs[index] = output
    kept = [(e, o) for e, o in zip(examples, outputs, strict=True) if o is not None]
    report = score([e for e, _ in kept], [o for _, o in kept], f"cross-validation, {folds} folds")
    report["folds"] = folds
    return report
