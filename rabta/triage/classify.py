"""Category, urgency and sensitivity: lexicon signals combined with the linear model.

The lexicon (``data/lexicon.json``) is a list of signals, each a set of phrases in any of the four
languages with what it says: a category weight, an urgency floor, "critical" (danger to life now)
and a sensitivity reason. Phrases are folded to matching keys and found with one Aho-Corasick
automaton on word boundaries (a phrase ending in "*" may continue: "harass*" finds "harassing").

Combination, per message:
1. category score = log(model probability) + LEXICON_WEIGHT * lexicon weight; the best wins.
2. a critical signal is never outvoted: the message becomes an emergency with critical urgency,
   unless it is a missing person or gender-based violence (kept, made critical) or a complaint about
   police conduct (kept, made high).
3. urgency is chosen among those PRODUCT.md allows for the category (emergency: critical; gbv and
   missing: critical/high; crimes, complaints, cybercrime: high/normal; traffic: normal/low;
   rumour: normal; information, feedback, other: low) by the model's urgency scores plus the
   lexicon's urgency floors; a missing child reported the same day is critical.
4. sensitive: every gbv_harassment case, a child victim (child words or an age under 18 in a case
   about harm), a request for confidentiality or a fear of retaliation, or a confident model.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import numpy as np

from rabta.triage.model import CATEGORIES, URGENCIES
from rabta.triage.normalise import bmp_flags, matching_key

__all__ = ["Classification", "Classifier", "Lexicon", "Signal", "SignalHit"]

DATA_DIR = Path(__file__).resolve().parent / "data"

LEXICON_WEIGHT = 0.9
URGENCY_FLOOR_WEIGHT = 1.0
NOW_DISTANCE = 60  # characters of matching key between a violent act and a "now" marker
MISSING_CHILD_CRITICAL_AGE = 13  # a missing child up to this age is critical unless gone for days
SENSITIVE_MODEL_THRESHOLD = 0.6
_URGENCY_RANK = {u: i for i, u in enumerate(URGENCIES)}  # critical=0 ... low=3

ALLOWED_URGENCY: dict[str, tuple[str, ...]] = {
    "emergency": ("critical",),
    "gbv_harassment": ("critical", "high", "normal"),
    "missing_person": ("critical", "high"),
    "crime_report": ("high", "normal"),
    "police_complaint": ("high", "normal"),
    "cybercrime": ("high", "normal"),
    "traffic": ("normal", "low"),
    "rumor": ("normal",),
    "information_request": ("low",),
    "feedback": ("low",),
    "other": ("low",),
}
# Categories in which someone comes to harm: a child named in them is a child victim.
_HARM = frozenset({"emergency", "crime_report", "police_complaint", "gbv_harassment", "missing_person", "cybercrime", "rumor"})
# Signals that say someone came to harm: a child named beside one of them is a child victim.
_HARM_SIGNALS = (
    "kidnap",
    "missing",
    "missing-weak",
    "assault-past",
    "assault-event",
    "violence-now",
    "harassment",
    "sexual-violence",
    "child-abuse",
    "murder",
    "abduction-now",
)
_HARM_SIGNAL_SET = frozenset(_HARM_SIGNALS)
# Critical signals that describe a cry for help rather than an event: critical only with support.
_SUPPORTING_ONLY = frozenset({"help-now"})

# An age under 18: "6 saal", "۶ سالہ", "9 years old", "عمر ۴", "aged around 10", "5 کلن". The
# patterns run on the matching key, so their Arabic-script words are folded the same way.
_YEAR_WORDS = "|".join(
    sorted(
        {
            matching_key(w)
            for w in (
                "saal",
                "sal",
                "sala",
                "saala",
                "year",
                "years",
                "yr",
                "yrs",
                "سال",
                "سالہ",
                "سالا",
                "کلن",
                "کلنه",
                "کلنی",
                "کلونو",
                "کلنۍ",
                "کاله",
                "کالہ",
                "کلونه",
            )
        },
        key=len,
        reverse=True,
    )
)
_AGE = re.compile(
    rf"(?:\b(?:umar|umr|age|aged|{matching_key('عمر')})\s+(?:\w+\s+)?(\d{{1,2}})\b)|"
    rf"(?:\b(\d{{1,2}})\s*(?:{_YEAR_WORDS})\b)"
)
# English present progressive ("is beating", "are firing"): the act is going on.
_PROGRESSIVE = re.compile(r"\b(?:is|are|am|still)\s+(?:\w+\s+)?\w{2,}ing\b")
# "son (6)", "beti 5", "بیٹا ۴": an age right after a word for a child.
_CHILD_AGE = re.compile(
    r"\b(?:son|daughter|child|kid|boy|girl|beta|beti|bacha|bachi|baccha|bachay|larka|larki|"
    r"بیٹا|بیٹی|بچہ|بچی|بچے|زوی|لور|ماشوم|ہلک|جینی)\s+(?:\w+\s+)?(\d{1,2})\b"
)
# Only a key with a digit or one of these words can state an age: the age rules run only then.
_AGE_HINT_WORDS = ("saal", "year", "yr", "umar", "umr", "age", "سال", "کلن", "کال", "عمر")
_DIGIT = re.compile(r"\d")
_SAL = re.compile(r"sal\b")


_AGE_HINT = re.compile("|".join(_AGE_HINT_WORDS))  # literals only: the regex engine skips ahead by itself


def _first_digit(key: str) -> int:
    r"""Where ``_DIGIT.search(key)`` matches, or -1. An ASCII key (a flag of the string, known without
    a scan) is searched for [0-9], any other for a decimal digit of the BMP or a character beyond it
    (rare; \d decides those): character classes the regex engine can skip ahead for, unlike \d."""
    if key.isascii():
        found = _ASCII_DIGIT.search(key)
        return found.start() if found is not None else -1
    found = _BMP_DIGIT_OR_ASTRAL.search(key)
    while found is not None:
        char = found.group()
        if char < "\U00010000" or char.isdecimal():
            return found.start()
        found = _BMP_DIGIT_OR_ASTRAL.search(key, found.end())
    return -1


_ASCII_DIGIT = re.compile("[0-9]")
_BMP_DIGIT_OR_ASTRAL = re.compile("[" + "".join(map(chr, np.flatnonzero(bmp_flags(r"\d")).tolist())) + "\U00010000-\U0010ffff]")


def _age_hint(key: str, digit: int | None = None) -> bool:
    """Whether a key may state an age (``digit``: ``_first_digit(key)``, if the caller has it)."""
    if digit is None:
        digit = _first_digit(key)
    return digit >= 0 or _AGE_HINT.search(key) is not None or ("sal" in key and _SAL.search(key) is not None)


_NUMBER_WORDS = {
    "ek": 1,
    "do": 2,
    "teen": 3,
    "char": 4,
    "chaar": 4,
    "panch": 5,
    "paanch": 5,
    "chay": 6,
    "chhe": 6,
    "saat": 7,
    "aath": 8,
    "nau": 9,
    "das": 10,
    "gyarah": 11,
    "barah": 12,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "ایک": 1,
    "دو": 2,
    "تین": 3,
    "چار": 4,
    "پانچ": 5,
    "چھ": 6,
    "سات": 7,
    "آٹھ": 8,
    "اٹھ": 8,
    "نو": 9,
    "دس": 10,
    "گیارہ": 11,
    "بارہ": 12,
    "یو": 1,
    "دوه": 2,
    "درې": 3,
    "دری": 3,
    "څلور": 4,
    "سلور": 4,
    "پنځه": 5,
    "پنزه": 5,
    "شپږ": 6,
    "شپژ": 6,
    "اووه": 7,
    "اته": 8,
    "نهه": 9,
    "لس": 10,
}
_NUMBER_WORDS.update(
    {
        "تیرہ": 13,
        "چودہ": 14,
        "پندرہ": 15,
        "سولہ": 16,
        "سترہ": 17,
        "یوولس": 11,
        "دولس": 12,
        "دیارلس": 13,
        "څوارلس": 14,
        "پنځلس": 15,
        "شپاړس": 16,
        "اوولس": 17,
        "terah": 13,
        "chauda": 14,
        "pandrah": 15,
        "sola": 16,
        "satrah": 17,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
    }
)
_NUMBER_KEYS = {matching_key(word): value for word, value in _NUMBER_WORDS.items()}
_WORD_AGE = re.compile(rf"\b(\w+)\s+(?:{_YEAR_WORDS})\b")
# _WORD_AGE can only match where a year word follows a space: a pattern that opens with \s finds out fast.
_ANY_YEAR_WORD = re.compile(rf"\s(?:{_YEAR_WORDS})\b")
# An _AGE match starts at an age word or at a digit, a _CHILD_AGE match at a child word: the scans
# start at the first of them (patterns that open with \b cannot skip ahead by themselves).
_AGE_WORD = re.compile("umar|umr|age|aged|" + matching_key("عمر"))
_CHILD_WORD = re.compile(_CHILD_AGE.pattern[len(r"\b(?:") : _CHILD_AGE.pattern.index(r")\s+")])


@dataclass(frozen=True)
class Signal:
    """One lexicon signal."""

    tag: str
    category: str | None
    weight: float
    urgency: str | None
    critical: str | None  # always | unless_rumor | with_now | support
    sensitive: str | None
    requires: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()


class SignalHit(NamedTuple):
    """A phrase of a signal found in the matching key ([start, end) on the key)."""

    signal: Signal
    phrase: str
    start: int
    end: int


@dataclass
class Classification:
    """The category/urgency/sensitivity decision with its confidences and evidence."""

    category: str
    urgency: str
    sensitive: bool
    category_confidence: float
    urgency_confidence: float
    sensitive_confidence: float
    reasons: list[str] = field(default_factory=list)
    explain: dict[str, Any] = field(default_factory=dict)


class Lexicon:
    """The lexicon compiled into one automaton."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = str(data.get("version", "0"))
        self.signals: list[Signal] = []
        self._phrases: list[tuple[str, bool, Signal]] = []
        automaton: Any = ahocorasick.Automaton()
        # Patterns carry their word boundaries: " phrase " (or " phrase" when it may continue), looked
        # for in " " + key + " ", so the automaton reports only matches on word boundaries.
        # Per pattern: (start offset from the end index, phrase length, phrase, signal, cancels).
        table: dict[str, list[tuple[int, int, str, Signal, bool]]] = {}
        for raw in data.get("signals", []):
            signal = Signal(
                tag=str(raw["tag"]),
                category=raw.get("category"),
                weight=float(raw.get("weight", 0.0)),
                urgency=raw.get("urgency"),
                critical=_critical_mode(raw.get("critical")),
                sensitive=raw.get("sensitive"),
                requires=tuple(str(t) for t in raw.get("requires", [])),
                cancels=tuple(str(t) for t in raw.get("cancels", [])),
            )
            self.signals.append(signal)
            for phrase in raw.get("phrases", []):
                text = str(phrase)
                prefix = text.endswith("*")
                key = matching_key(text.rstrip("*"))
                if not key:
                    continue
                pattern = " " + key + ("" if prefix else " ")
                # the pattern's leading space is the key's index shift: start = end index + 1 - len(pattern)
                table.setdefault(pattern, []).append((1 - len(pattern), len(key), key, signal, bool(signal.cancels)))
                self._phrases.append((key, prefix, signal))
        for pattern, entries in table.items():
            automaton.add_word(pattern, tuple(entries))
        if table:
            automaton.make_automaton()
        self._automaton = automaton
        self._empty = not table
        self.words = frozenset(word for key, _prefix, _signal in self._phrases for word in key.split())
        self.phrases: tuple[tuple[str, bool, Signal], ...] = tuple(self._phrases)  # (folded phrase, may continue, signal)
        self._cancelling = any(s.cancels for s in self.signals)

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Load ``data/lexicon.json``."""
        path = path or DATA_DIR / "lexicon.json"
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def match(self, key: str) -> list[SignalHit]:
        """Every phrase found on word boundaries, in order of position."""
        if self._empty or not key:
            return []
        hits: list[SignalHit] = []
        new = tuple.__new__  # SignalHit(...) without the Python-level __new__ of a named tuple
        cancels = False
        for end_index, entries in self._automaton.iter(" " + key + " "):
            for offset, size, phrase, signal, cancelling in entries:
                start = end_index + offset
                hits.append(new(SignalHit, (signal, phrase, start, start + size)))
                cancels |= cancelling
        if len(hits) > 1:
            # By start, then longest first, ties in the order found: two stable sorts with C keys
            # (reverse=True keeps equal items in order) instead of a Python key function per hit.
            hits.sort(key=_BY_END, reverse=True)
            hits.sort(key=_BY_START)
        if cancels:
            cancelling = [h for h in hits if h.signal.cancels]
            if cancelling:
                # "nashe ki goliyan" (pills) cancels the "goliyan" (bullets) inside it.
                hits = [h for h in hits if not any(h.signal.tag in c.signal.cancels and c.start <= h.start and h.end <= c.end for c in cancelling)]
        return hits


_BY_START = operator.itemgetter(2)  # SignalHit.start
_BY_END = operator.itemgetter(3)  # SignalHit.end


def _near(hits: list[SignalHit], spans: list[tuple[int, int]]) -> bool:
    """Whether any hit lies within NOW_DISTANCE characters of any span (either side)."""
    for hit in hits[:200]:  # a huge message need not be searched pair by pair
        for start, end in spans[:200]:
            if start - NOW_DISTANCE <= hit.end and hit.start <= end + NOW_DISTANCE:
                return True
    return False


def _critical_mode(value: object) -> str | None:
    if value is True:
        return "always"
    if value in ("always", "unless_rumor", "with_now", "support"):
        return str(value)
    return None


def child_age(key: str, digit: int | None = None) -> int | None:
    """The lowest age under 18 mentioned in a matching key, if any (``digit``: ``_first_digit(key)``,
    if the caller has it)."""
    ages: list[int] = []
    # _AGE and _CHILD_AGE need a digit, _WORD_AGE a year word: without one, they are not run at all.
    if digit is None:
        digit = _first_digit(key)
    if digit >= 0:
        begin = digit
        word = _AGE_WORD.search(key, 0, begin)
        for match in _AGE.finditer(key, word.start() if word is not None else begin):
            value = match.group(1) or match.group(2)
            if value:
                ages.append(int(value))
        child = _CHILD_WORD.search(key)
        if child is not None:
            for match in _CHILD_AGE.finditer(key, child.start()):
                ages.append(int(match.group(1)))
    if _ANY_YEAR_WORD.search(key) is not None:
        for match in _WORD_AGE.finditer(key):
            number = _NUMBER_KEYS.get(match.group(1))
            if number is not None:
                ages.append(number)
    young = [a for a in ages if 0 < a < 18]
    return min(young) if young else None


class Classifier:
    """Lexicon rules plus model scores -> category, urgency, sensitive."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._has_requires = any(s.requires for s in lexicon.signals)
        self._requiring = frozenset(s.tag for s in lexicon.signals if s.requires)  # tags that need another
        # The "matched" reason of a signal found by one phrase, made once per (phrase, signal).
        self._single_reasons: dict[tuple[str, int], str] = {
            (phrase, id(signal)): f"matched '{phrase}' -> {signal.category}" + (" (critical)" if signal.critical == "always" else "")
            for phrase, _prefix, signal in lexicon.phrases
            if signal.category
        }

    def decide(
        self, key: str, category_probs: Any, urgency_probs: Any, sensitive_prob: float, *, explain: bool = False, hits: list[SignalHit] | None = None
    ) -> Classification:
        """Combine the lexicon hits on ``key`` with the model's probabilities for one message."""
        if hits is None:
            hits = self.lexicon.match(key)
        by_signal: dict[str, list[SignalHit]] = {}
        signals: dict[str, Signal] = {}  # tag -> the signal of its first hit
        for hit in hits:
            found_hits = by_signal.get(hit.signal.tag)
            if found_hits is None:
                by_signal[hit.signal.tag] = [hit]
                signals[hit.signal.tag] = hit.signal
            else:
                found_hits.append(hit)
        # A signal that needs another (police misconduct words need a police actor) counts only with it.
        if self._has_requires and not self._requiring.isdisjoint(by_signal):
            for tag in [
                t for t, found in by_signal.items() if found[0].signal.requires and not any(r in by_signal for r in found[0].signal.requires)
            ]:
                del by_signal[tag]
                del signals[tag]

        # One pass over the signals, in order: sparse lexicon scores (only categories some signal
        # speaks for), the "matched" reasons, the critical modes, the urgency floors, gbv.
        lex: dict[str, float] = {}
        lex_ordinary: dict[str, float] = {}  # without the always-critical signals
        matched: list[str] = []
        always: list[str] = []
        with_now: list[str] = []
        unless_rumor: list[str] = []
        support: list[str] = []
        urgent: list[tuple[str, str | None]] = []  # (urgency floor, category) of the signals with one
        gbv_signal = False
        for tag, found in by_signal.items():
            signal = found[0].signal
            signal_category = signal.category
            mode = signal.critical
            if signal_category:
                if signal.weight:
                    distinct = len({h.phrase for h in found}) if len(found) > 1 else 1
                    value = signal.weight * min(1.0 + 0.25 * (distinct - 1), 1.5)
                    lex[signal_category] = lex.get(signal_category, 0.0) + value
                    if mode != "always":
                        lex_ordinary[signal_category] = lex_ordinary.get(signal_category, 0.0) + value
                reason = self._single_reasons.get((found[0].phrase, id(signal))) if len(found) == 1 else None
                if reason is None:
                    phrases = f"'{found[0].phrase}'" if len(found) == 1 else ", ".join(dict.fromkeys(f"'{h.phrase}'" for h in found[:3]))
                    reason = f"matched {phrases} -> {signal_category}" + (" (critical)" if mode == "always" else "")
                matched.append(reason)
            if mode is not None:  # each list keeps the signals' order
                (always if mode == "always" else with_now if mode == "with_now" else unless_rumor if mode == "unless_rumor" else support).append(tag)
            if signal.urgency:
                urgent.append((signal.urgency, signal_category))
            if signal.sensitive == "gbv":
                gbv_signal = True

        probabilities = category_probs if isinstance(category_probs, list) else [float(p) for p in category_probs]
        # score = log(p + 1e-4) + LEXICON_WEIGHT * lexicon, kept as exp(score): the argmax and the
        # softmax are the same, and only the categories with lexicon weight need an exp().
        scores = _category_scores(probabilities, lex, empty=not key)
        total = sum(scores)
        category = CATEGORIES[scores.index(max(scores))]  # the first best, as max(range, key) gives
        top_probability = max(probabilities)
        reasons = [f"model: {CATEGORIES[probabilities.index(top_probability)]} {top_probability:.2f}", *matched]

        # Cybercrime aimed at a woman (her pictures, harassment) is gender-based harassment (PRODUCT.md).
        # Misuse of someone's private pictures counts as aimed at a woman unless the sender says he is a man.
        female = "woman-victim" in signals or "female-self" in signals or "spouse" in signals
        if category == "cybercrime" and (
            ("blackmail-images" in signals and "male-self" not in signals) or (female and ("harassment" in signals or "sexual-violence" in signals))
        ):
            reasons.append("cybercrime aimed at a woman -> gbv_harassment")
            category = "gbv_harassment"

        # Critical: danger to life now is never outvoted.
        now_spans: list[tuple[int, int]] = []
        if with_now:
            now_spans = [(h.start, h.end) for h in by_signal.get("now", [])]
            if key.isascii():
                now_spans += [m.span() for m in _PROGRESSIVE.finditer(key)]
        past = "crime-past-time" in signals
        critical_tags = always + [t for t in with_now if _near(by_signal[t], now_spans)]
        if category != "rumor" and not past:
            critical_tags += unless_rumor
        if not critical_tags and support and (category == "emergency" or probabilities[_CATEGORY_INDEX["emergency"]] >= 0.5 or bool(with_now)):
            critical_tags = support
        if not critical_tags and "help-word" in signals and len(key.split()) <= 3:
            critical_tags = ["help-word"]
            reasons.append("a bare cry for help")
        before = category
        if critical_tags:
            ordinary = _category_scores(probabilities, lex_ordinary, empty=not key)
            before = CATEGORIES[ordinary.index(max(ordinary))]
        if critical_tags and before == "rumor" and "rumor" in signals:
            # Hearsay about danger is a claim to confirm or deny, not danger now.
            reasons.append(f"critical words ({', '.join(critical_tags)}) inside a rumour: not critical")
            critical_tags = []
        critical = bool(critical_tags)
        if critical:
            misconduct = "police-actor" in signals and any(t in signals for t in ("bribe", "illegal-detention", "police-abuse", "fir-refused"))
            if before == "cybercrime" and female and "blackmail-images" in signals:
                before = "gbv_harassment"
            keep = (
                (before == "gbv_harassment" and lex_ordinary.get("gbv_harassment", 0.0) >= 2.0)
                or ("dv-violence" in signals)
                or misconduct
                or (before == "missing_person" and all(signals[t].critical != "always" for t in critical_tags))
            )
            new_category = ("police_complaint" if misconduct else before) if keep else "emergency"
            if new_category != category:
                reasons.append(f"critical signal ({', '.join(critical_tags)}): {category} -> {new_category}")
            category = new_category

        # Urgency among what the category allows.
        urgency_list = urgency_probs if isinstance(urgency_probs, list) else [float(p) for p in urgency_probs]
        if len(urgency_list) != len(URGENCIES):
            raise ValueError(f"expected {len(URGENCIES)} urgency probabilities, got {len(urgency_list)}")
        allowed = ALLOWED_URGENCY[category]
        if len(allowed) > 1 and allowed[0] == "critical":
            allowed = allowed[1:]  # critical comes from the rules below, never from the model alone
        if len(allowed) == 1:
            urgency = allowed[0]  # nothing to choose
        else:
            floors = [u for u, c in urgent if c == category or c is None]
            if "recent-crime" in signals and category in ("crime_report", "cybercrime"):
                floors.append("high")
            floor_ranks = [_URGENCY_RANK[floor] for floor in set(floors)]
            best: tuple[float, int] | None = None
            urgency = allowed[0]
            for u in allowed:  # max(allowed, key=(score, rank)): the first best
                rank = _URGENCY_RANK[u]
                score = math.log(urgency_list[rank] + 1e-4)
                for floor_rank in floor_ranks:
                    if rank <= floor_rank:
                        score += URGENCY_FLOOR_WEIGHT
                if best is None or (score, rank) > best:
                    best = (score, rank)
                    urgency = u
        harm = category in _HARM or not _HARM_SIGNAL_SET.isdisjoint(signals)
        age: int | None = None
        if harm:
            digit = _first_digit(key)
            if _age_hint(key, digit):
                age = child_age(key, digit)
        child = (
            "child" in signals
            or "child-abuse" in signals
            or age is not None
            or (category == "missing_person" and ("children-plural" in signals or "schoolchild" in signals))
            or ("offspring" in signals and "schoolchild" in signals)
        )  # a son or daughter who goes to school
        # A missing young child is critical unless the message says the child has been gone for days.
        young = (age is not None and age <= MISSING_CHILD_CRITICAL_AGE) or (
            age is None and ("child" in signals or "children-plural" in signals or "schoolchild" in signals)
        )
        recent = "recent-today" in signals or "duration-days" not in signals
        if critical:
            if category == "police_complaint":
                urgency = "high"
            else:
                urgency = "critical"
                reasons.append(f"critical: {', '.join(critical_tags)}")
        elif category == "missing_person" and young and recent:
            urgency = "critical"
            reasons.append("missing child reported the same day -> critical")
        if urgency not in allowed:
            allowed = (urgency, *allowed)
        allowed_mass = 0.0
        for u in allowed:
            allowed_mass += urgency_list[_URGENCY_RANK[u]]
        urgency_confidence = urgency_list[_URGENCY_RANK[urgency]] / allowed_mass if allowed_mass > 0 else 0.0
        if critical or len(allowed) == 1:
            urgency_confidence = max(urgency_confidence, 0.9)

        # Sensitivity.
        sensitive_reasons: list[str] = []
        if category == "gbv_harassment" or gbv_signal:
            sensitive_reasons.append("gender-based violence or harassment")
        if "transgender" in signals and category in _HARM:
            sensitive_reasons.append("transgender person")
        if child and harm:
            sensitive_reasons.append("child victim" + (f" (age {age})" if age is not None else ""))
        if "confidential" in signals:
            sensitive_reasons.append("asks for confidentiality")
        if "retaliation-fear" in signals and category not in ("feedback", "other", "information_request"):
            sensitive_reasons.append("fears retaliation")
        if sensitive_prob >= SENSITIVE_MODEL_THRESHOLD and category in _HARM:
            sensitive_reasons.append(f"model: sensitive {sensitive_prob:.2f}")
        sensitive = bool(sensitive_reasons)
        if sensitive:
            reasons.append("sensitive: " + "; ".join(sensitive_reasons))
        rule_based = len(sensitive_reasons) > (1 if sensitive_prob >= SENSITIVE_MODEL_THRESHOLD else 0)
        sensitive_confidence = (0.95 if rule_based else sensitive_prob) if sensitive else 1.0 - sensitive_prob

        category_confidence = scores[_CATEGORY_INDEX[category]] / total
        if critical and category == "emergency":
            category_confidence = max(category_confidence, 0.8)
        reasons.append(f"urgency {urgency}")
        result = Classification(
            category=category,
            urgency=urgency,
            sensitive=sensitive,
            category_confidence=round(float(category_confidence), 3),
            urgency_confidence=round(float(urgency_confidence), 3),
            sensitive_confidence=round(float(sensitive_confidence), 3),
            reasons=reasons,
        )
        if explain:
            result.explain = {
                "model_category": {c: round(v, 4) for c, v in zip(CATEGORIES, probabilities, strict=True)},
                "model_urgency": {u: round(v, 4) for u, v in zip(URGENCIES, urgency_list, strict=True)},
                "model_sensitive": round(float(sensitive_prob), 4),
                "lexicon_category": {c: round(lex[c], 3) for c in CATEGORIES if lex.get(c)},
                "combined_category": {c: round(v / total, 4) for c, v in zip(CATEGORIES, scores, strict=True)},
                "signals": [{"tag": h.signal.tag, "phrase": h.phrase, "key_start": h.start, "key_end": h.end} for h in hits],
                "child_age": age,
                "critical": critical_tags if critical else [],
            }
        return result


_CATEGORY_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
_EMPTY_BOOST = math.exp(10.0)  # nothing to read (no letters, no digits): other


def _category_scores(probabilities: list[float], lex: Mapping[str, float], *, empty: bool) -> list[float]:
    """exp(log(p + 1e-4) + LEXICON_WEIGHT * lexicon) per category, in CATEGORIES order."""
    scores = [p + 1e-4 for p in probabilities]
    for category, value in lex.items():
        if value:
            scores[_CATEGORY_INDEX[category]] *= math.exp(LEXICON_WEIGHT * value)
    if empty:
        scores[_CATEGORY_INDEX["other"]] *= _EMPTY_BOOST
    return scores
