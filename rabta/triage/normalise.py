"""Text normalisation in two levels: a display form and a matching key.

* ``display_form`` keeps the text as written (Unicode NFC, lone surrogates replaced). Language
  identification and PII detection look at this level, because the aggressive folding below throws
  away signals they need (Arabic ي is a Pashto signal; the dashes of a CNIC are part of its span).
* ``matching_key`` is what lexicons, the gazetteer and the model match against: Arabic/Persian/Urdu
  code-point variants folded to one letter (ي ى ۍ -> ی, ې -> ے, ك -> ک, ه ھ ۀ ة -> ہ, أ إ آ -> ا), Pashto letters folded to their Urdu look-alikes,
  diacritics, zero-width characters and tatweel removed, Urdu/Arabic-Indic digits turned into ASCII,
  runs of one repeated Latin letter collapsed to a single letter ("soooo" -> "so", "Abbottabad" ->
  "abotabad"), lower case, and every run of non-word characters turned into one space.

``matching_key_with_offsets`` gives the same key plus, for every key character, the index of the
original character it came from, so a match found on the key can be shown on the original text.
Offsets are Python string indices (Unicode code points).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "ARABIC_LETTERS",
    "BatchTranslator",
    "bmp_flags",
    "display_form",
    "fold_char",
    "matching_key",
    "matching_key_with_offsets",
    "matching_keys",
    "replace_surrogates",
    "to_ascii_digits",
]

_YEH = "\u06cc"  # ی FARSI YEH, the Urdu yeh
_YEH_BARREE = "\u06d2"  # ے
_HEH = "\u06c1"  # ہ HEH GOAL, the Urdu heh
_KAF = "\u06a9"  # ک KEHEH
_GAF = "\u06af"  # گ
_ALEF = "\u0627"

# One table, applied with str.translate (C speed). Values may be "" (drop) or several letters.
_FOLD: dict[str, str] = {
    # yeh forms. Yeh barree (ے) stays apart from ی: in Urdu it carries gender and number
    # (لڑکے boys / لڑکی girl, بچے / بچی). Pashto ې sounds like ے and is typed as ے on Urdu keyboards.
    "\u064a": _YEH,  # ي
    "\u0649": _YEH,  # ى
    "\u06cd": _YEH,  # ۍ
    "\u06ce": _YEH,  # ێ
    "\u06d0": _YEH_BARREE,  # ې
    "\u06d3": "\u0626" + _YEH_BARREE,  # ۓ -> ئے so that جاۓ and جائے meet
    # kaf / gaf
    "\u0643": _KAF,  # ك
    "\u06aa": _KAF,  # ڪ
    "\u06ab": _GAF,  # ګ Pashto gaf
    # heh forms, teh marbuta
    "\u0647": _HEH,  # ه
    "\u06be": _HEH,  # ھ
    "\u06c0": _HEH,  # ۀ
    "\u06c2": _HEH,  # ۂ
    "\u06d5": _HEH,  # ە
    "\u0629": _HEH,  # ة
    # alef forms
    "\u0623": _ALEF,  # أ
    "\u0625": _ALEF,  # إ
    "\u0622": _ALEF,  # آ
    "\u0671": _ALEF,  # ٱ
    "\u0672": _ALEF,
    "\u0673": _ALEF,
    "\u0624": "\u0648",  # ؤ -> و
    "\u0621": "",  # ء standalone hamza: spelt or not at will (اغوا / اغواء)
    # Pashto letters folded to the Urdu letter a Pashto speaker types on an Urdu keyboard
    "\u067c": "\u0679",  # ټ -> ٹ
    "\u0689": "\u0688",  # ډ -> ڈ
    "\u0693": "\u0691",  # ړ -> ڑ
    "\u0696": "\u0698",  # ږ -> ژ
    "\u069a": "\u0634",  # ښ -> ش
    "\u0681": "\u0632",  # ځ -> ز
    "\u0685": "\u0633",  # څ -> س
    "\u06bc": "\u0646",  # ڼ -> ن
    # Arabic punctuation that Python does not treat as word characters anyway, kept explicit
    "\u06d4": " ",  # ۔ Urdu full stop
    "\u060c": " ",  # ، comma
    "\u061b": " ",  # ؛
    "\u061f": " ",  # ؟
    "\u066a": " ",  # ٪
    # Latin letters that NFKC keeps but people use interchangeably
    "\u00df": "ss",
}
# Digits of every script Pakistanis type in -> ASCII.
for _i, _c in enumerate("\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"):
    _FOLD[_c] = str(_i)
for _i, _c in enumerate("\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"):
    _FOLD[_c] = str(_i)
# Diacritics (harakat), superscript alef, Quranic annotation marks, tatweel: dropped.
for _cp in [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E5), 0x06E7, 0x06E8, *range(0x06EA, 0x06EE), 0x0640]:
    _FOLD[chr(_cp)] = ""
# Zero-width and bidi control characters, soft hyphen, BOM: dropped.
for _cp in [0x00AD, *range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF, 0x061C]:
    _FOLD[chr(_cp)] = ""

_FOLD_TABLE = str.maketrans(_FOLD)
_DIGIT_TABLE = str.maketrans(
    {
        c: str(i % 10)
        for i, c in enumerate(
            "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
        )
    }
)

# Arabic-script letters (base block, supplement, presentation forms are NFKC-folded before use).
ARABIC_LETTERS = frozenset(
    chr(cp)
    for cp in [*range(0x0620, 0x064B), *range(0x066E, 0x06D4), 0x06D5, 0x06EE, 0x06EF, *range(0x06FA, 0x0700), *range(0x0750, 0x0780)]
    if unicodedata.category(chr(cp)).startswith("L")
)

_SURROGATE = re.compile("[\ud800-\udfff]")
# A Latin letter repeated: collapse the run to one letter ("soooo", "Abbottabad"). Arabic-script
# letters are left alone: doubled letters there are rare in typing and collapsing them makes
# collisions (ککی, a village, would become کی, "of").
_REPEAT = re.compile(r"([a-z])\1+")
_NON_WORD = re.compile(r"[\W_]+")
# Urdu writes ے only at the end of a word; inside a word it can only be Pashto ې (بونېر, خېله, ډېره),
# which Urdu spells with ی (بونیر, خیلہ, ڈیرہ): there it becomes ی.
_MEDIAL_YEH_BARREE = re.compile("\u06d2(?=[^\\W\\d_])")


def display_form(text: str) -> str:
    """The text as written, in NFC, with lone surrogates replaced by U+FFFD.

    Replacing a lone surrogate keeps the length, so offsets into the display form are offsets into
    the original text whenever the original was already NFC (almost always).
    """
    if not text.isascii():
        if _SURROGATE.search(text):
            text = _SURROGATE.sub("\ufffd", text)
        text = unicodedata.normalize("NFC", text)
    return text


def replace_surrogates(text: str) -> str:
    """Lone surrogates (which cannot be encoded as UTF-8) replaced by U+FFFD; length unchanged."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def to_ascii_digits(text: str) -> str:
    """Urdu (Extended Arabic-Indic) and Arabic-Indic digits to ASCII; nothing else changes."""
    return text.translate(_DIGIT_TABLE)


