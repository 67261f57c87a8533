from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from rabta.core.permissions import jurisdiction_q


class AssignHolderForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=_("Officer"))
    note = forms.CharField(max_length=200, required=False, label=_("Note (e.g. transfer order number)"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True)
        self.fields["user"].queryset = users.filter(jurisdiction_q(actor)).order_by("username")
