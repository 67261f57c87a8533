from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rabta.org.models import District

MAX_UPLOAD = 5 * 1024 * 1024
ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("What happened? Where?"),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        max_length=5000,
        error_messages={"required": _("Please write your message.")},
    )
    district = forms.ModelChoiceField(
        queryset=District.objects.order_by("name_en"), required=False, to_field_name="slug", label=_("District (if you know it)")
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=120, required=False)
    phone = forms.RegexField(
        label=_("Phone (optional, for a call back)"), regex=r"^[0-9+\-\s()]{7,20}$", required=False,
        error_messages={"invalid": _("Enter a phone number such as 0301-2345678.")},
    )
    confidential = forms.BooleanField(label=_("Keep my identity confidential"), required=False)
    attachment = forms.FileField(label=_("Photo or document (optional, up to 5 MB)"), required=False)

    def clean_attachment(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data.get("attachment")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if upload.content_type not in ALLOWED_TYPES:
            raise forms.ValidationError(_("Only JPEG, PNG or WebP photos and PDF documents can be attached."))
        return upload


class TrackForm(forms.Form):
    ref = forms.RegexField(label=_("Reference"), regex=r"^\s*KP-[A-Za-z]{3}-\d{2}-\d{6}\s*$", max_length=24,
                           error_messages={"invalid": _("A reference looks like KP-MRD-26-000123.")})
    code = forms.CharField(label=_("Tracking code"), max_length=16)
