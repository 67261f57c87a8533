"""Language identification: en, ur (Urdu script), ps (Pashto script), ur-Latn (Roman Urdu), und.

Script first: the letters of the display form are counted per script and the dominant script wins
(a mixed message gets its dominant language). Then:

* Arabic script: Urdu against Pashto. Pashto-only letters (ټ ډ ړ ږ ښ ځ څ ڼ ګ ې ۍ), Arabic ي used
  beside Farsi ی, and Pashto function words (زه، زما، کښې، دلته، سره، ته، ...) against Urdu-only
  letters (ں ے ھ ٹ ڈ ڑ) and Urdu function words (ہے، کا، میں، نے، سے، ...). Function words weigh
  more than letters, so Pashto typed on an Urdu keyboard is still Pashto.
* Latin script: Roman Urdu against English with two weighted word lists plus, for words in
  neither list, a character-trigram log-likelihood table trained from the corpus (shipped in the
  model file). Only when the evidence is tied (about 0.15% of messages) may py3langid break the tie.
  It costs about 75 MB of resident memory once loaded, so it is off unless asked for
  (``use_langid=True``, or RABTA_TRIAGE_LANGID=1 for the default engine) and then loaded lazily on
  the first tie. Without it a tie goes to English.
* No letters at all (emoji, digits, punctuation) or another script dominating: und.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from rabta.triage.normalise import ARABIC_LETTERS, BatchTranslator, bmp_flags

__all__ = ["LANGUAGES", "LanguageGuess", "LanguageIdentifier"]

LANGUAGES = ("en", "ur", "ps", "ur-Latn", "und")

_PASHTO_LETTERS = frozenset("ټډړږښځڅڼګېۍ")
_URDU_LETTERS = frozenset("ںےۓھٹڈڑ")
_ARABIC_YEH = "\u064a"
_FARSI_YEH = "\u06cc"

_LLR_CACHE_LIMIT = 100_000

_LIGHT: dict[str, str] = {
    "\u0643": "\u06a9",  # ك -> ک
    "\u0649": "\u06cc",  # ى -> ی
    "\u0647": "\u06c1",  # ه -> ہ
    "\u06c0": "\u06c1",
    "\u06c2": "\u06c1",
    "\u0629": "\u06c1",
    "\u06d5": "\u06c1",
    "\u0623": "\u0627",
    "\u0625": "\u0627",
    "\u0622": "\u0627",
    "\u0671": "\u0627",
    "\u06d3": "\u0626\u06d2",
}
for _cp in [*range(0x064B, 0x0660), 0x0670, 0x0640, 0x0654, 0x0655, *range(0x200B, 0x2010), 0xFEFF]:
    _LIGHT[chr(_cp)] = ""
_LIGHT_BATCH = BatchTranslator(_LIGHT)
_LIGHT_TABLE = _LIGHT_BATCH.table
_NEEDS_LIGHT = re.compile("[" + "".join(re.escape(c) for c in sorted(_LIGHT)) + "]")
_ARABIC_YEH_TO_FARSI = str.maketrans({_ARABIC_YEH: _FARSI_YEH})

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _bmp_letter_class() -> str:
    r"""``[^\W\d_]`` written out as ranges of BMP code points (a letter: str.isalnum(), not a decimal
    digit, not "_"), which the regex engine tests with one table look-up per character."""
    letters = np.flatnonzero(bmp_flags(r"[^\W\d_]"))
    breaks = np.flatnonzero(np.diff(letters) != 1)
    firsts = [int(letters[0]), *(letters[breaks + 1].tolist())]
    lasts = [*(letters[breaks].tolist()), int(letters[-1])]
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in zip(firsts, lasts, strict=True))


# The same words, faster, for the texts they are equivalent on: ASCII text, and text without
# characters beyond the BMP.
_WORD_ASCII = re.compile(r"[a-zA-Z]+(?:'[a-zA-Z]+)?")
_LETTER_BMP = _bmp_letter_class()
_WORD_BMP = re.compile(f"[{_LETTER_BMP}]+(?:'[{_LETTER_BMP}]+)?")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _words(text: str) -> list[str]:
    """``_WORD.findall(text)``."""
    if text.isascii():
        return _WORD_ASCII.findall(text)
    if _ASTRAL.search(text) is None:
        return _WORD_BMP.findall(text)
    return _WORD.findall(text)


_LATIN_RUN = re.compile(r"([a-z])\1{2,}")
_ARABIC_RUN = re.compile("[" + "".join(sorted(ARABIC_LETTERS)) + "]+")
_LATIN_RUN_LETTERS = re.compile("[" + "".join(chr(cp) for cp in range(0x41, 0x250) if chr(cp).isalpha()) + "]+")
_ASCII_LETTER = re.compile("[A-Za-z]")
_NOT_LATIN = re.compile("[^\u0000-\u024f]+")
_PASHTO_LETTER = re.compile("[" + "".join(sorted(_PASHTO_LETTERS)) + "]")
_URDU_LETTER = re.compile("[" + "".join(sorted(_URDU_LETTERS)) + "]")

_DATA = Path(__file__).resolve().parent / "data" / "language.json"

# For a batch, letters are counted per script with numpy: one flag table over the BMP.
_ARABIC_FLAG = 1  # a letter of _ARABIC_RUN
_LATIN_FLAG = 2  # a letter of _LATIN_RUN_LETTERS
_SCRIPT_FLAGS = np.zeros(0x10000, dtype=np.uint8)
_SCRIPT_FLAGS[[ord(c) for c in ARABIC_LETTERS]] |= _ARABIC_FLAG
_SCRIPT_FLAGS[[cp for cp in range(0x41, 0x250) if chr(cp).isalpha()]] |= _LATIN_FLAG
_BATCH_MIN = 8
_LatinWord = tuple[str, float, float, float, float]  # a word: collapsed, Roman Urdu, English, other, model


def _script_counts(texts: Sequence[str]) -> tuple[list[int], list[int]]:
    """Per text, the number of Arabic-script letters and of Latin letters (as ``identify`` counts
    them with _ARABIC_RUN and _LATIN_RUN_LETTERS), for the whole batch at once."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags: npt.NDArray[np.uint8] = _SCRIPT_FLAGS[np.minimum(codes, 0xFFFF)]
    flags[codes > 0xFFFF] = 0
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    arabic = np.bincount(owner[(flags & _ARABIC_FLAG) != 0], minlength=n)
    latin = np.bincount(owner[(flags & _LATIN_FLAG) != 0], minlength=n)
    return arabic.tolist(), latin.tolist()