def matching_key(text: str) -> str:
    """The folded form used for every lookup (see the module docstring)."""
    if text.isascii():
        key = text.lower()
    else:
        if _SURROGATE.search(text):
            text = _SURROGATE.sub("\ufffd", text)
        key = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE).lower()
    key = _REPEAT.sub(r"\1", key)
    if _YEH_BARREE in key:
        key = _MEDIAL_YEH_BARREE.sub(_YEH, key)
    return _NON_WORD.sub(" ", key).strip()


# -- the same keys for a whole batch at once -------------------------------------------------------
# ``matching_keys`` joins the texts of a batch and does every step of ``matching_key`` on the code
# points with numpy: a lookup table for folding + lower case, then masks for the Latin runs, the medial
# yeh barree and the runs of non-word characters. Python's ``re`` costs tens of nanoseconds per character
# and ``str.translate`` with a dict raises (and clears) a KeyError for every character it leaves alone;
# here it is a few nanoseconds per character.
_BATCH_MIN = 8  # below this, the per-text path is cheaper than setting up the arrays
_BATCH_MAX = 256  # above this, the arrays outgrow the CPU caches: a batch is done in pieces
_BMP = 0x10000
_DROP = 0xFFFFFFFF  # the folded character is removed
_SLOW = 0xFFFFFFFE  # lower case is not one character for one (İ) or depends on context (Σ): per text
_WORD = 1  # re's \w (str.isalnum(), "_" aside): what _NON_WORD keeps
_LETTER = 2  # re's [^\W\d_]: what the medial yeh barree rule looks ahead for
_EXPANDING = tuple((k, v) for k, v in _FOLD.items() if len(v) > 1)  # ß -> ss, ۓ -> ئے
_UINT32 = npt.NDArray[np.uint32]
_UINT8 = npt.NDArray[np.uint8]
_tables: list[tuple[_UINT32, _UINT8]] = []
_astral: dict[int, tuple[int, int]] = {}  # code point >= U+10000 -> (its lower case, the class of that)
_ASTRAL_LIMIT = 50_000


def _char_class(char: str) -> int:
    if not char.isalnum():
        return 0
    return _WORD if char.isdecimal() else _WORD | _LETTER


