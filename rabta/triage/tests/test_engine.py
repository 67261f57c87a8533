"""Engine-level behaviour: determinism, batch equals single, the API and the decision rules."""

from __future__ import annotations

import pytest

import rabta.triage as triage_package
from rabta.triage.engine import Engine

TEXTS = [
    "Hayatabad phase 3 mein firing ho rahi hai jaldi police bhejo",
    "میرا ۶ سال کا بیٹا صبح سے لاپتہ ہے، یکہ توت میں رہتے ہیں",
    "SHO Takht Bhai ne FIR darj nahi ki, rishwat mang raha hai",
    "Someone made a fake Facebook profile with my pictures, I am a girl from Swat",
    "کیا یہ سچ ہے کہ کل پشاور میں دھماکہ ہوا؟",
    "",
    "😀",
]


def test_public_api() -> None:
    result = triage_package.triage("Mardan mein chori hui")
    assert result["district"] == "Mardan"
    assert "id" not in result
    assert result["ruleset"] == triage_package.RULESET_VERSION
    assert triage_package.RULESET_VERSION.startswith("triage-")


def test_batch_equals_single_and_is_deterministic(engine: Engine) -> None:
    batch = engine.triage_many(TEXTS)
    single = [engine.triage(t) for t in TEXTS]
    assert batch == single
    assert engine.triage_many(TEXTS) == batch


@pytest.mark.parametrize(
    ("text", "category", "urgency", "sensitive"),
    [
        ("Hayatabad phase 3 mein firing ho rahi hai jaldi police bhejo", "emergency", "critical", False),
        ("help someone is breaking into my house i am hiding in the bathroom", "emergency", "critical", None),
        ("پہ پېښور کې ډزې کېږي، ژر راشئ", "emergency", "critical", None),
        ("میرا ۶ سال کا بیٹا صبح سے لاپتہ ہے", "missing_person", "critical", True),
        ("My husband beats me every day, please help, I live in Mardan", "gbv_harassment", None, True),
        ("khwaja sira ko roz tang karte hain mohalle wale", "gbv_harassment", None, True),
        ("SHO Takht Bhai ne FIR darj nahi ki, rishwat mang raha hai", "police_complaint", None, False),
        ("character certificate kaise banta hai?", "information_request", "low", False),
        ("Thank you KP police for the quick response", "feedback", "low", False),
        ("کیا یہ سچ ہے کہ کل پشاور میں دھماکہ ہوا؟ واٹس ایپ پر خبر چل رہی ہے", "rumor", "normal", False),
        ("Ring road par bohat traffic jam hai", "traffic", None, False),
        ("mera facebook account hack ho gaya hai", "cybercrime", None, None),
        ("Please keep my name secret. Drugs are sold openly in our street", None, None, True),
        ("", "other", "low", False),
        # violence or weapons going on
        ("Two pickups are stopping cars on the motorway, men with guns, heading towards Nowshera", "emergency", "critical", None),
        ("بازار میں اسلحہ بردار افراد دکانیں بند کروا رہے ہیں", "emergency", "critical", None),
        ("په بازار کښې وسله وال خلک همدا اوس دوکانونه تړي", "emergency", "critical", None),
        ("kuch log keh ke gaye hain aaj raat dukan jala denge agar paise na diye", "emergency", "critical", None),
        # domestic violence, catcalling, children, confidentiality and fear: always sensitive
        ("میرا شوہر مجھ پر روز تشدد کرتا ہے، میکے والے کہتے ہیں صبر کرو", None, None, True),
        ("زما خاوند هره ورځ ما وهي", None, None, True),
        ("college ke bahar larke roz awazein kaste hain aur peecha karte hain", "gbv_harassment", None, True),
        ("my son's cycle was stolen again from outside his school gate", None, None, True),
        ("دیر بازار کښې یو هلک وهي، دولس کاله به یې وي", None, None, True),
        ("mera naam na batayen, mohalle me charas khule aam bikti hai", None, None, True),
        ("they will kill me if they find out I complained about the land mafia", None, None, True),
        # greetings, spam and slogans are other
        ("Eid Mubarak to all of you", "other", "low", False),
        ("ghar baithe roz 3000 kamayen, telegram group join karen", "other", "low", False),
    ],
)
def test_decisions(engine: Engine, text: str, category: str | None, urgency: str | None, sensitive: bool | None) -> None:
    result = engine.triage(text)
    if category is not None:
        assert result["category"] == category
    if urgency is not None:
        assert result["urgency"] == urgency
    if sensitive is not None:
        assert result["sensitive"] is sensitive


def test_critical_signal_is_never_outvoted(engine: Engine) -> None:
    # Even with words of praise and information around it, shooting now stays critical.
    result = engine.triage("Thank you, please tell me the procedure — also firing ho rahi hai abhi hamare ghar ke bahar")
    assert result["urgency"] == "critical"


def test_reasons_carry_the_evidence(engine: Engine) -> None:
    result = engine.triage("Hayatabad mein firing ho rahi hai")
    reasons = " | ".join(result["reasons"])
    assert "firing" in reasons
    assert "Peshawar" in reasons
    assert "model:" in reasons


def test_huge_text_does_not_crash(engine: Engine) -> None:
    text = ("Peshawar mein firing ho rahi hai 0300-1234567 😀 " * 25000)[:1_000_000]
    result = engine.triage(text)
    assert result["category"] == "emergency"
    assert len(result["pii"]) > 1000
    assert len(result["redacted_text"]) < len(text)
