"""The gazetteer: every district reachable in every script, stop phrases, outside places, stations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rabta.triage.engine import Engine
from rabta.triage.normalise import matching_key

GAZETTEER = json.loads((Path(__file__).resolve().parents[1] / "data" / "gazetteer.json").read_text(encoding="utf-8"))
DISTRICTS = [p for p in GAZETTEER["places"] if p["kind"] == "district"]
PASHTO_LETTERS = set("ټډړږښځڅڼګېۍ")


def _district(engine: Engine, text: str) -> str | None:
    return engine.gazetteer.locate(matching_key(text), text).district


EXTRA = json.loads((Path(__file__).resolve().parents[1] / "data" / "places_extra.json").read_text(encoding="utf-8"))
AMBIGUOUS = {matching_key(n) for n in [*GAZETTEER.get("ambiguous", {}), *EXTRA.get("ambiguous", {})]}


def _scripts(place: dict[str, object]) -> tuple[str, str, str]:
    """The first English, Urdu and Pashto name of a place (names the gazetteer calls ambiguous,
    such as Urdu کرم "grace", need context by design and are skipped here)."""
    names = [str(n) for n in place["names"] if matching_key(str(n)) not in AMBIGUOUS]  # type: ignore[attr-defined]
    latin = next(n for n in names if n.isascii())
    arabic = [n for n in names if not n.isascii()]
    urdu = next(n for n in arabic if not set(n) & PASHTO_LETTERS)
    pashto = next((n for n in arabic if set(n) & PASHTO_LETTERS), arabic[-1])
    return latin, urdu, pashto


def test_the_gazetteer_has_every_district() -> None:
    assert len(DISTRICTS) >= 40
    assert {"Dera Ismail Khan", "Lower Dir", "Upper Chitral", "Kolai-Palas", "Upper South Waziristan"} <= {p["district"] for p in DISTRICTS}


@pytest.mark.parametrize("place", DISTRICTS, ids=[p["district"] for p in DISTRICTS])
def test_every_district_in_every_script(engine: Engine, place: dict[str, object]) -> None:
    latin, urdu, pashto = _scripts(place)
    assert _district(engine, f"There was a theft in {latin} yesterday") == place["district"]
    assert _district(engine, f"{urdu} میں کل رات چوری ہوئی") == place["district"]
    assert _district(engine, f"په {pashto} کښې پرون شپه غلا وشوه") == place["district"]


@pytest.mark.parametrize(
    ("text", "district"),
    [
        # stop phrases and the province are not districts
        ("براہ کرم میری مدد کریں", None),
        ("خیبر پختونخوا پولیس", None),
        ("خیبر پختونخوا پولیس زندہ باد", None),
        ("KP Police is the best", None),
        ("Khyber Pakhtunkhwa police helpline number?", None),
        ("اللہ کا کرم ہے سب ٹھیک ہے", None),
        ("مجھے آنے میں دیر ہو گئی", None),
        ("the water tank on our roof is leaking", None),
        # places outside KP
        ("Lahore mein mera mobile chori hua", None),
        ("کراچی میں میرا بھائی لاپتہ ہے", None),
        ("I live in Islamabad", None),
        ("Lahore se Peshawar aate hue gari chori hui", "Peshawar"),
        # ambiguous names with context
        ("Tank district mein firing", "Tank"),
        ("ضلع کرم میں فائرنگ", "Kurram"),
        ("ٹانک میں چوری", "Tank"),
        # abbreviations and spellings
        ("D.I. Khan mein dakaiti", "Dera Ismail Khan"),
        ("DI Khan se hun", "Dera Ismail Khan"),
        ("ڈی آئی خان میں", "Dera Ismail Khan"),
        # Pashto oblique case
        ("د مانسهرې یو هلک یم", "Mansehra"),
        # most mentioned, then first
        ("Mardan ka rehne wala hun, Peshawar Saddar mein Hayatabad ke paas loota gaya", "Peshawar"),
        ("Kohat Tangi bazar mein bachi kho gayi", "Kohat"),
        # misspelt Latin names
        ("Peshawer mein traffic jam", "Peshawar"),
        ("Nowshehra se bol raha hun", "Nowshera"),
        # an ambiguous name opening the message with a postposition after it
        ("کالام میں ہمارے ہوٹل سے کیمرہ چوری ہو گیا", "Upper Swat"),
        ("غازی سے میرا ٹریکٹر رات کو چوری ہو گیا", "Haripur"),
        ("نوکری کی تلاش میں گیا تھا، فون بند ہے", None),
        # the sender's home, a destination or a number plate beside a place outside KP
        ("I am from Bannu, working in Karachi. My room was robbed last night", None),
        ("main Chitral ki hun Lahore me rehti hun, koi blackmail kar raha hai", None),
        ("Pindi ka challan meri Peshawar number gari ko aa gaya", None),
        ("Firing on a Peshawar-bound coach near Attock, two injured", None),
        # a destination is not the scene when the scene is named too
        ("مکین نه زما ورور پېښور ته روان و، ټیلیفون یې بند دی", "Upper South Waziristan"),
        # a name glued to the word before it only behind a short function word, never inside a word
        ("میرے خیال میں پولیس کو مقابلے کروانے چاہئیں", None),
        ("پولیس دې د ځوانانو لپاره ټورنمنټ جوړ کړي", None),
        ("په هوټل کښې شپه ناوخته جواري کېږي", None),
        ("دپېښور په ښار کښې غلا وشوه", "Peshawar"),
        ("کل پشاورمیں چوری ہوئی", "Peshawar"),
        # Pashto ډېره (very) is not Dera; a postposition belongs to the word before it
        ("د پولیسو رویه اوس ډېره ښه شوې، مننه", None),
        ("ښځینه ډیسک کښې خور ډېره مهربانه وه", None),
        ("ډېره کښې د بسونو اډې ته نږدې غلا وشوه", "Dera Ismail Khan"),
        ("ڈیرہ اسماعیل خان میں چوری", "Dera Ismail Khan"),
        # an ambiguous name is ambiguous in its inflected forms too; ګډون (taking part) is not Gadoon
        ("ہماری بکریاں منڈی میں بیچ دی گئیں", None),
        ("د کلیو جرګو کښې هم پولیس ګډون وکړي", None),
    ],
)
def test_district_decisions(engine: Engine, text: str, district: str | None) -> None:
    assert _district(engine, text) == district


def test_station_comes_with_its_district(engine: Engine) -> None:
    result = engine.gazetteer.locate(matching_key("Hayatabad phase 3 mein chori"), "Hayatabad phase 3 mein chori")
    assert result.district == "Peshawar"
    assert result.station is not None
    assert any("Hayatabad" in r or "hayatabad" in r for r in result.reasons)


def test_outside_place_is_reported(engine: Engine) -> None:
    result = engine.gazetteer.locate(matching_key("Lahore"), "Lahore")
    assert result.district is None
    assert any("outside KP" in r for r in result.reasons)


def test_fuzzy_does_not_turn_words_into_places(engine: Engine) -> None:
    for text in ["market mein", "mardana kapre", "pishab", "bannaya", "swatch", "peshkash mili", "tankless"]:
        assert _district(engine, text) is None, text


def test_a_batch_locates_like_one_by_one(engine: Engine) -> None:
    texts = [
        "Hayatabad phase 3 mein chori",
        "پاراچنار میں فائرنگ",
        "پاړاچنار کښې ډزې",
        "Lahore",
        "mardana bazar",
        "Abbotabad cantt",
        "dera ismail khan road",
        "",
        "ډېره ښه",
        "Tank district",
    ]
    keys = [matching_key(t) for t in texts]
    assert engine.gazetteer.locate_many(keys, texts) == [engine.gazetteer.locate(k, t) for k, t in zip(keys, texts, strict=True)]