def bmp_flags(pattern: str) -> npt.NDArray[np.bool_]:
    """For every BMP code point, whether the one-character regex ``pattern`` matches it (one pass
    of the regex engine over all of them: much faster than a Python loop)."""
    marked = re.sub(pattern, "\x00", _ALL_BMP)
    flags: npt.NDArray[np.bool_] = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 0
    flags[0] = re.fullmatch(pattern, "\x00") is not None  # "\x00" is its own mark
    return flags


_ALL_BMP = "".join(map(chr, range(_BMP)))


def _bmp_tables() -> tuple[_UINT32, _UINT8]:
    """For every BMP code point: its fold + lower case (or _DROP/_SLOW), and its class (as
    ``_char_class`` gives it)."""
    if not _tables:
        classes = np.zeros(_BMP, dtype=np.uint8)
        word = bmp_flags(r"[^\W_]")  # str.isalnum()
        classes[word] = _WORD
        classes[word & ~bmp_flags(r"\d")] |= _LETTER  # \d: str.isdecimal()
        # Lower case, one for one except İ (two characters) and Σ (depends on its neighbours):
        # those two are replaced before lowering and marked _SLOW after.
        lowered = _ALL_BMP.replace("\u0130", "\x00").replace("\u03a3", "\x00").lower()
        fold: _UINT32 = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
        fold[[0x0130, 0x03A3]] = _SLOW
        for char, folded in _FOLD.items():
            if len(folded) != 1:
                fold[ord(char)] = _DROP if not folded else ord(char)  # expanding letters are replaced beforehand
                continue
            lower = folded.lower()
            fold[ord(char)] = _SLOW if len(lower) != 1 or folded == "\u03a3" else ord(lower)
        _tables.append((fold, classes))
    return _tables[0]


def _astral_info(codes: _UINT32) -> tuple[_UINT32, _UINT8]:
    """Lower case (or _SLOW) and its class for code points beyond the BMP (mostly emoji), cached."""
    unique, inverse = np.unique(codes, return_inverse=True)
    lowered = np.empty(unique.shape[0], dtype=np.uint32)
    classes = np.empty(unique.shape[0], dtype=np.uint8)
    for index, cp in enumerate(unique.tolist()):
        info = _astral.get(cp)
        if info is None:
            lower = chr(cp).lower()
            info = (ord(lower), _char_class(lower)) if len(lower) == 1 else (_SLOW, 0)
            if len(_astral) >= _ASTRAL_LIMIT:
                _astral.clear()
            _astral[cp] = info
        lowered[index], classes[index] = info
    return lowered[inverse], classes[inverse]


def matching_keys(texts: Sequence[str]) -> list[str]:
    """``[matching_key(t) for t in texts]``, computed over the whole batch at once (the same keys)."""
    n = len(texts)
    if n < _BATCH_MIN:
        return [matching_key(t) for t in texts]
    if n > _BATCH_MAX:  # in pieces whose arrays stay in the CPU caches
        return [key for i in range(0, n, _BATCH_MAX) for key in matching_keys(texts[i : i + _BATCH_MAX])]
    normalize = unicodedata.normalize
    parts = [t if t.isascii() else normalize("NFKC", t) for t in texts]
    joined = "".join(parts)
    ascii_only = joined.isascii()
    if not ascii_only:
        for letter, replacement in _EXPANDING:
            if letter in joined:  # translate gives several letters for one: do it before the table
                parts = [p.replace(letter, replacement) for p in parts]
                joined = "".join(parts)
    raw: _UINT32 = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    fold, classes = _bmp_tables()
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    if ascii_only:
        codes: _UINT32 = fold[raw]
        kinds: _UINT8 = classes[codes]
        return _finish(codes, kinds, owner, n)
    if bool(((raw >= 0xD800) & (raw <= 0xDFFF)).any()):
        return [matching_key(t) for t in texts]  # lone surrogates (rare): the per-text path
    astral = raw >= _BMP
    any_astral = bool(astral.any())
    codes = fold[np.minimum(raw, _BMP - 1)]
    kinds = classes[np.minimum(codes, _BMP - 1)]
    if any_astral:
        codes[astral], kinds[astral] = _astral_info(raw[astral])
    if bool((codes >= _SLOW).any()):
        kept = codes != _DROP
        if bool((codes[kept] == _SLOW).any()):
            return [matching_key(t) for t in texts]  # İ or Σ (rare): the per-text path
        codes, kinds, owner = codes[kept], kinds[kept], owner[kept]
    return _finish(codes, kinds, owner, n)


