"""Model features: the inference word index gives exactly the training word features."""

from __future__ import annotations

import numpy as np

from rabta.triage.engine import Engine
from rabta.triage.features import IntArray, WordIndex, bigram_firsts, word_features

VOCABULARY = {w: i for i, w in enumerate(["firing", "ho", "rahi", "hai", "firing ho", "ho rahi", "rahi hai", "chori", "bazar chori", "qmarkq"])}
TEXTS = ["firing ho rahi hai", "bazar chori", "", "hai hai firing", "chori qmarkq", "x y z", "ho", "firing ho firing ho", "rahi"]
ODD = [*TEXTS, "firing \x00 ho", "ho\x00rahi hai", "  ", "\x00"]  # a separator inside a text: the slow path


def _same(a: tuple[IntArray, IntArray], b: tuple[IntArray, IntArray]) -> bool:
    return bool(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))


def test_word_index_is_word_features() -> None:
    index = WordIndex(VOCABULARY)
    assert _same(index.features(TEXTS), word_features(TEXTS, VOCABULARY))
    assert _same(index.features(TEXTS), word_features(TEXTS, VOCABULARY, bigram_firsts(VOCABULARY)))
    for text in TEXTS:
        assert _same(index.features([text]), word_features([text], VOCABULARY))
    assert _same(index.features([]), word_features([], VOCABULARY))
    assert _same(index.features(ODD), word_features(ODD, VOCABULARY))
    assert _same(index.features(["", "", ""]), word_features(["", "", ""], VOCABULARY))


def test_word_index_of_the_shipped_model(engine: Engine) -> None:
    assert engine.model is not None
    texts = ["mera bhai kal se ghar nahi aya", "پشاور میں فائرنگ ہو رہی ہے", "police station ne fir nahi kati qmarkq", ""] * 3
    index = WordIndex(engine.model.vocabulary)
    assert _same(index.features(texts), word_features(texts, engine.model.vocabulary))
