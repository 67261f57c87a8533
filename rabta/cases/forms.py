from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rabta.cases.models import Case
from rabta.cases.selectors import QUEUES
from rabta.core.permissions import jurisdiction_q
from rabta.core.widgets import LongSelect
from rabta.org.models import Post


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


class ForwardForm(forms.Form):
    post = forms.ModelChoiceField(queryset=Post.objects.none(), label=_("Forward to"))
    reason = forms.CharField(max_length=2000, label=_("Why"))

    def __init__(self, *args: Any, actor: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The posts that could take this case: its district's offices and stations, its region's,
        # and the province's — within what the actor may reach.
        near = Q(level=Post.Level.PROVINCE)
        if case.district_id:
            near |= Q(district_id=case.district_id)
        if case.region_id:
            near |= Q(level=Post.Level.REGION, region_id=case.region_id)
        reach = jurisdiction_q(actor) | Q(level=Post.Level.PROVINCE)
        self.fields["post"].queryset = Post.objects.filter(near, reach, active=True).order_by("level", "title_en")


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=_("Officer"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(holdings__post_id=case.post_id, holdings__ended_at__isnull=True, is_active=True)
        self.fields["user"].queryset = users.distinct().order_by("username")


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label=_("Internal note (@name to mention)"))


class MergeForm(forms.Form):
    into = forms.RegexField(regex=r"^\s*KP-[A-Z]{3}-\d{2}-\d{6}\s*$", label=_("Merge into case"),
                            error_messages={"invalid": _("A reference looks like KP-MRD-26-000123.")})


class ReturnReplyForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Why it goes back to the author"))


class RtiExtendForm(forms.Form):
    extra_working_days = forms.IntegerField(min_value=1, max_value=10, initial=10, label=_("Extra working days"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Reason (the requester is told)"),
        help_text=_("For example: a large search, several offices, third parties consulted."),
    )


class RefsField(forms.Field):
    """The references ticked in the inbox (checkboxes named `refs`); each is checked by the action, not here."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v).strip()[:30] for v in (value or []) if str(v).strip()]


class BulkForm(forms.Form):
    """One action for the cases ticked in the inbox; each case then goes through its own action."""

    ACTIONS = [("acknowledge", _("Acknowledge")), ("assign", _("Assign to")), ("forward", _("Forward to")), ("close", _("Close"))]

    refs = RefsField(required=False)
    action = forms.ChoiceField(choices=ACTIONS, label=_("With the ticked cases"))
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, label=_("Officer"), widget=LongSelect)
    post = forms.ModelChoiceField(queryset=Post.objects.none(), required=False, label=_("Post"), widget=LongSelect)
    reason = forms.CharField(required=False, max_length=2000, label=_("Why"))
    outcome = forms.ChoiceField(choices=[("", "—"), *Case.Outcome.choices], required=False, label=_("Outcome"))
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reach = jurisdiction_q(actor) | Q(level=Post.Level.PROVINCE)
        posts = Post.objects.filter(reach, active=True)
        # Only what the options show: these lists hold every post and officer in reach (hundreds).
        self.fields["post"].queryset = posts.order_by("level", "title_en").only("pk", "title_en", "level")
        users = get_user_model().objects.filter(holdings__post__in=posts, holdings__ended_at__isnull=True, is_active=True)
        self.fields["user"].queryset = users.distinct().order_by("username").only("pk", "username")