def _finish(codes: _UINT32, kinds: _UINT8, owner: npt.NDArray[np.int64], n: int) -> list[str]:
    """Latin runs, medial yeh barree, runs of non-word characters and stripping, on the folded code
    points of a batch (``owner``: the text of each); the keys, one per text."""
    if codes.shape[0] == 0:
        return [""] * n
    same = owner[1:] == owner[:-1]  # position i + 1 is in the same text as position i
    # ([a-z])\1+ -> \1: a Latin letter equal to the one before it goes.
    repeat = same & (codes[1:] == codes[:-1]) & ((codes[1:] - np.uint32(97)) < 26)
    if bool(repeat.any()):
        keep = np.ones(codes.shape[0], dtype=bool)
        keep[1:] = ~repeat
        codes, kinds, owner = codes[keep], kinds[keep], owner[keep]
        same = owner[1:] == owner[:-1]
    # ے followed by a letter of the same text is ی.
    yeh = codes[:-1] == 0x06D2
    if bool(yeh.any()):
        codes[np.flatnonzero(yeh & same & ((kinds[1:] & _LETTER) != 0))] = 0x06CC
    # Every run of non-word characters becomes one space ...
    space = (kinds & _WORD) == 0
    keep = np.ones(codes.shape[0], dtype=bool)
    keep[1:] = ~(space[1:] & space[:-1] & same)
    codes = np.where(space, np.uint32(32), codes)[keep]
    space, owner = space[keep], owner[keep]
    # ... and each text is stripped.
    if codes.shape[0]:
        edge = np.ones(codes.shape[0], dtype=bool)
        edge[1:] = owner[1:] != owner[:-1]  # first of its text
        edge[:-1] |= owner[1:] != owner[:-1]  # last of its text
        edge[-1] = True
        strip = space & edge
        if bool(strip.any()):
            keep = ~strip
            codes, owner = codes[keep], owner[keep]
    text = codes.tobytes().decode("utf-32-le")
    bounds = np.searchsorted(owner, np.arange(n + 1, dtype=np.int64)).tolist()
    return [text[bounds[i] : bounds[i + 1]] for i in range(n)]


class BatchTranslator:
    """``str.translate`` with one table over a whole batch at once (a numpy lookup table over the
    code points of the texts joined): ``many(texts) == [t.translate(table) for t in texts]``."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.table = str.maketrans(mapping)
        self.expanding = tuple((k, v) for k, v in mapping.items() if len(v) > 1)
        lut = np.arange(_BMP, dtype=np.uint32)
        for char, value in mapping.items():
            if len(char) != 1 or ord(char) >= _BMP or any(c in mapping for c in value if len(value) > 1):
                raise ValueError(f"cannot translate {char!r} -> {value!r} by table")
            lut[ord(char)] = ord(value) if len(value) == 1 else (_DROP if not value else ord(char))
        self.lut = lut
        self.ascii_keys = any(c.isascii() for c in mapping)

    def many(self, texts: Sequence[str]) -> list[str]:
        """Every text translated."""
        n = len(texts)
        if n < _BATCH_MIN:
            return [t.translate(self.table) for t in texts]
        joined = "".join(texts)
        if not self.ascii_keys and joined.isascii():
            return list(texts)
        for letter, replacement in self.expanding:
            if letter in joined:
                texts = [t.replace(letter, replacement) for t in texts]
                joined = "".join(texts)
        raw: _UINT32 = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = self.lut[np.minimum(raw, _BMP - 1)]
        astral = raw >= _BMP
        if bool(astral.any()):
            codes[astral] = raw[astral]
        ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n))
        kept = codes != _DROP
        if not bool(kept.all()):
            ends = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(kept)))[ends]  # kept before each end
            codes = codes[kept]
        text = codes.tobytes().decode("utf-32-le", "surrogatepass")
        bounds = [0, *ends.tolist()]
        return [text[bounds[i] : bounds[i + 1]] for i in range(n)]


def fold_char(char: str) -> str:
    """One original character's contribution to the key before run collapsing (may be empty)."""
    if char.isascii():
        return char.lower()
    if "\ud800" <= char <= "\udfff":
        char = "\ufffd"
    return unicodedata.normalize("NFKC", char).translate(_FOLD_TABLE).lower()


def matching_key_with_offsets(text: str) -> tuple[str, list[int]]:
    """``matching_key`` plus the original index of every key character.

    Slow path (a Python loop per character): used for explanations and tests, never per message
    in bulk. For text whose NFKC form composes across characters (rare: decomposed input) the key
    may differ from ``matching_key`` in those characters only.
    """
    chars: list[str] = []
    offsets: list[int] = []
    prev_space = True
    prev_letter = ""
    for index, original in enumerate(text):
        for char in fold_char(original):
            if not (char.isalnum()):
                if not prev_space:
                    chars.append(" ")
                    offsets.append(index)
                    prev_space = True
                prev_letter = ""
                continue
            if char == prev_letter and "a" <= char <= "z":
                continue
            chars.append(char)
            offsets.append(index)
            prev_space = False
            prev_letter = char
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    for index in range(len(chars) - 1):
        if chars[index] == _YEH_BARREE and chars[index + 1].isalpha():
            chars[index] = _YEH
    return "".join(chars), offsets
