"""Form widgets."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class LongSelect(forms.Select):
    """A `<select>` for long flat lists (every post or officer in reach: hundreds of options).

    Django renders each option through a template: 400 options cost ~15 ms of a page, and the
    inbox's bulk form carries two such lists. This writes the same HTML directly, each value and
    label escaped (`html.escape`, quotes included). No option groups; for those use `forms.Select`.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in chosen else ""}>{escape(str(label))}</option>'
            for v, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))  # noqa: S308 - every value and label escaped above
