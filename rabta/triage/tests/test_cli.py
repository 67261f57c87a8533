"""The `rabta triage` JSON Lines contract (CONTRACTS.md), through main(argv) with temporary files."""

from __future__ import annotations

import json
from pathlib import Path

from rabta.triage.cli import main
from rabta.triage.model import CATEGORIES, URGENCIES

CONTRACT_KEYS = {"id", "language", "category", "urgency", "district", "police_station", "sensitive", "pii", "redacted_text", "confidence", "reasons"}
CONFIDENCE_KEYS = {"category", "urgency", "language", "district", "sensitive"}


def run(tmp_path: Path, payload: bytes, *extra: str) -> list[dict[str, object]]:
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_bytes(payload)
    assert main(["--input", str(source), "--output", str(target), *extra]) == 0
    raw = target.read_bytes()
    raw.decode("utf-8")  # the output is valid UTF-8
    return [json.loads(line) for line in raw.decode("utf-8").split("\n")[:-1]]


def check_line(line: dict[str, object]) -> None:
    assert set(line) >= CONTRACT_KEYS
    assert line["language"] in ("en", "ur", "ps", "ur-Latn", "und")
    assert line["category"] in CATEGORIES
    assert line["urgency"] in URGENCIES
    assert line["district"] is None or isinstance(line["district"], str)
    assert line["police_station"] is None or isinstance(line["police_station"], str)
    assert isinstance(line["sensitive"], bool)
    assert isinstance(line["redacted_text"], str)
    confidence = line["confidence"]
    assert isinstance(confidence, dict)
    assert set(confidence) == CONFIDENCE_KEYS
    assert all(isinstance(v, float | int) and 0.0 <= v <= 1.0 for v in confidence.values())
    assert isinstance(line["reasons"], list)
    assert all(isinstance(r, str) for r in line["reasons"])
    pii = line["pii"]
    assert isinstance(pii, list)
    for span in pii:
        assert set(span) == {"kind", "start", "end"}
        assert 0 <= span["start"] < span["end"]


def test_good_lines_in_order(tmp_path: Path) -> None:
    lines = [
        {"id": "m1", "text": "Hayatabad phase 3 mein firing ho rahi hai, jaldi police bhejo"},
        {"id": "m2", "text": "میرا شناختی کارڈ ۱۷۳۰۱-۱۲۳۴۵۶۷-۱ گم ہو گیا ہے، رپورٹ کیسے درج کروں؟"},
        {"id": "m3", "text": "Thank you KP Police for the quick help in Mardan"},
        {"id": "m4", "text": "زما ورور له پرون راهیسې ورک دی، په پېښور کې"},
    ]
    payload = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    out = run(tmp_path, payload)
    assert [o["id"] for o in out] == ["m1", "m2", "m3", "m4"]
    for line in out:
        check_line(line)
    assert out[0]["category"] == "emergency"
    assert out[0]["urgency"] == "critical"
    assert out[0]["district"] == "Peshawar"
    text = lines[1]["text"]
    start = text.index("۱۷۳۰۱")
    assert out[1]["pii"] == [{"kind": "cnic", "start": start, "end": start + 15}]
    assert "[CNIC]" in str(out[1]["redacted_text"])
    assert out[2]["category"] == "feedback"
    assert out[3]["language"] == "ps"
    assert out[3]["category"] == "missing_person"


def test_bad_lines_give_error_lines_and_processing_goes_on(tmp_path: Path) -> None:
    payload = (
        b"\n".join(
            [
                b'{"id": "a", "text": "salam"}',
                b"not json at all",
                b'{"id": "b"}',
                b'{"id": "c", "text": 42}',
                b"[1, 2, 3]",
                b"",
                b'{"id": "d", "text": "theek hai shukriya"}',
            ]
        )
        + b"\n"
    )
    out = run(tmp_path, payload)
    assert len(out) == 7
    assert out[0]["id"] == "a"
    assert "error" not in out[0]
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]}
    assert str(out[1]["error"]).startswith("not valid JSON")
    assert out[2] == {"id": "b", "line": 3, "error": "missing 'text'"}
    assert out[3] == {"id": "c", "line": 4, "error": "'text' is not a string"}
    assert out[4] == {"id": None, "line": 5, "error": "not a JSON object"}
    assert out[5] == {"id": None, "line": 6, "error": "blank line"}
    assert out[6]["id"] == "d"
    assert "error" not in out[6]


def test_extra_keys_are_carried_and_do_not_override(tmp_path: Path) -> None:
    line = {"id": 17, "text": "Peshawar mein traffic jam hai", "channel": "whatsapp", "meta": {"x": [1, 2]}, "category": "spoofed"}
    out = run(tmp_path, (json.dumps(line) + "\n").encode())
    assert out[0]["id"] == 17
    assert out[0]["channel"] == "whatsapp"
    assert out[0]["meta"] == {"x": [1, 2]}
    assert out[0]["category"] in CATEGORIES
    assert "text" not in out[0]


def test_invalid_utf8_bom_surrogates_and_control_characters(tmp_path: Path) -> None:
    payload = (
        b'\xef\xbb\xbf{"id": "bom", "text": "ok"}\n'
        b'{"id": "bytes", "text": "abc \xff\xfe def"}\n'
        b'{"id": "sur", "text": "a \\ud800 b \\udfff"}\n'
        b'{"id": "ctl", "text": "\\u0000\\u0007\\u001b[31m red \\u202e"}\n'
    )
    out = run(tmp_path, payload)
    assert [o["id"] for o in out] == ["bom", "bytes", "sur", "ctl"]
    for line in out:
        check_line(line)


def test_explain_adds_details(tmp_path: Path) -> None:
    line = {"id": "e", "text": "Hayatabad mein firing ho rahi hai, mera number 0300-1234567"}
    out = run(tmp_path, (json.dumps(line) + "\n").encode(), "--explain")
    explain = out[0]["explain"]
    assert isinstance(explain, dict)
    assert "model_category" in explain
    assert "signals" in explain
    assert "places" in explain
    places = explain["places"]
    assert isinstance(places, list)
    assert places[0]["span"] == [0, 9]


def test_empty_input_gives_empty_output(tmp_path: Path) -> None:
    assert run(tmp_path, b"") == []
