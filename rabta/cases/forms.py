from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rabta.cases.models import Case
from rabta.cases.selectors import QUEUES


class InboxFilterForm(forms.Form):
    queue = forms.ChoiceField(choices=[(q, q) for q in QUEUES], required=False)
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    category = forms.CharField(required=False, max_length=30)
    urgency = forms.CharField(required=False, max_length=10)


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("Text"))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=Case.Outcome.choices, label=_("Outcome"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Note"))


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Reason"))


class CorrectForm(forms.Form):
    field = forms.ChoiceField(choices=[("category", _("Category")), ("urgency", _("Urgency")), ("language", _("Language"))])
    value = forms.CharField(max_length=30)
