"""The console speaks English, Urdu and Pashto, right to left where needed, with nothing left untranslated.

The catalogues are made with `makemessages` and compiled with `compilemessages`; both the .po and the
.mo files are committed, so these tests also catch a .po that was edited without recompiling.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGS = ["ur", "ps"]

_STRING = r'"(?:[^"\\]|\\.)*"'
_ENTRY = re.compile(
    rf"^(?P<flags>(?:#.*\n)*)"
    rf"(?:msgctxt (?P<ctxt>{_STRING}\n(?:{_STRING}\n)*))?"
    rf"msgid (?P<id>{_STRING}\n(?:{_STRING}\n)*)"
    rf"(?:msgid_plural (?P<plural>{_STRING}\n(?:{_STRING}\n)*))?"
    rf"(?P<strs>(?:msgstr(?:\[\d+\])? {_STRING}\n(?:{_STRING}\n)*)+)",
    re.MULTILINE,
)
_MSGSTR = re.compile(rf"msgstr(?:\[(\d+)\])? ((?:{_STRING}\n)+)")


def _join(block: str | None) -> str:
    """Concatenate the quoted pieces of a PO string, undoing the C escapes."""
    return "".join(ast.literal_eval(piece) for piece in re.findall(_STRING, block or ""))


def _parse_po(path: Path) -> list[dict[str, Any]]:
    """A small PO reader: live entries only (obsolete `#~` entries are comments and are skipped)."""
    text = path.read_text(encoding="utf-8")
    entries = []
    for m in _ENTRY.finditer(text + "\n"):
        strs = {int(i or 0): _join(s) for i, s in _MSGSTR.findall(m.group("strs"))}
        entries.append(
            {
                "ctxt": _join(m.group("ctxt")) if m.group("ctxt") else None,
                "id": _join(m.group("id")),
                "plural": _join(m.group("plural")) if m.group("plural") else None,
                "strs": strs,
                "fuzzy": bool(re.search(r"^#,.*\bfuzzy\b", m.group("flags"), re.MULTILINE)),
            }
        )
    return entries


def _expected_catalog(entries: list[dict[str, Any]]) -> dict[Any, str]:
    """What Python's gettext should read from the compiled .mo for these entries."""
    catalog: dict[Any, str] = {}
    for e in entries:
        if e["id"] == "":
            continue
        key = f"{e['ctxt']}\x04{e['id']}" if e["ctxt"] is not None else e["id"]
        if e["plural"] is None:
            catalog[key] = e["strs"][0]
        else:
            for i, s in e["strs"].items():
                catalog[(key, i)] = s
    return catalog


def _mo_catalog(path: Path) -> dict[Any, str]:
    with path.open("rb") as mo:
        catalog = dict(gettext.GNUTranslations(mo)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header
    return catalog


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ur", {"Log in": "لاگ ان", "Dashboard": "ڈیش بورڈ", "Audit trail": "آڈٹ ریکارڈ", "Inbox": "ان باکس"}),
        ("ps", {"Log in": "ننوتل", "Dashboard": "ډشبورډ", "Audit trail": "د پلټنې ریکارډ", "Inbox": "راغلي"}),
    ],
)
def test_key_strings_are_translated(lang: str, expected: dict[str, str]) -> None:
    with translation.override(lang):
        for source, target in expected.items():
            assert translation.gettext(source) == target
        assert translation.get_language_bidi()


@pytest.mark.parametrize("lang", LANGS)
def test_role_names_and_placeholders_survive(lang: str) -> None:
    with translation.override(lang):
        assert translation.gettext("District police officer") != "District police officer"
        text = translation.gettext("A %(role)s works at: %(levels)s. Set the matching region, district or station.") % {"role": "R", "levels": "L"}
        assert "R" in text
        assert "L" in text


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_has_a_translation(lang: str) -> None:
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    entries = _parse_po(po)
    assert len(entries) > 100, "the .po looks truncated or the parser missed its entries"
    header = next(e for e in entries if e["id"] == "")
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["strs"][0]
    assert f"Language: {lang}\n" in header["strs"][0]
    assert [e["id"] for e in entries if e["fuzzy"]] == []
    untranslated = [e["id"] for e in entries if e["id"] and not all(e["strs"].values())]
    assert untranslated == []
    for e in entries:
        for s in e["strs"].values():
            if e["id"]:
                assert sorted(re.findall(r"%\(\w+\)[sd]", s)) == sorted(re.findall(r"%\(\w+\)[sd]", e["id"])), e["id"]
                assert sorted(re.findall(r"</?\w+", s)) == sorted(re.findall(r"</?\w+", e["id"])), e["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_committed_mo_matches_the_po(lang: str) -> None:
    directory = LOCALE / lang / "LC_MESSAGES"
    expected = _expected_catalog(_parse_po(directory / "django.po"))
    assert _mo_catalog(directory / "django.mo") == expected, "the .mo is out of date: run `python -P -m django compilemessages` in rabta/"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("lang", LANGS)
def test_the_po_compiles_cleanly_to_the_same_messages(lang: str, tmp_path: Path) -> None:
    directory = LOCALE / lang / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(directory / "django.po")], check=True)
    assert _mo_catalog(fresh) == _mo_catalog(directory / "django.mo")


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "text"), [("ur", "عملے کا لاگ ان"), ("ps", "د کارکوونکو ننوتل")])
def test_login_page_renders_right_to_left(lang: str, text: str) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": lang, "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert f'lang="{lang}" dir="rtl"' in page
    assert text in page
