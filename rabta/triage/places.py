"""Place identification against the KP gazetteer.

Every name of every place (Latin, Urdu and Pashto spellings) is turned into its matching key and
put into one Aho-Corasick automaton, together with the names of places outside KP, the names of the
province and the stop phrases. A message's matching key is scanned once; each hit must sit on word
boundaries. In Arabic script, where typists leave out the space after a letter that does not join,
a name may touch a postposition after it (پشاورمیں) or a short function word before it (دپېښور),
never both and never an ordinary word (کروانے is not Wana). Overlapping hits are resolved longest
first, so a stop phrase (براہ کرم, خیبر پختونخوا) swallows the place name inside it, and "Upper Dir"
beats "Dir".

Names listed as ambiguous (Tank, کرم, ...) count only with a place word next to them (district,
ضلع, city, thana, ...), with a capital letter in the middle of a Latin sentence, or when another
place of the same district is named.

When no KP place matched exactly, Latin words of six letters or more that are not ordinary words are
compared with the Latin place names by edit distance (one edit up to seven letters, two above),
starting with the same letter; bigrams are compared with two-word names the same way.

The district is the one with the highest score: each hit counts 1, 0.6 when fuzzy, 0.5 when the
name is ambiguous; ties go to the first mentioned. The station is that of the first hit in the
chosen district that names one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from rabta.triage.normalise import BatchTranslator, matching_key

__all__ = ["Gazetteer", "Place", "PlaceHit", "PlaceResult"]

DATA_DIR = Path(__file__).resolve().parent / "data"

_KP, _OUTSIDE, _PROVINCE, _STOP = "kp", "outside", "province", "stop"
# Every mention counts the same whatever its kind: when two districts are named, the one named more
# often wins and a tie goes to the first named (a homonymous locality must not beat a named district).
_SPECIFICITY = {"district": 1.0, "tehsil": 1.0, "station": 1.0, "locality": 1.0, "landmark": 1.0}
_AMBIGUOUS_WEIGHT = 0.5
# Arabic letters that never join the following letter: a name ending in one may touch the next word.
_NON_JOINING = frozenset("اآأإدڈذرڑزژوؤےۓءۃة")
# What may touch a name with no space between (after a non-joining letter), already folded: short
# function words before it, postpositions after it.
_GLUE_BEFORE = frozenset(
    matching_key(w) for w in ("د", "په", "پہ", "پر", "تر", "له", "لہ", "و", "اور", "سے", "کے", "نے", "کو", "در", "از", "ور", "جو", "دا", "زہ", "زه")
)
_GLUE_AFTER = frozenset(
    matching_key(w)
    for w in (
        "میں",
        "مے",
        "سے",
        "کے",
        "کی",
        "کا",
        "کو",
        "نے",
        "تک",
        "پر",
        "والا",
        "والے",
        "والی",
        "کښې",
        "کې",
        "کشے",
        "کښے",
        "ته",
        "نه",
        "سره",
        "پورې",
        "پورے",
        "ښار",
        "شہر",
        "روڈ",
        "اڈہ",
        "اډه",
        "چوک",
    )
)
# Context words that only confirm a name from one side (see _has_context), folded.
_POSTPOSITIONS = frozenset(
    matching_key(w)
    for w in (
        "me",
        "mein",
        "main",
        "se",
        "pe",
        "par",
        "ki taraf",
        "ke pas",
        "ke qareeb",
        "کښې",
        "کې",
        "کشے",
        "کښے",
        "کے پاس",
        "کے قریب",
        "کی طرف",
        "کے علاقے",
        "سره نږدې",
        "ته نږدې",
    )
)
_PREPOSITIONS = frozenset(("in", "at", "from", "near"))
_FUZZY_CACHE_LIMIT = 50_000
_LOOSE = BatchTranslator(
    {"ڑ": "ر", "ٹ": "ت", "ڈ": "د", "ے": "ی", "ص": "س", "ث": "س", "ذ": "ز", "ض": "ز", "ظ": "ز", "ط": "ت", "ح": "ہ", "ں": "ن", "ژ": "ز", "ئ": "ی"}
)
_LOOSE_TABLE = _LOOSE.table
_GLUE_BEFORE |= frozenset(w.translate(_LOOSE_TABLE) for w in _GLUE_BEFORE)
_GLUE_AFTER |= frozenset(w.translate(_LOOSE_TABLE) for w in _GLUE_AFTER)
# Words the fuzzy matcher looks at: six or more Latin letters between spaces (pairs of Latin words,
# 9+ characters, see fuzzy), found in " " + key: a pattern that opens with a literal lets the regex
# engine skip from space to space instead of trying every position.
_LATIN_TOKEN_PADDED = re.compile(r" ([a-z]{6,})(?= |\Z)")
# Two neighbouring words of Latin letters, in " " + key: the first is consumed, the second only looked
# at, so every pair comes back (w1 w2, w2 w3, ...).
_LATIN_PAIR_PADDED = re.compile(r" ([a-z]+)(?= ([a-z]+)(?: |\Z))")


@dataclass(frozen=True)
class Place:
    """One gazetteer place inside KP."""

    id: str
    kind: str
    district: str
    station: str | None
    name: str


class PlaceHit(NamedTuple):
    """A name found in the matching key: [start, end) on the key, what it names (a named tuple:
    several are made per message)."""

    start: int
    end: int
    text: str
    role: str  # kp | outside | province | stop
    places: tuple[Place, ...] = ()
    outside_name: str = ""
    fuzzy: bool = False


class PlaceResult(NamedTuple):
    """The district and station decided for a message, with the evidence."""

    district: str | None
    station: str | None
    confidence: float
    reasons: tuple[str, ...] = ()
    hits: tuple[PlaceHit, ...] = ()


class _PlacesInfo(NamedTuple):
    """What the decision needs of a hit's places, worked out once per gazetteer entry."""

    places: tuple[Place, ...]
    districts: tuple[str, ...]  # in the order of the places, each once
    best: Place  # the most specific place (the first of them)


