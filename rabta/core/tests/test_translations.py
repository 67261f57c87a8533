"""The console speaks English, Urdu and Pashto, right to left where needed, with nothing left untranslated."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.mark.parametrize(("lang", "log_in", "inbox"), [("ur", "لاگ ان", "ان باکس"), ("ps", "ننوتل", "راغلي")])
def test_key_strings_are_translated(lang: str, log_in: str, inbox: str) -> None:
    with translation.override(lang):
        assert translation.gettext("Log in") == log_in
        assert translation.gettext("Inbox") == inbox
        assert translation.get_language_bidi()


@pytest.mark.parametrize("lang", ["ur", "ps"])
def test_every_message_has_a_translation_and_the_catalogue_is_compiled(lang: str) -> None:
    po = (LOCALE / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'\nmsgid ("(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)msgstr ("(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)', po)
    ids = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', i)) for i, _ in entries]
    strs = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)) for _, s in entries]
    untranslated = [i for i, s in zip(ids, strs, strict=True) if i and not s]
    assert untranslated == []
    assert "#, fuzzy" not in po.split("\n\n", 1)[1]
    with (LOCALE / lang / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    missing_in_mo = [i for i in ids if i and "%" not in i and catalog.gettext(i) == i]
    assert missing_in_mo == [], "the .mo is out of date: run `rabta manage compilemessages`"


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "text"), [("ur", "عملے کا لاگ ان"), ("ps", "د کارکوونکو ننوتل")])
def test_login_page_renders_right_to_left(lang: str, text: str) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": lang, "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert f'lang="{lang}" dir="rtl"' in page
    assert text in page
