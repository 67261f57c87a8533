"""Normalisation: the display form keeps the text, the matching key folds it."""

from __future__ import annotations

import pytest

from rabta.triage.normalise import (
    BatchTranslator,
    display_form,
    matching_key,
    matching_key_with_offsets,
    matching_keys,
    replace_surrogates,
    to_ascii_digits,
)

KEYS = [
    # Arabic/Persian/Urdu code-point variants
    ("علي", "علی"),  # Arabic yeh -> Farsi yeh
    ("مصطفى", "مصطفی"),  # alef maksura
    ("كراچی", "کراچی"),  # Arabic kaf -> keheh
    ("پشاوره", "پشاورہ"),  # Arabic heh -> heh goal
    ("بھائی", "بہائی"),  # do-chashmi heh folded
    ("ۀ", "ہ"),
    ("آباد", "اباد"),  # alef madda
    ("أحمد", "احمد"),
    ("إسلام", "اسلام"),
    ("جاۓ", "جائے"),  # yeh barree with hamza = hamza + yeh barree
    ("لڑکے", "لڑکے"),  # yeh barree kept apart from yeh: boys are not a girl
    ("لڑکی", "لڑکی"),
    ("اغواء", "اغوا"),  # standalone hamza dropped
    # Pashto letters folded to what an Urdu keyboard types
    ("پېښور", "پیشور"),  # medial ې is ی: Urdu writes ے only at the end of a word
    ("ټانک", "ٹانک"),
    ("ډېره", "ڈیرہ"),
    ("ګران", "گران"),
    ("نجلۍ", "نجلی"),
    # diacritics, tatweel, zero-width
    ("مُحَمَّد", "محمد"),
    ("پشـــاور", "پشاور"),
    ("پشا\u200cور", "پشاور"),
    ("Pesh\u200bawar", "peshawar"),
    ("\ufeffMardan", "mardan"),
    # digits of every script
    ("۰۳۰۰۱۲۳۴۵۶۷", "03001234567"),
    ("٠١٢٣٤", "01234"),
    # repeated Latin letters, case, punctuation
    ("HELPPPP plzzz", "help plz"),
    ("Abbottabad", "abotabad"),
    ("soooo   much!!!", "so much"),
    ("D.I. Khan", "d i khan"),
    ("Takht-i-Bahi", "takht i bahi"),
    ("ککی", "ککی"),  # Arabic-script doubled letters are not collapsed
    # presentation forms (old keyboards) via NFKC
    ("\ufe8e\ufe91", "اب"),
    ("", ""),
    ("😀😀", ""),
]


@pytest.mark.parametrize(("text", "key"), KEYS)
def test_matching_key(text: str, key: str) -> None:
    assert matching_key(text) == key


@pytest.mark.parametrize(("text", "key"), [k for k in KEYS if k[0] != "\ufe8e\ufe91"])
def test_offsets_give_the_same_key(text: str, key: str) -> None:
    folded, offsets = matching_key_with_offsets(text)
    assert folded == key
    assert len(offsets) == len(folded)
    assert all(0 <= o < len(text) for o in offsets)
    assert offsets == sorted(offsets)


def test_offsets_point_at_the_original_word() -> None:
    text = "Sir!!  Hayatabad mein firing"
    key, offsets = matching_key_with_offsets(text)
    start = key.index("hayatabad")
    assert text[offsets[start] : offsets[start + len("hayatabad") - 1] + 1] == "Hayatabad"


def test_display_form_keeps_the_text() -> None:
    text = "پېښور کې ډزې، زما CNIC 17301-1234567-1"
    assert display_form(text) == text


def test_display_form_composes_and_replaces_surrogates() -> None:
    assert display_form("e\u0301") == "\u00e9"
    assert display_form("a\ud800b") == "a\ufffdb"
    assert replace_surrogates("a\udfffb") == "a\ufffdb"
    assert len(replace_surrogates("x\ud800y")) == 3


def test_ascii_digits_only_changes_digits() -> None:
    assert to_ascii_digits("نمبر ۰۳۴۵-١٢٣") == "نمبر 0345-123"


def test_batch_keys_are_the_per_text_keys() -> None:
    texts = [text for text, _key in KEYS]
    texts += ["ے", "ےے ےa ے1 ے_", "aA Aa AAA", "  x  ", "_x_", "😀a😀", "Straße ۓ", "ΣΑΣ", "İstanbul", "a\ud800b", "\U00010400x"]
    for batch in (texts, [t for t in texts if t not in ("ΣΑΣ", "İstanbul", "a\ud800b")], [display_form(t) for t in texts]):
        assert matching_keys(batch) == [matching_key(t) for t in batch]
    assert matching_keys(["", "", "", "", "", "", "", "", "!!"]) == [""] * 9


def test_batch_translator_is_str_translate() -> None:
    translator = BatchTranslator({"ڑ": "ر", "ۓ": "ئے", "\u064b": "", "a": "b"})
    texts = ["بڑا", "جاۓ", "مُ\u064bحمد", "abc", "", "😀ڑ", "x\ud800y", "ڑڑ", "aaa"]
    assert translator.many(texts) == [t.translate(translator.table) for t in texts]
    assert translator.many(texts[:2]) == [t.translate(translator.table) for t in texts[:2]]
