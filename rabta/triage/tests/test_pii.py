"""Personal data: every format, exact spans on the original text, redaction."""

from __future__ import annotations

import itertools

import pytest

from rabta.triage.pii import find_pii, redact

FORMATS = [
    # CNIC
    ("cnic 17301-1234567-1 hai", "cnic", "17301-1234567-1"),
    ("CNIC 1730112345671.", "cnic", "1730112345671"),
    ("شناختی کارڈ ۱۷۳۰۱-۱۲۳۴۵۶۷-۱ ہے", "cnic", "۱۷۳۰۱-۱۲۳۴۵۶۷-۱"),
    ("cnic 17301 1234567 1", "cnic", "17301 1234567 1"),
    ("٣٥٢٠٢١٢٣٤٥٦٧١", "cnic", "٣٥٢٠٢١٢٣٤٥٦٧١"),
    # mobile
    ("call 0300-1234567 now", "phone", "0300-1234567"),
    ("call 03001234567", "phone", "03001234567"),
    ("+92 300 1234567", "phone", "+92 300 1234567"),
    ("+92-345-1234567", "phone", "+92-345-1234567"),
    ("+923451234567", "phone", "+923451234567"),
    ("0092 300 1234567", "phone", "0092 300 1234567"),
    ("92 300 1234567", "phone", "92 300 1234567"),
    ("(0300) 1234567", "phone", "(0300) 1234567"),
    ("0300 123 4567", "phone", "0300 123 4567"),
    ("نمبر ۰۳۴۵۱۲۳۴۵۶۷ ہے", "phone", "۰۳۴۵۱۲۳۴۵۶۷"),
    # landline
    ("office 091-1234567", "phone", "091-1234567"),
    ("(091) 5212345", "phone", "(091) 5212345"),
    ("+92 91 5212345", "phone", "+92 91 5212345"),
    ("042-35761234", "phone", "042-35761234"),
    ("0937-123456", "phone", "0937-123456"),
    # e-mail
    ("mail ali.khan@gmail.com please", "email", "ali.khan@gmail.com"),
    ("ای میل: sana_82@yahoo.co.uk", "email", "sana_82@yahoo.co.uk"),
    # vehicle registration
    ("car LEA-1234 stolen", "vehicle", "LEA-1234"),
    ("ABC 123 was seen", "vehicle", "ABC 123"),
    ("LEB-12-1234 white corolla", "vehicle", "LEB-12-1234"),
    ("meri gari lea 1234 chori", "vehicle", "lea 1234"),
    ("B 1234 Peshawar number wali gari", "vehicle", "B 1234 Peshawar"),
    ("rickshaw no PR-4471", "vehicle", "PR-4471"),
    ("گاڑی نمبر ۱۲۳۴ تھی", "vehicle", "۱۲۳۴"),
    # IBAN
    ("IBAN PK36SCBL0000001123456702 hai", "iban", "PK36SCBL0000001123456702"),
]


@pytest.mark.parametrize(("text", "kind", "value"), FORMATS)
def test_format_detected_with_exact_span(text: str, kind: str, value: str) -> None:
    spans = find_pii(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [(kind, value)]
    start = text.index(value)
    assert (spans[0].start, spans[0].end) == (start, start + len(value))
    placeholder = "[" + ("PHONE" if kind == "phone" else kind.upper()) + "]"
    assert redact(text, spans) == text[:start] + placeholder + text[start + len(value) :]


@pytest.mark.parametrize(
    "text",
    [
        "call 15 now",
        "Rescue 1122 came late",
        "1715 helpline",
        "FIR no 123/2024",
        "Phase 3 Hayatabad",
        "G-9 Islamabad",
        "sector F-10",
        "PTI 2024 jalsa",
        "Rs 5000 bribe",
        "DPO 1122",
        "year 2023 and 2024",
        "12 saal ka bacha",
        "",
        "😀",
    ],
)
def test_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


def test_several_kinds_in_one_message() -> None:
    text = "CNIC 17301-1234567-1, phone 0345-1234567, mail a@b.pk, car ABC-123"
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["cnic", "phone", "email", "vehicle"]
    assert redact(text, spans) == "CNIC [CNIC], phone [PHONE], mail [EMAIL], car [VEHICLE]"
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
