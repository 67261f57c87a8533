"""Personal data: CNIC, phone (mobile and landline), e-mail, vehicle registration, IBAN.

Every pattern runs on the original text and accepts ASCII, Urdu (۰-۹) and Arabic-Indic (٠-٩)
digits, so spans are exact offsets into the text as received ([start, end), Python string indices).
Candidates are validated with pakdatakit where it has a validator (CNIC structure, landline area
codes, IBAN checksum). Emergency short codes (15, 1122, 1715, ...) are far too short to match.

A text without a digit and without "@" cannot hold any of these, so it returns at once.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import NamedTuple

from pakdatakit import analyze_number, validate_cnic, validate_iban

from rabta.triage.normalise import to_ascii_digits

__all__ = ["PLACEHOLDERS", "PiiSpan", "find_pii", "redact"]

PLACEHOLDERS = {
    "cnic": "[CNIC]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "vehicle": "[VEHICLE]",
    "iban": "[IBAN]",
}

_D = r"[0-9\u06f0-\u06f9\u0660-\u0669]"
_SEP = r"[ \-\u2010\u2011\u2012\u2013\u2014.]"


def _digit(value: int) -> str:
    """A character class for one digit in ASCII, Urdu and Arabic-Indic forms."""
    return f"[{value}{chr(0x06F0 + value)}{chr(0x0660 + value)}]"


_0, _3, _92 = _digit(0), _digit(3), _digit(9) + _digit(2)
_NOT_DIGIT_BEFORE = r"(?<![0-9\u06f0-\u06f9\u0660-\u0669+])"
_NOT_DIGIT_AFTER = r"(?![0-9\u06f0-\u06f9\u0660-\u0669])"

# Every kind needs two digits in a row or an "@": anything else returns at once.
_HAS_SIGNAL = re.compile(r"[0-9\u06f0-\u06f9\u0660-\u0669]{2}|@")
# The digit half of _HAS_SIGNAL, spelt so that the regex engine can skip to a digit by itself ("@" is
# looked for with ``in``).
_TWO_DIGITS = re.compile(r"[0-9\u06f0-\u06f9\u0660-\u0669][0-9\u06f0-\u06f9\u0660-\u0669]")
_ANY_DIGIT = re.compile(r"[0-9\u06f0-\u06f9\u0660-\u0669]")
# A CNIC, phone or plate starts at most this many characters before its first digit ("+ 92", "(0",
# "LEA-1"): the patterns (which open with a look-behind, so the regex engine cannot skip ahead by
# itself) are run from there. Look-behinds still see the text before the starting position.
_BEFORE_DIGIT = 4

_CNIC = re.compile(_NOT_DIGIT_BEFORE + rf"{_D}{{5}}{_SEP}{{0,2}}{_D}{{7}}{_SEP}{{0,2}}{_D}" + _NOT_DIGIT_AFTER)
# Mobile: 03xx xxxxxxx with optional country code (+92, 0092, 92), separators anywhere sensible.
_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:(?:\+|{_0}{_0}){_SEP}?{_92}{_SEP}?(?:\({_0}\){_SEP}?)?|{_92}{_SEP}?|\(?{_0})?"
    + rf"\(?{_3}{_D}{{2}}\)?{_SEP}{{0,2}}{_D}{{3}}{_SEP}?{_D}{{2}}{_SEP}?{_D}{{2}}"
    + _NOT_DIGIT_AFTER
)
# Landline: area code with trunk 0 or +92, then the subscriber number.
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:(?:\+|{_0}{_0}){_SEP}?{_92}{_SEP}?\(?{_0}?|\({_0}|{_0})"
    + rf"[1-9\u06f1-\u06f9\u0661-\u0669]{_D}{{1,3}}\)?{_SEP}{{0,2}}{_D}{{3,4}}{_SEP}?{_D}{{2,4}}"
    + _NOT_DIGIT_AFTER
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"(?<![A-Za-z0-9])PK[0-9]{2}[ ]?[A-Za-z]{4}(?:[ ]?[A-Za-z0-9]){16}(?![A-Za-z0-9])", re.IGNORECASE)
_IBAN_HINT = re.compile(r"PK[0-9]{2}", re.IGNORECASE)  # where the first IBAN can start, at the earliest
# Vehicle registration: letters, optional year, 1-4 digits (LEA-1234, ABC 123, LEB-12-1234,
# "B 1234 Peshawar"). Upper case letters, or any case next to a vehicle word.
_VEHICLE_CORE = rf"[A-Za-z]{{1,3}}{_SEP}?(?:{_D}{{2}}{_SEP})?{_D}{{1,4}}"
_VEHICLE = re.compile(rf"(?<![A-Za-z0-9\-])(?:{_VEHICLE_CORE})(?![A-Za-z0-9\-])")
_VEHICLE_WORDS = re.compile(
    r"(?i)\b(?:car|vehicle|gari|gaari|gaadi|gadi|motorcycle|motorbike|bike|rickshaw|rikshaw|truck|"
    r"van|jeep|taxi|coaster|suzuki|corolla|alto|mehran|cultus|number plate|registration|reg|"
    r"plate|no\.?|number|nmbr)\b|گاڑی|گاڑي|موٹر سائیکل|رکشہ|ٹرک|نمبر پلیٹ|موټر|ګاډی|ګاډي|ګاډې"
)
_CITY_SUFFIX = re.compile(
    r"(?i)^[ \-]*(?:peshawar|pesh|mardan|swat|islamabad|isb|ict|lahore|karachi|kohat|bannu|"
    r"abbottabad|kp|kpk|pk|nowshera|charsadda|swabi|d\.?\s?i\.?\s?khan)\b"
)
# Letter groups that look like a plate but are words people use with numbers.
_NOT_PLATE = frozenset(
    {
        "fir",
        "no",
        "nr",
        "ps",
        "pp",
        "na",
        "dpo",
        "sho",
        "asi",
        "si",
        "igp",
        "dig",
        "rpo",
        "ssp",
        "sp",
        "cnic",
        "nic",
        "id",
        "rs",
        "pkr",
        "usd",
        "ok",
        "am",
        "pm",
        "km",
        "kg",
        "mb",
        "gb",
        "ch",
        "sec",
        "rti",
        "mpa",
        "mna",
        "pti",
        "ppp",
        "pml",
        "anp",
        "jui",
        "kpk",
        "kp",
        "x",
        "h",
        "m",
        "g",
        "s",
        "page",
        "room",
        "flat",
        "plot",
        "house",
        "gali",
        "street",
        "st",
        "phase",
        "sector",
        "block",
        "road",
        "rd",
        "line",
        "lane",
        "zone",
        "ward",
        "uc",
        "vc",
        "ncv",
        "cell",
        "ext",
        "at",
        "in",
        "on",
        "to",
        "by",
        "of",
        "or",
        "is",
        "it",
        "me",
        "my",
        "we",
        "be",
        "do",
        "go",
        "so",
        "up",
        "he",
        "an",
        "a",
        "i",
        "the",
        "and",
        "for",
        "age",
        "aged",
        "son",
        "class",
        "grade",
        "bps",
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
        "covid",
        "psl",
        "t",
        "vs",
        "v",
        "no.",
        "q",
        "part",
        "step",
        "day",
        "days",
        "hr",
        "hrs",
        "min",
        "mins",
        "fia",
        "nab",
        "cpec",
        "sui",
        "ngo",
        "un",
        "who",
        "pda",
        "psc",
        "nts",
        "ppsc",
        "etea",
        "bise",
        "ssc",
        "ba",
        "bsc",
        "msc",
        "ma",
        "mba",
        "ptcl",
        "tv",
        "gps",
        "eid",
        "top",
        "won",
        "one",
        "two",
        "ten",
        "are",
        "was",
        "has",
        "had",
        "not",
        "but",
        "all",
        "you",
        "our",
        "its",
        "his",
        "her",
        "out",
        "off",
        "per",
        "pre",
        "ago",
        "yes",
        "ka",
        "ki",
        "ke",
        "se",
        "ko",
        "hai",
        "mein",
        "bhi",
        "aur",
        "sal",
        "din",
        "mah",
        "ghr",
        "cpo",
        "ctd",
        "pso",
        "sdpo",
        "ig",
        "bus",
        "lac",
        "lakh",
        "k",
        "rs.",
        "rps",
        "ph",
        "tel",
        "mob",
    }
)
_VEHICLE_URDU = re.compile(
    rf"(?:گاڑی|گاڑي|ګاډي|ګاډی|موٹر سائیکل|رکشہ|ٹرک|موټر)\s*(?:نمبر|نمبري|شمارہ)\s*[:#]?\s*"
    rf"((?:[A-Za-z\u0600-\u06ff]{{1,4}}{_SEP}?)?{_D}{{2,4}}(?:{_SEP}?{_D}{{2,4}})?)"
)


class PiiSpan(NamedTuple):
    """A piece of personal data: kind and [start, end) in the original text (ordered by start, end)."""

    start: int
    end: int
    kind: str

    def as_dict(self) -> dict[str, object]:
        """The contract form {kind, start, end}."""
        return {"kind": self.kind, "start": self.start, "end": self.end}


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")


def _digits(value: str) -> str:
    """The ASCII digits of a value, its Urdu and Arabic-Indic digits turned into ASCII first."""
    return _NOT_ASCII_DIGIT.sub("", to_ascii_digits(value))


def _area_codes() -> frozenset[str]:
    try:
        raw = (files("pakdatakit") / "data" / "area-codes.json").read_text(encoding="utf-8")
        return frozenset(str(entry["code"]) for entry in json.loads(raw))
    except (OSError, ValueError, KeyError, TypeError):  # pragma: no cover - packaging accident
        return frozenset()


_AREA_CODES = _area_codes()


def _valid_landline(value: str) -> bool:
    """A Pakistani landline/UAN: libphonenumber's rules (via pakdatakit), or a known area code
    followed by 5-8 subscriber digits (people quote numbers such as 091-1234567 that the strict
    rules reject, and those are personal data all the same)."""
    digits = _digits(value)
    ascii_value = to_ascii_digits(value).lstrip("( ")
    if ascii_value.startswith("+"):
        national = digits[2:] if digits.startswith("92") else ""
    elif ascii_value.startswith("00"):
        national = digits[4:] if digits.startswith("0092") else ""
    else:
        national = digits[1:] if digits.startswith("0") else ""
    if national.startswith("0"):
        national = national[1:]
    if not national or national.startswith("3") or not 7 <= len(national) <= 11:
        return False
    info = analyze_number("0" + national)
    if info is not None and info.type in ("landline", "uan"):
        return True
    return any(national[:size] in _AREA_CODES and 5 <= len(national) - size <= 8 for size in (4, 3, 2))


def _vehicle_context(text: str, start: int, end: int) -> bool:
    window = text[max(0, start - 30) : start] + " " + text[end : end + 25]
    return _VEHICLE_WORDS.search(window) is not None


def _vehicle_candidates(text: str, taken: bytearray, begin: int = 0) -> list[PiiSpan]:
    found: list[PiiSpan] = []
    for match in _VEHICLE.finditer(text, begin):
        start, end = match.span()
        if taken.find(1, start, end) != -1:
            continue  # overlaps a span already found (checked again below, with a city after it)
        value = match.group(0)
        letters = "".join(c for c in value if c.isalpha())
        digits = _digits(value)
        if letters.lower() in _NOT_PLATE or len(digits) < 2:
            continue
        if len(letters) == 1 and len(digits) < 3:
            continue
        if 1900 <= int(digits) <= 2099 and len(digits) == 4 and not letters.isupper():
            continue
        city = _CITY_SUFFIX.match(text[end : end + 20])
        upper = letters.isupper() and len(letters) >= 2
        context = _vehicle_context(text, start, end)
        if not (upper and len(digits) >= 3) and not context and city is None:
            continue
        if len(letters) == 1 and city is None and not context:
            continue
        if city is not None and len(letters) <= 2:
            end += city.end()
        if taken.find(1, start, end) != -1:
            continue
        found.append(PiiSpan(start, end, "vehicle"))
    if "نمبر" not in text and "شمارہ" not in text:  # _VEHICLE_URDU needs one of them
        return found
    for match in _VEHICLE_URDU.finditer(text):
        start, end = match.span(1)
        if taken.find(1, start, end) == -1:
            found.append(PiiSpan(start, end, "vehicle"))
    return found


def find_pii(text: str) -> list[PiiSpan]:
    """All personal data spans in ``text``, sorted, never overlapping."""
    if "@" not in text and _TWO_DIGITS.search(text) is None:  # _HAS_SIGNAL.search(text) is None
        return []
    spans: list[PiiSpan] = []
    taken = bytearray(len(text))  # characters already inside a span

    def add(start: int, end: int, kind: str) -> None:
        if taken.find(1, start, end) != -1:
            return
        spans.append(PiiSpan(start, end, kind))
        taken[start:end] = b"\x01" * (end - start)

    if "@" in text:
        for match in _EMAIL.finditer(text):
            add(match.start(), match.end(), "email")
    digit = _ANY_DIGIT.search(text)
    if digit is None:  # an "@" alone: only an e-mail address can be here
        spans.sort()
        return spans
    if "k" in text or "K" in text:
        hint = _IBAN_HINT.search(text)
        if hint is not None:
            for match in _IBAN.finditer(text, hint.start()):
                if validate_iban(match.group(0).upper()):
                    add(match.start(), match.end(), "iban")
    begin = max(0, digit.start() - _BEFORE_DIGIT)
    # A candidate overlapping a span already found is never added: it is not validated either.
    for match in _CNIC.finditer(text, begin):
        if taken.find(1, match.start(), match.end()) == -1 and validate_cnic(_digits(match.group(0))):
            add(match.start(), match.end(), "cnic")
    for match in _MOBILE.finditer(text, begin):
        add(match.start(), match.end(), "phone")
    for match in _LANDLINE.finditer(text, begin):
        if taken.find(1, match.start(), match.end()) == -1 and _valid_landline(match.group(0)):
            add(match.start(), match.end(), "phone")
    for span in _vehicle_candidates(text, taken, begin):
        add(span.start, span.end, span.kind)
    spans.sort()
    return spans


def redact(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with every span replaced by its placeholder ([CNIC], [PHONE], ...)."""
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        parts.append(PLACEHOLDERS.get(span.kind, "[PII]"))
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)
