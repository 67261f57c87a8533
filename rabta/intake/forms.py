from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CitizenSearchForm(forms.Form):
    q = forms.CharField(max_length=100, min_length=3, label=_("Phone number, name or case reference"))


class LinkContactForm(forms.Form):
    citizen = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class UnlinkContactForm(forms.Form):
    to = forms.ChoiceField(
        choices=[("previous", _("Back to the citizen it belonged to before")), ("new", _("A citizen of its own"))], initial="previous",
        label=_("Move this identity to"),
    )