def _places_info(places: tuple[Place, ...]) -> _PlacesInfo:
    districts = tuple(dict.fromkeys(p.district for p in places))
    return _PlacesInfo(places, districts, max(places, key=lambda p: _SPECIFICITY.get(p.kind, 1.0)))


@dataclass
class _Entry:
    key: str
    places: list[Place] = field(default_factory=list)
    outside: str = ""
    province: bool = False
    stop: bool = False
    place_tuple: tuple[Place, ...] = ()  # places, frozen once the gazetteer is built


def _variants(key: str) -> list[str]:
    """A name key and its inflected Arabic-script forms.

    Pashto puts place names ending in -a/-e into the oblique case with ے/ې (د مانسهرې, د چارسدے,
    پہ مردان کښې); Urdu and Pashto typists write آئی and آی alike (ڈی آئی خان, ډي آی خان).
    """
    if not key or key.isascii():
        return [key]
    forms = [key]
    if key.endswith("\u06c1") and len(key) > 3:  # ہ
        forms += [key[:-1] + "\u06d2", key[:-1] + "\u06cc"]  # ے, ی
    if key.endswith("\u0627") and len(key) > 3:  # ا
        forms.append(key[:-1] + "\u06d2")
    if "\u0627\u0626\u06cc" in key:  # ائی -> ای
        forms.append(key.replace("\u0627\u0626\u06cc", "\u0627\u06cc"))
    return list(dict.fromkeys(forms))


def _affixed(token: str, name: str) -> bool:
    """Whether token is name with letters added or removed only at an end."""
    return token.startswith(name) or token.endswith(name) or name.startswith(token) or name.endswith(token)


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


