"""Language identification rules, one table row per rule."""

from __future__ import annotations

import pytest

from rabta.triage.engine import Engine

CASES = [
    # script
    ("😀😀😀", "und"),
    ("12345 678", "und"),
    ("", "und"),
    ("!!! ???", "und"),
    ("मेरा भाई घर नहीं आया", "und"),
    # English
    ("My brother has not come home since yesterday", "en"),
    ("Please send police, there is firing in our street", "en"),
    ("Thank you KP Police for the quick response", "en"),
    # Roman Urdu: lexicon
    ("Mera bhai kal se ghar nahi aya", "ur-Latn"),
    ("sir plz help kr do hamari gari chori ho gayi hai", "ur-Latn"),
    ("thana wale FIR darj nahi kar rahe", "ur-Latn"),
    ("bohat shukriya aap ka", "ur-Latn"),
    # Roman Urdu with English words mixed in
    ("Sir mera mobile snatch ho gaya University road pe", "ur-Latn"),
    # Urdu
    ("میرا بھائی کل سے گھر نہیں آیا", "ur"),
    ("پولیس نے ایف آئی آر درج نہیں کی", "ur"),
    ("براہ کرم میری مدد کریں", "ur"),
    # Pashto: Pashto letters
    ("زما ورور له پرون راهیسې ورک دی", "ps"),
    ("په پېښور کې ډزې کېږي", "ps"),
    # Pashto typed with Urdu letters: function words decide
    ("زما ورور پرون نہ کور تہ نہ دی راغلی", "ps"),
    ("مونږ سره مرسته وکړئ، دلته غله دي", "ps"),
    ("کرک کشے زما وریندار خاوند پہ تومانچہ وہی", "ps"),
    # Arabic yeh beside Farsi yeh is Pashto; an Arabic keyboard alone is not
    ("دغه سړي زمونږ کور ته راغلي دي", "ps"),
    ("ميرا بهائي گهر نهيں آيا", "ur"),
    # mixed messages: the dominant script decides
    ("Sir mera bhai گم ہو گیا hai subah se", "ur-Latn"),
    ("میرا موبائل چوری ہو گیا ہے sir please", "ur"),
]


@pytest.mark.parametrize(("text", "language"), CASES)
def test_language(engine: Engine, text: str, language: str) -> None:
    assert engine.language.identify(text).language == language


def test_langid_is_not_loaded_for_clear_cases(engine: Engine) -> None:
    fresh = type(engine.language)()
    for text, _ in CASES[5:]:
        fresh.identify(text)
    assert fresh.langid_loaded is False


def test_a_batch_is_identified_like_one_by_one(engine: Engine) -> None:
    texts = [text for text, _language in CASES]
    texts += ["سلام 😀 Sir plz help", "ولې دلته ډزې کیږي؟ ورک شو", "علي يو ځای", "aaaall okkkk nahi hai please police wale", "Привет мир"]
    assert engine.language.identify_many(texts) == [engine.language.identify(t) for t in texts]