def light_fold(text: str) -> str:
    """Arabic-script folding that keeps every Urdu/Pashto distinction (and Arabic ي)."""
    if _NEEDS_LIGHT.search(text) is None:
        return text
    return text.translate(_LIGHT_TABLE)


class LanguageGuess(NamedTuple):
    """A language decision with its confidence and evidence (a named tuple: cheap to make)."""

    language: str
    confidence: float
    evidence: tuple[str, ...] = ()


class LatinScores(NamedTuple):
    """Evidence for Roman Urdu against English in a Latin-script text."""

    roman_urdu: float
    english: float
    other: float
    model: float
    roman_urdu_hits: tuple[str, ...]
    english_hits: tuple[str, ...]


def _sigmoid_confidence(margin: float, scale: float = 1.5) -> float:
    return round(1.0 / (1.0 + math.exp(-min(abs(margin), 40.0) / scale)), 3)


class LanguageIdentifier:
    """Rule-based identifier with a trained character model for unknown Latin words."""

    def __init__(self, data: Mapping[str, Any] | None = None, trigram_llr: Mapping[str, float] | None = None, *, use_langid: bool = False) -> None:
        if data is None:
            data = json.loads(_DATA.read_text(encoding="utf-8"))
        self.version: str = str(data.get("version", "0"))
        self._ps = {light_fold(k): float(v) for k, v in data["pashto_words"].items()}
        self._ur = {light_fold(k): float(v) for k, v in data["urdu_words"].items()}
        self._ru = {k.lower(): float(v) for k, v in data["roman_urdu_words"].items()}
        self._en = {k.lower(): float(v) for k, v in data["english_words"].items()}
        self._other = {k.lower(): float(v) for k, v in data.get("latin_other_words", {}).items()}
        self._arabic_table: dict[str, tuple[float, float]] = {w: (self._ps.get(w, 0.0), self._ur.get(w, 0.0)) for w in {*self._ps, *self._ur}}
        self._arabic_pair_firsts = frozenset(w.split()[0] for w in self._ps if " " in w)
        self._latin_table: dict[str, tuple[float, float, float]] = {
            w: (self._ru.get(w, 0.0), self._en.get(w, 0.0), self._other.get(w, 0.0)) for w in {*self._ru, *self._en, *self._other}
        }
        self._latin_pair_firsts = frozenset(w.split()[0] for w in self._ru if " " in w)
        # Positive log-likelihood ratio favours Roman Urdu over English.
        self._trigram_llr: dict[str, float] = dict(trigram_llr or {})
        # A lower-case word as found in a text -> (the word with letter runs collapsed, its Roman
        # Urdu, English and other weights, its character-model value).
        self._latin_word_cache: dict[str, _LatinWord] = {}
        self._langid: Any = None
        self._langid_lock = threading.Lock()
        self.langid_loaded = False
        self.tie_breaks = 0
        self.use_langid = use_langid

    def set_trigram_model(self, trigram_llr: Mapping[str, float]) -> None:
        """Install the trained character-trigram table (Roman Urdu vs English)."""
        self._trigram_llr = dict(trigram_llr)
        self._latin_word_cache = {}

    # -- entry point ---------------------------------------------------------------------------
    def identify(self, text: str) -> LanguageGuess:
        """Identify the language of a display-form text."""
        if text.isascii():
            if _ASCII_LETTER.search(text) is None:
                return LanguageGuess("und", 0.99, ("no letters",))
            return self._latin(text)
        arabic = sum(map(len, _ARABIC_RUN.findall(text)))
        latin = sum(map(len, _LATIN_RUN_LETTERS.findall(text)))
        return self._identify_mixed(text, arabic, latin)

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """``identify`` for a batch: the letters are counted and the Arabic-script texts lightly
        folded for the whole batch at once (the same guesses)."""
        if len(texts) < _BATCH_MIN:
            return [self.identify(t) for t in texts]
        mixed = [i for i, t in enumerate(texts) if not t.isascii()]
        counts: dict[int, tuple[int, int]] = {}
        folded: dict[int, str] = {}
        if mixed:
            arabic_counts, latin_counts = _script_counts([texts[i] for i in mixed])
            counts = dict(zip(mixed, zip(arabic_counts, latin_counts, strict=True), strict=True))
            # The texts that will take the Arabic-script path (arabic >= latin; a text with few
            # such letters may still end elsewhere, and its fold is then simply not used).
            arabic_path = [i for i in mixed if counts[i][0] >= counts[i][1] and counts[i][0]]
            if arabic_path:
                folded = dict(zip(arabic_path, _LIGHT_BATCH.many([texts[i] for i in arabic_path]), strict=True))
        guesses: list[LanguageGuess] = []
        for i, text in enumerate(texts):
            count = counts.get(i)
            if count is None:
                guesses.append(self.identify(text))
            else:
                guesses.append(self._identify_mixed(text, count[0], count[1], folded.get(i)))
        return guesses

    def _identify_mixed(self, text: str, arabic: int, latin: int, folded: str | None = None) -> LanguageGuess:
        """``identify`` for a text that is not ASCII, given its Arabic-script and Latin letter counts
        (and ``light_fold(text)``, if the caller has it)."""
        other = 0
        if arabic + latin < len(text) // 2:
            # Few Latin/Arabic letters: look for another script (rare, so a Python loop is fine).
            other = sum(1 for c in text if c.isalpha()) - arabic - latin
        if arabic + latin + other == 0:
            return LanguageGuess("und", 0.99, ("no letters",))
        if other > arabic and other > latin:
            return LanguageGuess("und", 0.9, (f"script: {other} letters outside Latin/Arabic",))
        if arabic >= latin:
            guess = self._arabic(text, folded)
            if latin:
                return LanguageGuess(guess.language, guess.confidence, (*guess.evidence, f"mixed: {arabic} Arabic-script vs {latin} Latin letters"))
            return guess
        latin_text = _NOT_LATIN.sub(" ", text)
        guess = self._latin(latin_text)
        return LanguageGuess(guess.language, guess.confidence, (*guess.evidence, f"mixed: {latin} Latin vs {arabic} Arabic-script letters"))

    # -- Arabic script -------------------------------------------------------------------------
    def _arabic(self, text: str, folded: str | None = None) -> LanguageGuess:
        if folded is None:
            folded = light_fold(text)
        ps_letters = len(_PASHTO_LETTER.findall(folded))
        ur_letters = len(_URDU_LETTER.findall(folded))
        arabic_yeh = folded.count(_ARABIC_YEH)
        farsi_yeh = folded.count(_FARSI_YEH)
        if arabic_yeh and not farsi_yeh:
            # An Arabic keyboard: ي is just its yeh, not the Pashto letter.
            folded = folded.replace(_ARABIC_YEH, _FARSI_YEH)
            arabic_yeh = 0
        ps = min(ps_letters, 12) * 1.0 + (min(arabic_yeh, 4) * 0.5 if farsi_yeh else 0.0)
        ur = min(ur_letters, 12) * 0.4
        ps_hits: list[str] = []
        ur_hits: list[str] = []
        table = self._arabic_table
        firsts = self._arabic_pair_firsts
        previous = ""
        words = _words(folded)
        if firsts.isdisjoint(words):
            # No word starts a pair (the usual case): only the words in the table need a Python step.
            for word in filter(table.__contains__, words):
                ps_weight, ur_weight = table[word]
                if ps_weight:
                    ps += ps_weight
                    ps_hits.append(word)
                if ur_weight:
                    ur += ur_weight
                    ur_hits.append(word)
            words = []
        for word in words:
            weights = table.get(word)
            if weights is not None:
                if weights[0]:
                    ps += weights[0]
                    ps_hits.append(word)
                if weights[1]:
                    ur += weights[1]
                    ur_hits.append(word)
            if previous in firsts:
                pair = previous + " " + word
                weights = table.get(pair)
                if weights is not None and weights[0]:
                    ps += weights[0]
                    ps_hits.append(pair)
            previous = word
        margin = ps - ur
        evidence = (
            (
                f"script: Arabic; Pashto {ps:.1f} ({ps_letters} letters; {', '.join(ps_hits[:6])}) "
                f"vs Urdu {ur:.1f} ({ur_letters} letters; {', '.join(ur_hits[:6])})"
            ),
        )
        if ps == 0 and ur == 0:
            return LanguageGuess("ur", 0.6, (*evidence, "no Urdu/Pashto evidence: Urdu by default"))
        if margin > 0:
            return LanguageGuess("ps", _sigmoid_confidence(margin), evidence)
        return LanguageGuess("ur", _sigmoid_confidence(margin), evidence)

    # -- Latin script --------------------------------------------------------------------------
    def latin_words(self, text: str) -> list[str]:
        """The words of a Latin-script text as the Roman Urdu/English rules see them."""
        return [w for w in _WORD.findall(_LATIN_RUN.sub(r"\1", text.lower())) if w.isascii()]

    def latin_scores(self, text: str) -> LatinScores:
        """Roman Urdu and English word scores, the character-model score and the hits."""
        # Collapsing runs of a letter never changes where words start and end, so each word is
        # found on the lower-case text and collapsed on its own, once per distinct word (cached).
        cache = self._latin_word_cache
        table = self._latin_table
        firsts = self._latin_pair_firsts
        ru = en = other = model = 0.0
        ru_hits: list[str] = []
        en_hits: list[str] = []
        previous = ""
        for found in _words(text.lower()):
            info = cache.get(found)
            if info is None:
                info = self._latin_word(found)
            word, r, e, o, m = info
            if o:  # adding 0.0 changes no sum: skipped
                other += o
            if previous in firsts:
                pair = previous + " " + word
                pair_weights = table.get(pair)
                if pair_weights is not None and pair_weights[0]:
                    ru += pair_weights[0]
                    ru_hits.append(pair)
            previous = word
            if r:
                ru += r
                ru_hits.append(word)
            if e:
                en += e
                en_hits.append(word)
            if m:
                model += m
        return LatinScores(ru, en, other, model, tuple(ru_hits), tuple(en_hits))

    def _latin_word(self, found: str) -> _LatinWord:
        """A lower-case word as found in a text: collapsed, with its weights (cached: words repeat
        across messages; the one cache of the Latin rules)."""
        word = _LATIN_RUN.sub(r"\1", found)
        result = (word, *self._word_info(word))
        if len(self._latin_word_cache) >= _LLR_CACHE_LIMIT:
            self._latin_word_cache.clear()
        self._latin_word_cache[found] = result
        return result

    def _word_info(self, word: str) -> tuple[float, float, float, float]:
        """Roman Urdu, English and other-language weights of one word and its character-model
        evidence (0 unless the word is in neither list)."""
        weights = self._latin_table.get(word)
        r, e, o = weights if weights is not None else (0.0, 0.0, 0.0)
        m = self._word_llr(word) if not r and not e and self._trigram_llr and len(word) > 2 and word.isascii() else 0.0
        return (r, e, o, m)

    def _word_llr(self, word: str) -> float:
        """Character-model evidence of one unknown word, in [-1, 1]."""
        padded = f" {word} "
        get = self._trigram_llr.get
        total = 0.0
        for i in range(len(padded) - 2):
            total += get(padded[i : i + 3], 0.0)
        # One unknown word is at most worth a weak function word.
        return max(-1.0, min(1.0, total / (len(padded) - 2)))

    def _latin(self, text: str) -> LanguageGuess:
        scores = self.latin_scores(text)
        margin = scores.roman_urdu - scores.english + 0.8 * scores.model
        evidence = (
            (
                f"script: Latin; Roman Urdu {scores.roman_urdu:.1f} ({', '.join(scores.roman_urdu_hits[:6])}) "
                f"vs English {scores.english:.1f} ({', '.join(scores.english_hits[:6])}); "
                f"character model {scores.model:+.2f}"
            ),
        )
        if scores.other >= 3 and scores.other > scores.roman_urdu + scores.english:
            return LanguageGuess("und", 0.7, (*evidence, f"other Latin-script language {scores.other:.1f}"))
        if abs(margin) < 0.5:
            tie = self._tie_break(text)
            if tie is not None:
                return LanguageGuess(tie[0], tie[1], (*evidence, f"tie broken by py3langid: {tie[0]}"))
            if margin == 0:
                return LanguageGuess("en", 0.5, (*evidence, "no evidence: English by default"))
        if margin > 0:
            return LanguageGuess("ur-Latn", _sigmoid_confidence(margin), evidence)
        return LanguageGuess("en", _sigmoid_confidence(margin), evidence)

    def _tie_break(self, text: str) -> tuple[str, float] | None:
        letters = sum(1 for c in text if c.isalpha())
        if letters < 8:
            return None
        self.tie_breaks += 1
        if not self.use_langid:
            return None
        identifier = self._load_langid()
        if identifier is None:
            return None
        code, score = identifier.classify(text)
        score = float(score)
        if code == "en":
            return "en", round(min(score, 0.9), 3)
        if code in ("hi", "ur", "pa"):
            return "ur-Latn", round(min(score, 0.9), 3)
        if score > 0.98 and code in ("fr", "de", "es", "it", "pt", "nl", "tr", "id", "ms"):
            return "und", round(min(score, 0.9), 3)
        return None

    def _load_langid(self) -> Any:
        with self._langid_lock:
            if not self.langid_loaded:
                self.langid_loaded = True
                try:
                    from py3langid.langid import MODEL_FILE
                    from py3langid.langid import LanguageIdentifier as LangId

                    self._langid = LangId.from_model_file(MODEL_FILE, norm_probs=True)
                except Exception:
                    self._langid = None
            return self._langid
