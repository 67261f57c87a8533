"""Features for the linear model, computed the same way in training and at inference.

* Character n-grams (sizes 2 and 4 by default) of " " + matching key + " ", hashed into 2**CHAR_BITS buckets with a
  fixed 64-bit polynomial hash computed by numpy over the whole batch at once (no Python loop per
  n-gram, no per-process hash seed: the same text always gives the same buckets).
* Word unigrams and bigrams of the matching key, looked up in the vocabulary learnt in training.

Each block is scaled by 1/sqrt(number of features in it), so long and short messages weigh alike.
Only numpy is needed here; scikit-learn is used by ``train`` alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["CHAR_BITS", "NGRAM_SIZES", "WordIndex", "bigram_firsts", "char_ngrams", "model_text", "word_features"]

CHAR_BITS = 18
NGRAM_SIZES = (2, 4)  # default for training; the model file records the sizes it was trained with
_MULT = np.uint64(0x100000001B3)  # FNV-style multiplier
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SALT = [np.uint64((n * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF) for n in range(8)]
_SHIFT = np.uint64(64 - CHAR_BITS)
QUESTION_TOKEN = "qmarkq"  # noqa: S105 - a feature token, not a secret

IntArray = npt.NDArray[np.int64]


def model_text(key: str, display: str) -> str:
    """The text the model sees: the matching key plus a token for a question mark."""
    if "?" in display or "\u061f" in display:
        return key + " " + QUESTION_TOKEN if key else QUESTION_TOKEN
    return key


def char_ngrams(texts: Sequence[str], sizes: Sequence[int] = NGRAM_SIZES) -> tuple[IntArray, IntArray]:
    """Hashed character n-gram buckets of every text.

    Returns (buckets, owner): ``buckets[i]`` is a bucket in [0, 2**CHAR_BITS) and ``owner[i]`` the
    index of the text it came from. The order (all 2-grams, then 3-grams, ...) is the same whether
    a text is alone or in a batch, so sums over it are bit-for-bit the same too.
    """
    if not texts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if len(texts) == 1:
        return _char_ngrams_one(texts[0], sizes)
    padded = [" " + t + " " for t in texts]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    joined = "".join(padded)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    total = codes.shape[0]
    starts = np.zeros(len(padded), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    ends = starts + lengths
    owner_of_position = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)
    end_of_position = ends[owner_of_position]
    positions = np.arange(total, dtype=np.int64)
    buckets: list[IntArray] = []
    owners: list[IntArray] = []
    rolling = codes.copy()
    with np.errstate(over="ignore"):
        for n in range(2, max(sizes) + 1):
            if total - n + 1 <= 0:
                break
            # rolling[p] is now the hash of codes[p : p + n] (valid for p <= total - n)
            rolling = rolling[: total - n + 1] * _MULT + codes[n - 1 :]
            if n not in sizes:
                continue
            count = total - n + 1
            valid = positions[:count] + n <= end_of_position[:count]
            mixed = ((rolling ^ _SALT[n]) * _GOLDEN) >> _SHIFT
            buckets.append(mixed[valid].astype(np.int64))
            owners.append(owner_of_position[:count][valid])
    return np.concatenate(buckets), np.concatenate(owners)


def _char_ngrams_one(text: str, sizes: Sequence[int]) -> tuple[IntArray, IntArray]:
    """``char_ngrams`` of a single text: the same buckets in the same order, with none of the
    bookkeeping a batch needs (every position is inside the one text)."""
    codes = np.frombuffer((" " + text + " ").encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    total = codes.shape[0]
    buckets: list[IntArray] = []
    rolling = codes
    with np.errstate(over="ignore"):
        for n in range(2, max(sizes) + 1):
            if total - n + 1 <= 0:
                break
            rolling = rolling[: total - n + 1] * _MULT + codes[n - 1 :]
            if n in sizes:
                buckets.append((((rolling ^ _SALT[n]) * _GOLDEN) >> _SHIFT).astype(np.int64))
    found = np.concatenate(buckets) if buckets else np.zeros(0, dtype=np.int64)
    return found, np.zeros(found.shape[0], dtype=np.int64)


def word_features(texts: Sequence[str], vocabulary: Mapping[str, int], firsts: frozenset[str] | None = None) -> tuple[IntArray, IntArray]:
    """Vocabulary indices of word unigrams and bigrams of every text, and their owners.

    Per text, its unigrams come first (in word order), then its bigrams (in order), whether the
    text is alone or in a batch. ``firsts`` (the first words of the vocabulary's bigrams, see
    ``bigram_firsts``) lets the bigram strings be built only where one can be in the vocabulary;
    the result is the same. The lookups run over the whole batch at once (dict.get through map, no
    Python loop per word).

    The plain reference: training and the engine both use `WordIndex`, which the tests pin to
    give exactly these indices.
    """
    n = len(texts)
    if n == 1:  # one text: plain lookups beat setting up arrays
        words = texts[0].split()
        get = vocabulary.get
        found = [i for i in map(get, words) if i is not None]
        pairs = [a + " " + b for a, b in itertools.pairwise(words) if firsts is None or a in firsts]
        found.extend(i for i in map(get, pairs) if i is not None)
        return np.asarray(found, dtype=np.int64), np.zeros(len(found), dtype=np.int64)
    split = [t.split() for t in texts]
    counts = np.fromiter(map(len, split), dtype=np.int64, count=n)
    words = list(itertools.chain.from_iterable(split))
    total = len(words)
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    word_owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    unigrams = np.fromiter(map(vocabulary.get, words, itertools.repeat(-1)), dtype=np.int64, count=total)
    # A bigram starts at every word but the last of its text (and, with ``firsts``, only at a word
    # that starts a vocabulary bigram).
    starts_pair = np.ones(total, dtype=bool)
    starts_pair[np.cumsum(counts)[counts > 0] - 1] = False
    if firsts is not None:
        starts_pair &= np.fromiter(map(firsts.__contains__, words), dtype=bool, count=total)
    positions = np.flatnonzero(starts_pair)
    get = vocabulary.get
    bigrams = np.fromiter((get(words[p] + " " + words[p + 1], -1) for p in positions.tolist()), dtype=np.int64, count=positions.shape[0])
    keep_uni = unigrams >= 0
    keep_bi = bigrams >= 0
    indices = np.concatenate((unigrams[keep_uni], bigrams[keep_bi]))
    owners = np.concatenate((word_owner[keep_uni], word_owner[positions[keep_bi]]))
    order = np.argsort(owners, kind="stable")
    return indices[order], owners[order]


_NO_BIGRAMS: dict[str, int] = {}  # the bigrams of a word that starts none
_SEPARATOR_WORD = "\x00"  # not whitespace, and never in a matching key (a non-word character)
_SEPARATOR = " " + _SEPARATOR_WORD + " "


class WordIndex:
    """A vocabulary arranged for inference: ``features(texts)`` is ``word_features(texts, vocabulary)``.

    Every word maps to its own index (or -1) and to the bigrams it starts (second word -> index), so a
    word is hashed and looked up once, and a bigram is one more lookup keyed by the next word (whose
    hash is already known): no bigram string is built. The lookups run over the whole batch through
    C-level ``map``; the indices come out in the same order as from ``word_features``.
    """

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        nexts: dict[str, dict[str, int]] = {}
        for gram, index in vocabulary.items():
            if " " in gram:
                first, second = gram.split(" ", 1)
                nexts.setdefault(first, {})[second] = index
        # Words never contain whitespace (they come from str.split()), so keys with a space are
        # never a unigram, and a bigram "a b" is found exactly when a is followed by b.
        self._unigrams: dict[str, int] = {w: i for w, i in vocabulary.items() if " " not in w}
        self._nexts = nexts
        self._separable = not any(_SEPARATOR_WORD in gram for gram in vocabulary)

    def features(self, texts: Sequence[str]) -> tuple[IntArray, IntArray]:
        """Vocabulary indices of the word unigrams and bigrams of every text, and their owners:
        per text, its unigrams (in word order), then its bigrams (in order)."""
        n = len(texts)
        unigram_of = self._unigrams.get
        nexts_of = self._nexts.get
        if n == 1:
            words = texts[0].split()
            found = [i for i in map(unigram_of, words) if i is not None]
            nexts = list(map(nexts_of, words[:-1], itertools.repeat(_NO_BIGRAMS)))
            found.extend(i for i in map(dict.get, nexts, words[1:]) if i is not None)
            return np.asarray(found, dtype=np.int64), np.zeros(len(found), dtype=np.int64)
        # All the words of the batch from one split, the texts separated by a token that is in no text
        # and no vocabulary entry: no unigram, no bigram starts at it or ends with it, so no pair
        # crosses from one text to the next; a text's words are owned by the count of separators
        # before them.
        joined = _SEPARATOR.join(texts)
        if self._separable and joined.count(_SEPARATOR_WORD) == n - 1:
            words = joined.split()
            total = len(words)
            if total == n - 1:  # separators only: no words at all
                empty = np.zeros(0, dtype=np.int64)
                return empty, empty
            word_owner = np.cumsum(np.fromiter(map(_SEPARATOR_WORD.__eq__, words), dtype=bool, count=total), dtype=np.int64)
            same_text = None
        else:
            split = [t.split() for t in texts]
            counts = np.fromiter(map(len, split), dtype=np.int64, count=n)
            words = list(itertools.chain.from_iterable(split))
            total = len(words)
            if total == 0:
                empty = np.zeros(0, dtype=np.int64)
                return empty, empty
            word_owner = np.repeat(np.arange(n, dtype=np.int64), counts)
            same_text = word_owner[1:] == word_owner[:-1]
        unigrams = np.fromiter(map(unigram_of, words, itertools.repeat(-1)), dtype=np.int64, count=total)
        # The bigram starting at every word but the very last (-1 where there is none); a pair that
        # crosses from one text to the next is dropped.
        starting = map(nexts_of, words, itertools.repeat(_NO_BIGRAMS))
        bigrams = np.fromiter(map(dict.get, starting, words[1:], itertools.repeat(-1)), dtype=np.int64, count=total - 1)
        keep_uni = unigrams >= 0
        keep_bi = bigrams >= 0
        if same_text is not None:
            keep_bi &= same_text
        positions = np.flatnonzero(keep_bi)
        indices = np.concatenate((unigrams[keep_uni], bigrams[positions]))
        owners = np.concatenate((word_owner[keep_uni], word_owner[positions]))
        order = np.argsort(owners, kind="stable")
        return indices[order], owners[order]


def bigram_firsts(vocabulary: Mapping[str, int]) -> frozenset[str]:
    """The first words of the bigrams in a vocabulary."""
    return frozenset(w.split(" ", 1)[0] for w in vocabulary if " " in w)


def word_tokens(text: str) -> list[str]:
    """The unigram and bigram strings of a text (used to build the vocabulary in training)."""
    words = text.split()
    grams = list(words)
    grams.extend(a + " " + b for a, b in itertools.pairwise(words))
    return grams
