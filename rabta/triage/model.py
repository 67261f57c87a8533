"""The trained linear model: loading and scoring with numpy alone.

The model file (``data/model.npz``) holds one weight matrix per feature block with a column per
output: the 11 categories, the 4 urgencies and one column for "sensitive". ``train`` writes it;
nothing here imports scikit-learn, so loading is quick and light.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rabta.triage.features import CHAR_BITS, char_ngrams, word_features

__all__ = ["CATEGORIES", "URGENCIES", "LinearModel", "ModelScores", "softmax"]

CATEGORIES = (
    "emergency", "crime_report", "police_complaint", "gbv_harassment", "missing_person", "traffic",
    "cybercrime", "information_request", "feedback", "rumor", "other",
)
URGENCIES = ("critical", "high", "normal", "low")
MODEL_PATH = Path(__file__).resolve().parent / "data" / "model.npz"

FloatArray = npt.NDArray[np.float64]


def softmax(logits: FloatArray) -> FloatArray:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    result: FloatArray = exp / exp.sum(axis=-1, keepdims=True)
    return result


@dataclass(frozen=True)
class ModelScores:
    """Model probabilities for a batch of texts."""

    category: FloatArray  # (n, 11)
    urgency: FloatArray  # (n, 4)
    sensitive: FloatArray  # (n,)


class LinearModel:
    """Logistic-regression weights over hashed character n-grams and word n-grams."""

    def __init__(self, char_weights: npt.NDArray[np.float16], word_weights: npt.NDArray[np.float16],
                 vocabulary: Sequence[str], bias: FloatArray, meta: dict[str, object],
                 trigram_llr: dict[str, float], digest: str = "") -> None:
        if char_weights.shape[0] != 1 << CHAR_BITS:
            raise ValueError("model was trained with a different CHAR_BITS")
        self.char_weights = char_weights
        self.word_weights = word_weights
        self.vocabulary = {word: index for index, word in enumerate(vocabulary)}
        self.bias = bias
        self.meta = meta
        self.trigram_llr = trigram_llr
        self.digest = digest
        self.outputs = char_weights.shape[1]

    @classmethod
    def load(cls, path: Path | None = None) -> LinearModel:
        """Load a model file written by ``train``."""
        path = path or MODEL_PATH
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()[:12]
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            char_dense = np.zeros(((1 << CHAR_BITS), int(meta["outputs"])), dtype=np.float16)
            char_dense[data["char_rows"]] = data["char_values"]
            word_weights = np.asarray(data["word_values"], dtype=np.float16)
            vocabulary = [str(w) for w in data["vocabulary"]]
            bias = np.asarray(data["bias"], dtype=np.float64)
            trigrams = {str(k): float(v) for k, v in zip(data["trigram_keys"], data["trigram_values"],
                                                         strict=True)}
        return cls(char_dense, word_weights, vocabulary, bias, meta, trigrams, digest)

    def logits(self, texts: Sequence[str]) -> FloatArray:
        """Raw scores (n, outputs) for model texts (see features.model_text)."""
        n = len(texts)
        out = np.tile(self.bias, (n, 1))
        if n == 0:
            return out
        buckets, owners = char_ngrams(texts)
        if buckets.size:
            counts = np.bincount(owners, minlength=n).astype(np.float64)
            gathered = self.char_weights[buckets].astype(np.float64)
            block = np.empty((n, self.outputs), dtype=np.float64)
            for column in range(self.outputs):
                block[:, column] = np.bincount(owners, weights=gathered[:, column], minlength=n)
            scale = 1.0 / np.sqrt(np.maximum(counts, 1.0))
            out += block * scale[:, None]
        words, word_owners = word_features(texts, self.vocabulary)
        if words.size:
            counts = np.bincount(word_owners, minlength=n).astype(np.float64)
            gathered = self.word_weights[words].astype(np.float64)
            block = np.empty((n, self.outputs), dtype=np.float64)
            for column in range(self.outputs):
                block[:, column] = np.bincount(word_owners, weights=gathered[:, column], minlength=n)
            scale = 1.0 / np.sqrt(np.maximum(counts, 1.0))
            out += block * scale[:, None]
        return out

    def predict(self, texts: Sequence[str]) -> ModelScores:
        """Category and urgency distributions and the probability of "sensitive"."""
        raw = self.logits(texts)
        k = len(CATEGORIES)
        u = len(URGENCIES)
        category = softmax(raw[:, :k])
        urgency = softmax(raw[:, k:k + u])
        sensitive = 1.0 / (1.0 + np.exp(-raw[:, k + u]))
        return ModelScores(category, urgency, sensitive)