class Gazetteer:
    """The KP gazetteer compiled for matching."""

    def __init__(self, data: Mapping[str, Any], *, extra: Mapping[str, Any] | None = None, common_words: Iterable[str] = ()) -> None:
        extra = extra or {}
        self.version = str(data.get("version", "0"))
        self.districts: list[str] = []
        self.places: list[Place] = []
        entries: dict[str, _Entry] = {}

        def entry(key: str) -> _Entry:
            found = entries.get(key)
            if found is None:
                found = entries[key] = _Entry(key)
            return found

        for raw in [*data.get("places", []), *extra.get("places", [])]:
            names = [str(n) for n in raw.get("names", []) if str(n).strip()]
            if not names:
                continue
            place = Place(
                id=str(raw.get("id", names[0])),
                kind=str(raw.get("kind", "locality")),
                district=str(raw["district"]),
                station=(str(raw["station"]) if raw.get("station") else None),
                name=names[0],
            )
            self.places.append(place)
            if place.kind == "district" and place.district not in self.districts:
                self.districts.append(place.district)
            for name in names:
                for key in _variants(matching_key(name)):
                    if key and place not in entry(key).places:
                        entry(key).places.append(place)
        for raw in [*data.get("outside", []), *extra.get("outside", [])]:
            names = [str(n) for n in raw.get("names", []) if str(n).strip()]
            for name in names:
                key = matching_key(name)
                if key and not entry(key).outside:
                    entry(key).outside = names[0]
        for name in [*data.get("province", []), *extra.get("province", [])]:
            key = matching_key(str(name))
            if key:
                entry(key).province = True
        for name in [*data.get("stop_phrases", []), *extra.get("stop_phrases", [])]:
            key = matching_key(str(name))
            # A stop phrase that folds to exactly a place's name (مردانِ -> مردان) would hide the place.
            if key and not (key in entries and entries[key].places):
                entry(key).stop = True
        ambiguous = {**dict(data.get("ambiguous", {})), **dict(extra.get("ambiguous", {}))}
        # An ambiguous name is ambiguous in its inflected forms too (منڈا, منڈے).
        self._ambiguous = frozenset(v for k in (matching_key(str(n)) for n in ambiguous) if k for v in _variants(k))
        self._context = frozenset(k for k in (matching_key(str(w)) for w in extra.get("context_words", [])) if k)
        self._region = frozenset(k for k in (matching_key(str(w)) for w in extra.get("region_words", [])) if k)
        self._destination_before = tuple(" " + k + " " for k in (matching_key(str(w)) for w in extra.get("destination_before", [])) if k)
        self._destination_after = tuple(" " + k for k in (matching_key(str(w)) for w in extra.get("destination_after", [])) if k)
        # A postposition right after a name that opens the message ("کالام میں ...", "غازی سے ...").
        self._lead = frozenset(k for k in (matching_key(str(w)) for w in extra.get("lead_context_words", [])) if k)
        # Words around a KP name that make it the sender's home, a destination or a number plate
        # ("I am from Bannu", "Peshawar-bound", "Peshawar number gari"): with a place outside KP
        # named too, the event happened outside.
        self._aside_before = tuple(" " + k + " " for k in (matching_key(str(w)) for w in extra.get("aside_before", [])) if k)
        self._aside_after = tuple(" " + k for k in (matching_key(str(w)) for w in extra.get("aside_after", [])) if k)

        self._entries = list(entries.values())
        # Per entry with places: its places as one tuple (every hit on it shares that tuple) and
        # what the decision needs of them, found by the tuple's id.
        self._infos: dict[int, _PlacesInfo] = {}
        for item in self._entries:
            item.place_tuple = tuple(item.places)
            if item.places:
                self._infos[id(item.place_tuple)] = _places_info(item.place_tuple)
        self._automaton: Any = ahocorasick.Automaton()
        for index, item in enumerate(self._entries):
            self._automaton.add_word(item.key, index)
        self._automaton.make_automaton()

        # A looser automaton over Arabic-script names with easily confused letters merged
        # (پاړاچنار/پاراچنار, ڈ/د, ص/س, ...), used like fuzzy matching: only when nothing matched.
        self._loose: Any = ahocorasick.Automaton()
        self._loose_names: dict[int, str] = {}  # entry index -> its loose key
        loose_count = 0
        for index, item in enumerate(self._entries):
            if item.places and not item.key.isascii() and len(item.key) >= 4 and item.key not in self._ambiguous:
                self._loose.add_word(item.key.translate(_LOOSE_TABLE), index)
                self._loose_names[index] = item.key.translate(_LOOSE_TABLE)
                loose_count += 1
        if loose_count:
            self._loose.make_automaton()
        self._loose_ready = loose_count > 0

        # Fuzzy candidates: Latin-script names of KP places, bucketed by first letter.
        common = {matching_key(w) for w in common_words}
        # A one-word place name that is also an everyday word needs context like an ambiguous one.
        self._ambiguous = self._ambiguous | frozenset(e.key for e in entries.values() if e.places and " " not in e.key and e.key in common)
        common.update(k for k in entries if k and not any(e.places for e in [entries[k]]))
        self._common = frozenset(common)
        self._fuzzy_single: dict[str, list[str]] = {}
        self._fuzzy_double: dict[str, list[str]] = {}
        for item in self._entries:
            if not item.places or not item.key.isascii() or item.key in self._ambiguous:
                continue
            tokens = item.key.split()
            if len(tokens) == 1 and len(item.key) >= 6 and item.key.isalpha():
                self._fuzzy_single.setdefault(item.key[0], []).append(item.key)
            elif len(tokens) == 2 and len(item.key) >= 9:
                self._fuzzy_double.setdefault(item.key[0], []).append(item.key)
        self._fuzzy_cache: dict[str, str | None] = {}
        self._by_key = {e.key: e for e in self._entries if e.places}
        # Per word: the place name it is a misspelling of, or None; the part of ``fuzzy`` that does
        # not depend on where the word is.
        self._fuzzy_single_names: dict[str, str | None] = {}

    @classmethod
    def load(cls, path: Path | None = None, *, extra_path: Path | None = None, common_words: Iterable[str] = ()) -> Gazetteer:
        """Load the gazetteer data file (and the engine's own additions)."""
        path = path or DATA_DIR / "gazetteer.json"
        extra_path = extra_path or DATA_DIR / "places_extra.json"
        # A missing gazetteer leaves the engine working (no district is ever found) rather than dead.
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"version": "missing"}
        extra = json.loads(extra_path.read_text(encoding="utf-8")) if extra_path.exists() else {}
        return cls(data, extra=extra, common_words=common_words)

    # -- matching ------------------------------------------------------------------------------
    def _boundary_ok(self, key: str, start: int, end: int, name: str) -> bool:
        glued = False
        if start > 0:
            before = key[start - 1]
            if before != " ":
                if not (_is_arabic(name[0]) and before in _NON_JOINING):
                    return False
                # Glued to the word before (سےسوات): only behind a short function word, never
                # inside an ordinary word (کروانے is not Wana, ہوٹل is not Thall).
                if key[key.rfind(" ", 0, start) + 1 : start] not in _GLUE_BEFORE:
                    return False
                glued = True
        if end < len(key):
            after = key[end]
            if after != " ":
                if glued or not (_is_arabic(name[-1]) and name[-1] in _NON_JOINING and _is_arabic(after)):
                    return False
                # Glued to the word after (پشاورمیں): only a postposition may follow.
                stop = key.find(" ", end)
                if key[end : stop if stop != -1 else len(key)] not in _GLUE_AFTER:
                    return False
        return True

    def _has_context(self, key: str, start: int, end: int, display: str | None) -> bool:
        before = key[max(0, start - 80) : start].split()[-2:]
        after = key[end : end + 80].split()[:2]
        if start == 0 and after and after[0] in self._lead:
            return True
        # A postposition counts only after the name and a preposition only before it: in "... ډیسک
        # کښې خور ډېره" the کښې belongs to the word before, not to the name.
        context = self._context
        if any(w in context and w not in _PREPOSITIONS for w in after) or any(w in context and w not in _POSTPOSITIONS for w in before):
            return True
        pair_before, pair_after = " ".join(before[-2:]), " ".join(after[:2])
        if (pair_after in context and pair_after not in _PREPOSITIONS) or (pair_before in context and pair_before not in _POSTPOSITIONS):
            return True
        name = key[start:end]
        if display is not None and name.isascii() and not display.isupper():
            # A capitalised Latin name that is not the first word of a sentence.
            pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in name.split()) + r"\b", re.IGNORECASE)
            for count, match in enumerate(pattern.finditer(display)):
                if count >= 20:
                    break
                if display[match.start()].isupper():
                    head = display[max(0, match.start() - 40) : match.start()].rstrip()
                    if head and head[-1] not in ".!?\n":
                        return True
        return False

    def find(self, key: str, display: str | None = None) -> list[PlaceHit]:
        """Every accepted name in the key, in order of position (stop phrases included)."""
        raw: list[tuple[int, int, _Entry]] = []
        entries = self._entries
        size = len(key)
        for end_index, index in self._automaton.iter(key):
            item = entries[index]
            end = end_index + 1
            start = end - len(item.key)
            # On word boundaries (the usual case) or glued the allowed way (_boundary_ok).
            if ((start == 0 or key[start - 1] == " ") and (end == size or key[end] == " ")) or self._boundary_ok(key, start, end, item.key):
                raw.append((start, end, item))
        if not raw:
            return []
        hits: list[PlaceHit] = []
        if len(raw) == 1:
            chosen = raw
        else:
            raw.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
            taken = bytearray(size)  # characters already claimed by a longer name
            chosen = []
            for candidate in raw:
                start, end = candidate[0], candidate[1]
                if taken.find(1, start, end) != -1:
                    continue
                taken[start:end] = b"\x01" * (end - start)
                chosen.append(candidate)
            chosen.sort(key=lambda h: h[0])  # starts are distinct: the order of hits.sort by start
        ambiguous = self._ambiguous
        for start, end, item in chosen:
            if item.stop:
                hits.append(PlaceHit(start, end, item.key, _STOP))
            elif item.province:
                hits.append(PlaceHit(start, end, item.key, _PROVINCE))
            elif item.places:
                hits.append(PlaceHit(start, end, item.key, _KP, item.place_tuple))
            elif item.outside:
                hits.append(PlaceHit(start, end, item.key, _OUTSIDE, outside_name=item.outside))
        result: list[PlaceHit] = []
        confirmed: set[str] | None = None
        region = self._region
        for hit in hits:
            if hit.role != _KP:
                result.append(hit)
                continue
            if hit.text in ambiguous:
                # Ambiguous names need context or a confirming place of the same district.
                if confirmed is None:
                    confirmed = {p.district for h in hits if h.role == _KP and h.text not in ambiguous for p in h.places}
                same = any(p.district in confirmed for p in hit.places)
                # Context words rescue an ambiguous district name (Tank district, ضلع کرم); a generic
                # locality name (Saddar, Cantt) needs another place of the same district.
                one_district = len({p.district for p in hit.places}) == 1
                if not same and not (one_district and self._has_context(key, hit.start, hit.end, display)):
                    continue
            following = key[hit.end : hit.end + 12].split(maxsplit=1)
            if following and following[0] in region:
                continue  # "Bannu region", "ملاکنڈ ڈویژن": a region, not the district
            result.append(hit)
        return result

    def _fuzzy_token(self, token: str, buckets: Mapping[str, list[str]], limit: int) -> str | None:
        cached = self._fuzzy_cache.get(token, "")
        if cached != "":
            return cached
        choices = buckets.get(token[0], [])
        best: str | None = None
        if choices:
            found = process.extractOne(token, choices, scorer=Levenshtein.distance, score_cutoff=limit)
            if found is not None:
                best = str(found[0])
        if len(self._fuzzy_cache) >= _FUZZY_CACHE_LIMIT:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = best
        return best

    def loose(self, key: str, covered: list[tuple[int, int]], folded: str | None = None) -> list[PlaceHit]:
        """Arabic-script names matched with confusable letters merged (one-for-one, so offsets hold).

        ``folded`` is ``key`` with the confusable letters merged, when the caller has it already."""
        if not self._loose_ready or key.isascii():
            return []
        if folded is None:
            folded = key.translate(_LOOSE_TABLE)
        found: list[tuple[int, int, _Entry]] = []
        names = self._loose_names
        for end_index, index in self._loose.iter(folded):
            item = self._entries[index]
            end = end_index + 1
            start = end - len(item.key)
            if self._boundary_ok(folded, start, end, names[index]) and not any(s <= start < e for s, e in covered):
                found.append((start, end, item))
        found.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        taken = bytearray(len(key))
        hits: list[PlaceHit] = []
        for start, end, item in found:
            if taken.find(1, start, end) != -1:
                continue
            taken[start:end] = b"\x01" * (end - start)
            hits.append(PlaceHit(start, end, key[start:end], _KP, item.place_tuple, fuzzy=True))
        return sorted(hits, key=lambda h: h.start)

    def fuzzy(self, key: str, covered: list[tuple[int, int]] | None = None) -> list[PlaceHit]:
        """Misspelt Latin place names (only used when nothing matched exactly).

        Words inside a stop phrase, the province's name or a place outside KP are skipped, and so are
        exact names (they were matched or deliberately refused already) and a name with letters only
        added at its start or end (mardana is not Mardan).
        """
        if not self._fuzzy_single:
            return []
        covered = covered or []
        hits: list[PlaceHit] = []
        by_key = self._by_key
        padded = " " + key
        # Each token's name is cached (it does not depend on where the token is); whether the token
        # lies inside a stop phrase or a place outside KP does.
        single_names = self._fuzzy_single_names
        for match in _LATIN_TOKEN_PADDED.finditer(padded):
            token = match.group(1)
            name = single_names.get(token, "")
            if name == "":
                name = self._fuzzy_single_name(token)
            if name is not None:
                start = match.start()  # the token's index in key (padded has one more character)
                if not any(s <= start < e for s, e in covered):
                    hits.append(PlaceHit(start, start + len(token), token, _KP, by_key[name].place_tuple, fuzzy=True))
        if self._fuzzy_double and not hits:
            common = self._common
            for match in _LATIN_PAIR_PADDED.finditer(padded):
                previous, word = match.group(1, 2)
                if len(previous) + len(word) >= 8 and previous not in common and word not in common:
                    pair = previous + " " + word
                    start = match.start()  # the first word's index in key
                    if pair not in by_key and not any(s <= start < e for s, e in covered):
                        name = self._fuzzy_token(pair, self._fuzzy_double, 1 if len(pair) < 12 else 2)
                        if name is not None and name in by_key and not _affixed(pair, name):
                            hits.append(PlaceHit(start, start + len(pair), pair, _KP, by_key[name].place_tuple, fuzzy=True))
        return hits

    def _fuzzy_single_name(self, token: str) -> str | None:
        """The KP place a single Latin word misspells, if any (cached)."""
        name: str | None = None
        if token not in self._common and token not in self._by_key:
            found = self._fuzzy_token(token, self._fuzzy_single, 1 if len(token) <= 7 else 2)
            if found is not None and found in self._by_key and not _affixed(token, found):
                name = found
        if len(self._fuzzy_single_names) >= _FUZZY_CACHE_LIMIT:
            self._fuzzy_single_names.clear()
        self._fuzzy_single_names[token] = name
        return name

    def _aside(self, key: str, hit: PlaceHit, before_words: tuple[str, ...] | None = None, after_words: tuple[str, ...] | None = None) -> bool:
        """Whether a KP name is the sender's home, a destination or a number plate, not the scene."""
        before = key[max(0, hit.start - 30) : hit.start]
        after = key[hit.end : hit.end + 30]
        if before and not before.endswith(" "):
            before += " "
        before_words = self._aside_before if before_words is None else before_words
        after_words = self._aside_after if after_words is None else after_words
        return (" " + before).endswith(before_words) or after.startswith(after_words)

    # -- decision ------------------------------------------------------------------------------
    def _places_info(self, places: tuple[Place, ...]) -> _PlacesInfo:
        info = self._infos.get(id(places))
        if info is None or info.places is not places:  # a tuple the gazetteer did not make
            return _places_info(places)
        return info

    def locate_many(self, keys: Sequence[str], displays: Sequence[str | None]) -> list[PlaceResult]:
        """``locate`` for a batch (the loose forms of the keys are made for the whole batch at once)."""
        if self._loose_ready and len(keys) > 1:
            folded = _LOOSE.many(keys)
            return [self.locate(k, d, loose_key=f) for k, d, f in zip(keys, displays, folded, strict=True)]
        return [self.locate(k, d) for k, d in zip(keys, displays, strict=True)]

    def locate(self, key: str, display: str | None = None, *, loose_key: str | None = None) -> PlaceResult:
        """Decide district and station for a message from its matching key (``loose_key``: the key
        with confusable Arabic letters merged, if the caller has it)."""
        hits = self.find(key, display)
        kp = [h for h in hits if h.role == _KP]
        if not kp:
            covered = [(h.start, h.end) for h in hits]
            fuzzy = self.loose(key, covered, loose_key) or self.fuzzy(key, covered)
            if fuzzy:
                kp = fuzzy
                hits = sorted([*hits, *fuzzy], key=lambda h: h.start)
        reasons: list[str] = []
        outside = False  # a place outside KP is named
        for hit in hits:
            if hit.role == _STOP:
                reasons.append(f"'{hit.text}' is a stop phrase, not a place")
            elif hit.role == _PROVINCE:
                reasons.append(f"'{hit.text}' names the province, not a district")
            elif hit.role == _OUTSIDE:
                reasons.append(f"place '{hit.text}' ({hit.outside_name}) is outside KP")
                outside = True
        if len(kp) > 1:
            # "from Mingora towards Kalam", "Makeen nah Peshawar ta rawan": the destination is not the scene.
            scene = [h for h in kp if not self._aside(key, h, self._destination_before, self._destination_after)]
            if scene and len(scene) < len(kp):
                kp = scene
        if kp and outside:
            aside = [h for h in kp if self._aside(key, h)]
            if aside:
                for hit in aside:
                    reasons.append(f"place '{hit.text}' is the sender's home, a destination or a number plate")
                kp = [h for h in kp if h not in aside]
        if not kp:
            return PlaceResult(None, None, 0.9 if outside or reasons else 0.7, tuple(reasons), tuple(hits))

        infos = [self._places_info(h.places) for h in kp]
        definite = {info.districts[0] for info in infos if len(info.districts) == 1}
        scores: dict[str, float] = {}
        first: dict[str, int] = {}
        chosen: list[tuple[PlaceHit, Place]] = []
        for order, (hit, info) in enumerate(zip(kp, infos, strict=True)):
            districts = info.districts
            if len(districts) > 1:
                matching = [p for p in hit.places if p.district in definite]
                candidates = matching or list(hit.places)
                share = 1.0 if matching else 0.5 / len(districts)
                place = max(candidates, key=lambda p: _SPECIFICITY.get(p.kind, 1.0))
            else:
                candidates = list(hit.places)
                share = 1.0
                place = info.best
            weight = _SPECIFICITY.get(place.kind, 1.0) * share * (0.6 if hit.fuzzy else 1.0)
            if hit.text in self._ambiguous:
                weight *= _AMBIGUOUS_WEIGHT
            if len(districts) > 1 and not (set(districts) & definite):
                # Spread the weak evidence over every district it could mean, first one first.
                for p in candidates:
                    scores[p.district] = scores.get(p.district, 0.0) + weight
                    first.setdefault(p.district, order)
            else:
                scores[place.district] = scores.get(place.district, 0.0) + weight
                first.setdefault(place.district, order)
            chosen.append((hit, place))
        district = next(iter(scores)) if len(scores) == 1 else max(scores, key=lambda d: (scores[d], -first[d]))
        station: str | None = None
        for _hit, place in chosen:
            if place.district != district:
                continue
            if place.station:
                station = place.station
                break
        fuzzy_named = False  # the district rests on a fuzzy match
        for hit, place in chosen:
            if place.district != district:
                continue
            detail = f" (station {place.station})" if place.station else ""
            how = "fuzzy " if hit.fuzzy else ""
            fuzzy_named = fuzzy_named or hit.fuzzy
            reasons.append(f"{how}place '{hit.text}' -> {place.district}{detail}")
        total = sum(scores.values())
        confidence = scores[district] / total if total else 0.0
        if fuzzy_named:
            confidence *= 0.8
        if district not in definite:
            confidence *= 0.6
        return PlaceResult(district, station, round(min(confidence, 1.0), 3), tuple(reasons), tuple(hits))
