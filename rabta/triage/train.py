"""Training the linear model (``rabta triage train``); the only module that uses scikit-learn.

Three logistic regressions share one feature matrix (hashed character n-grams and word n-grams of
the matching key, see features.py): category (11 classes), urgency (4) and sensitive (yes/no). The
weights are exported to ``model.npz`` — sparse rows of float16 for the character block, a dense
float16 block for the word vocabulary — which inference reads with numpy alone.

The same run learns the character-trigram table that tells Roman Urdu from English for words that
are in neither word list of ``language.json``.

Training is deterministic: examples in file order, lbfgs (no random state involved), fixed hashing.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rabta.triage.corpus import Example
from rabta.triage.features import CHAR_BITS, NGRAM_SIZES, WordIndex, char_ngrams, model_text, word_tokens
from rabta.triage.language import LanguageIdentifier
from rabta.triage.model import CATEGORIES, URGENCIES
from rabta.triage.normalise import display_form, matching_key

__all__ = ["TrainSettings", "train_model", "write_model"]

C_CATEGORY = 8.0
C_URGENCY = 4.0
C_SENSITIVE = 4.0
MIN_BIGRAM_COUNT = 2
WEIGHT_FLOOR = 1e-4  # weights smaller than this are dropped from the file


class TrainSettings:
    """Hyper-parameters (kept together so evaluation can report them)."""

    def __init__(self, c_category: float = C_CATEGORY, c_urgency: float = C_URGENCY, c_sensitive: float = C_SENSITIVE) -> None:
        self.c_category = c_category
        self.c_urgency = c_urgency
        self.c_sensitive = c_sensitive

    def as_dict(self) -> dict[str, float]:
        """The settings as a plain dict."""
        return {"c_category": self.c_category, "c_urgency": self.c_urgency, "c_sensitive": self.c_sensitive}


def _model_texts(examples: Sequence[Example]) -> list[str]:
    result = []
    for example in examples:
        display = display_form(example.text)
        result.append(model_text(matching_key(display)[:4000], display[:4000]))
    return result


def _vocabulary(texts: Sequence[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(word_tokens(text)))
    vocabulary = [g for g, c in counts.items() if " " not in g or c >= MIN_BIGRAM_COUNT]
    return sorted(vocabulary)


def _matrix(texts: Sequence[str], vocabulary: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]

    n = len(texts)
    blocks = []
    for (indices, owners), width in (
        (char_ngrams(texts, NGRAM_SIZES), 1 << CHAR_BITS),
        (WordIndex(vocabulary).features(texts), len(vocabulary)),  # the engine's own word features
    ):
        counts = np.bincount(owners, minlength=n).astype(np.float64)
        scale = 1.0 / np.sqrt(np.maximum(counts, 1.0))
        data = scale[owners]
        block = csr_matrix((data, (owners, indices)), shape=(n, width))
        block.sum_duplicates()
        blocks.append(block)
    return hstack(blocks, format="csr")


def _fit(x: Any, y: Sequence[str], labels: Sequence[str], c: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from sklearn.linear_model import LogisticRegression

    present = sorted(set(y), key=labels.index)
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", tol=1e-4)
    classifier.fit(x, [labels.index(v) for v in y])
    width = x.shape[1]
    coef = np.zeros((width, len(labels)))
    bias = np.full(len(labels), -30.0)  # a class never seen in training is never predicted
    if len(present) == 1:
        bias[labels.index(present[0])] = 0.0
        return coef, bias
    classes = [int(k) for k in classifier.classes_]
    if len(classes) == 2:
        # Binary: sklearn keeps one column; spread it symmetrically over the two classes.
        half = classifier.coef_[0] / 2.0
        coef[:, classes[0]] = -half
        coef[:, classes[1]] = half
        bias[classes[0]] = -classifier.intercept_[0] / 2.0
        bias[classes[1]] = classifier.intercept_[0] / 2.0
        return coef, bias
    for row, k in enumerate(classes):
        coef[:, k] = classifier.coef_[row]
        bias[k] = classifier.intercept_[row]
    return coef, bias


def _fit_binary(x: Any, y: Sequence[bool], c: float) -> tuple[npt.NDArray[np.float64], float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y)) < 2:
        return np.zeros(x.shape[1]), (10.0 if y and y[0] else -10.0)
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", tol=1e-4)
    classifier.fit(x, [1 if v else 0 for v in y])
    return np.asarray(classifier.coef_[0], dtype=np.float64), float(classifier.intercept_[0])


def _trigram_llr(examples: Sequence[Example]) -> dict[str, float]:
    """Log-likelihood ratio of character trigrams in Roman Urdu vs English words."""
    identifier = LanguageIdentifier()
    counts = {"ur-Latn": Counter[str](), "en": Counter[str]()}
    for example in examples:
        if example.language not in counts:
            continue
        for word in identifier.latin_words(example.text):
            padded = f" {word} "
            counts[example.language].update(padded[i : i + 3] for i in range(len(padded) - 2))
    ru, en = counts["ur-Latn"], counts["en"]
    total_ru, total_en = sum(ru.values()), sum(en.values())
    if not total_ru or not total_en:
        return {}
    vocabulary = set(ru) | set(en)
    size = len(vocabulary)
    table: dict[str, float] = {}
    for gram in sorted(vocabulary):
        if ru[gram] + en[gram] < 3:
            continue
        llr = math.log((ru[gram] + 0.5) / (total_ru + 0.5 * size)) - math.log((en[gram] + 0.5) / (total_en + 0.5 * size))
        if abs(llr) >= 0.5:
            table[gram] = round(max(-4.0, min(4.0, llr)), 3)
    return table


def train_model(examples: Sequence[Example], settings: TrainSettings | None = None) -> dict[str, Any]:
    """Fit the three heads and the trigram table; returns the arrays to write."""
    settings = settings or TrainSettings()
    texts = _model_texts(examples)
    vocabulary_list = _vocabulary(texts)
    vocabulary = {w: i for i, w in enumerate(vocabulary_list)}
    x = _matrix(texts, vocabulary)
    cat_coef, cat_bias = _fit(x, [e.category for e in examples], list(CATEGORIES), settings.c_category)
    urg_coef, urg_bias = _fit(x, [e.urgency for e in examples], list(URGENCIES), settings.c_urgency)
    sens_coef, sens_bias = _fit_binary(x, [e.sensitive for e in examples], settings.c_sensitive)
    weights = np.hstack([cat_coef, urg_coef, sens_coef[:, None]])
    bias = np.concatenate([cat_bias, urg_bias, [sens_bias]])
    char_block = weights[: 1 << CHAR_BITS]
    word_block = weights[1 << CHAR_BITS :]
    rows = np.flatnonzero(np.abs(char_block).max(axis=1) >= WEIGHT_FLOOR).astype(np.int32)
    trigrams = _trigram_llr(examples)
    meta = {
        "outputs": int(weights.shape[1]),
        "categories": list(CATEGORIES),
        "urgencies": list(URGENCIES),
        "char_bits": CHAR_BITS,
        "ngram_sizes": list(NGRAM_SIZES),
        "examples": len(examples),
        "settings": settings.as_dict(),
        "by_category": dict(sorted(Counter(e.category for e in examples).items())),
        "by_language": dict(sorted(Counter(e.language for e in examples).items())),
    }
    return {
        "meta": np.array(json.dumps(meta, sort_keys=True)),
        "char_rows": rows,
        "char_values": char_block[rows].astype(np.float16),
        "word_values": word_block.astype(np.float16),
        "vocabulary": np.array(vocabulary_list, dtype=str),
        "bias": bias.astype(np.float64),
        "trigram_keys": np.array(sorted(trigrams), dtype=str),
        "trigram_values": np.array([trigrams[k] for k in sorted(trigrams)], dtype=np.float32),
    }


def write_model(arrays: dict[str, Any], path: Path) -> None:
    """Write the model file (compressed npz, no pickled objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    with temporary.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    temporary.replace(path)
