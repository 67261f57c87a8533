"""The trained linear model: loading and scoring with numpy alone.

The model file (``data/model.npz``) holds one weight matrix per feature block with a column per
output: the 11 categories, the 4 urgencies and one column for "sensitive". ``train`` writes it;
nothing here imports scikit-learn, so loading is quick and light.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rabta.triage.features import CHAR_BITS, WordIndex, char_ngrams

__all__ = ["CATEGORIES", "URGENCIES", "LinearModel", "ModelScores", "softmax"]

CATEGORIES = (
    "emergency",
    "crime_report",
    "police_complaint",
    "gbv_harassment",
    "missing_person",
    "traffic",
    "cybercrime",
    "information_request",
    "feedback",
    "rumor",
    "other",
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


_FIRST = np.zeros(1, dtype=np.intp)
# Feature rows gathered at once, at most (4 MB of float32 x 16 outputs): a piece of texts with very
# long messages is gathered and summed in parts of whole texts, so memory stays bounded. Not much
# smaller: arrays of a few MB that come and go at every piece keep glibc's malloc thresholds up,
# where smaller ones (1 MB) made it hand memory back and fault it in again (~3 page faults and
# ~5 us per message).
_PIECE_ROWS = 1 << 16
# Texts scored at once: a larger batch is scored piece by piece, one piece after another, so the
# model's tables stay in the caches across the pieces while each piece's arrays (a few hundred KB)
# do too. 256 was measurably faster than 512 or 1024 (the arrays of n-grams then outgrow the caches).
_PIECE_TEXTS = 256


def _block_sums(
    indices: npt.NDArray[np.int64] | npt.NDArray[np.int32] | npt.NDArray[np.int16],
    owners: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float32],
    n: int,
) -> FloatArray:
    """Per text: sum of the weight rows of its features / sqrt(number of features).

    The features of each text are summed in the order they were produced, whether the text is
    alone or in a batch (and whatever the pieces), so a text scores bit-for-bit the same either way.
    """
    result = np.zeros((n, weights.shape[1]), dtype=np.float64)
    if indices.size == 0:
        return result
    if n == 1:  # one text: its features are already in order; the same sum, without the bookkeeping
        sums = np.add.reduceat(weights[indices], _FIRST, axis=0).astype(np.float64)
        result[0] = sums[0] / np.sqrt(np.float64(indices.size))
        return result
    if not (owners.size > 1 and bool((owners[1:] >= owners[:-1]).all())):
        order = np.argsort(owners, kind="stable")  # runs of sorted owners: near-linear
        owners = owners[order]
        indices = indices[order]
    counts = np.bincount(owners, minlength=n)
    present = counts > 0
    starts = (np.cumsum(counts) - counts)[present]  # first row of each text that has features
    total = indices.shape[0]
    if total <= _PIECE_ROWS:
        sums = np.add.reduceat(weights[indices], starts, axis=0).astype(np.float64)
    else:
        cuts = [0, *np.unique(np.searchsorted(starts, np.arange(_PIECE_ROWS, total, _PIECE_ROWS))).tolist(), starts.shape[0]]
        parts: list[FloatArray] = []
        for first, last in itertools.pairwise(cuts):
            if first == last:
                continue
            begin = int(starts[first])
            end = int(starts[last]) if last < starts.shape[0] else total
            parts.append(np.add.reduceat(weights[indices[begin:end]], starts[first:last] - begin, axis=0).astype(np.float64))
        sums = np.concatenate(parts)
    result[present] = sums / np.sqrt(counts[present].astype(np.float64))[:, None]
    return result


@dataclass(frozen=True)
class ModelScores:
    """Model probabilities for a batch of texts."""

    category: FloatArray  # (n, 11)
    urgency: FloatArray  # (n, 4)
    sensitive: FloatArray  # (n,)


class LinearModel:
    """Logistic-regression weights over hashed character n-grams and word n-grams."""

    def __init__(
        self,
        char_weights: npt.NDArray[np.float32],
        word_weights: npt.NDArray[np.float32],
        *,
        vocabulary: Sequence[str],
        bias: FloatArray,
        meta: dict[str, object],
        trigram_llr: dict[str, float],
        digest: str = "",
        char_map: npt.NDArray[np.int32] | npt.NDArray[np.int16] | None = None,
    ) -> None:
        if char_map is None:
            if char_weights.shape[0] != 1 << CHAR_BITS:
                raise ValueError("model was trained with a different CHAR_BITS")
            char_map = np.arange(1 << CHAR_BITS, dtype=np.int32)
        elif char_map.shape[0] != 1 << CHAR_BITS:
            raise ValueError("model was trained with a different CHAR_BITS")
        # Only the buckets with a weight have a row (row 0 is all zeros for the rest): the rows fit
        # in the CPU caches, which makes the per-n-gram gather several times faster than a dense table.
        self.char_map = char_map
        self.char_weights = char_weights
        self.word_weights = word_weights
        self.vocabulary = {word: index for index, word in enumerate(vocabulary)}
        self._words = WordIndex(self.vocabulary)
        self.bias = bias
        self.meta = meta
        self.trigram_llr = trigram_llr
        self.digest = digest
        self.outputs = char_weights.shape[1]
        sizes = meta.get("ngram_sizes", [2, 3, 4, 5])
        self.ngram_sizes = tuple(int(x) for x in sizes) if isinstance(sizes, list) else (2, 3, 4, 5)

    @classmethod
    def load(cls, path: Path | None = None) -> LinearModel:
        """Load a model file written by ``train``."""
        path = path or MODEL_PATH
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()[:12]
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            # Stored as float16 (half the file); held as float32 so sums need no conversion.
            rows = np.asarray(data["char_rows"], dtype=np.int64)
            char_compact = np.zeros((rows.shape[0] + 1, int(meta["outputs"])), dtype=np.float32)
            char_compact[1:] = data["char_values"]
            # int16 when the rows allow (half the bytes of the table every n-gram looks up).
            char_map: npt.NDArray[np.int32] | npt.NDArray[np.int16]
            if rows.shape[0] < np.iinfo(np.int16).max:
                char_map = np.zeros(1 << CHAR_BITS, dtype=np.int16)
                char_map[rows] = np.arange(1, rows.shape[0] + 1, dtype=np.int16)
            else:
                char_map = np.zeros(1 << CHAR_BITS, dtype=np.int32)
                char_map[rows] = np.arange(1, rows.shape[0] + 1, dtype=np.int32)
            word_weights = np.asarray(data["word_values"], dtype=np.float32)
            vocabulary = [str(w) for w in data["vocabulary"]]
            bias = np.asarray(data["bias"], dtype=np.float64)
            trigrams = {str(k): float(v) for k, v in zip(data["trigram_keys"], data["trigram_values"], strict=True)}
        return cls(char_compact, word_weights, vocabulary=vocabulary, bias=bias, meta=meta, trigram_llr=trigrams, digest=digest, char_map=char_map)

    def logits(self, texts: Sequence[str]) -> FloatArray:
        """Raw scores (n, outputs) for model texts (see features.model_text)."""
        if len(texts) > _PIECE_TEXTS:  # each text's scores do not depend on the others in its piece
            return np.concatenate([self._logits(texts[i : i + _PIECE_TEXTS]) for i in range(0, len(texts), _PIECE_TEXTS)])
        return self._logits(texts)

    def _logits(self, texts: Sequence[str]) -> FloatArray:
        n = len(texts)
        out = np.tile(self.bias, (n, 1))
        if n == 0:
            return out
        buckets, owners = char_ngrams(texts, self.ngram_sizes)
        out += _block_sums(self.char_map[buckets], owners, self.char_weights, n)
        out += _block_sums(*self._words.features(texts), self.word_weights, n)
        return out

    def predict(self, texts: Sequence[str]) -> ModelScores:
        """Category and urgency distributions and the probability of "sensitive"."""
        raw = self.logits(texts)
        k = len(CATEGORIES)
        u = len(URGENCIES)
        category = softmax(raw[:, :k])
        urgency = softmax(raw[:, k : k + u])
        sensitive = 1.0 / (1.0 + np.exp(-raw[:, k + u]))
        return ModelScores(category, urgency, sensitive)
