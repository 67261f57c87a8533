"""LongSelect writes what Django's Select writes: the same options, selection and escaping."""

from __future__ import annotations

import re

from django import forms

from rabta.core.widgets import LongSelect

CHOICES = [("", "---------"), ("1", "DPO Mardan"), ("2", 'SHO "Saddar" <Kohat> & co'), ("3", "ڈی پی او پشاور")]


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [(v, bool(s.strip()), label) for v, s, label in re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', html)]


def _select_attrs(html: str) -> str:
    found = re.match(r"<select([^>]*)>", html.strip())
    assert found is not None
    return " ".join(sorted(found.group(1).split()))


def test_same_options_selection_and_attributes() -> None:
    for value in ("", "2", None):
        ours = LongSelect(choices=CHOICES).render("post", value, {"id": "id_post", "required": True})
        django = forms.Select(choices=CHOICES).render("post", value, {"id": "id_post", "required": True})
        assert _options(ours) == _options(django)
        assert _select_attrs(ours) == _select_attrs(django)
    assert 'SHO &quot;Saddar&quot; &lt;Kohat&gt; &amp; co' in LongSelect(choices=CHOICES).render("post", "2")


def test_a_model_choice_field_renders_through_it() -> None:
    class F(forms.Form):
        post = forms.ChoiceField(choices=CHOICES, widget=LongSelect, required=False)

    html = str(F(data={"post": "3"})["post"])
    assert ("3", True, "ڈی پی او پشاور") in _options(html)
    assert 'name="post"' in html
