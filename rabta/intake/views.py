"""The contact page: a citizen's identities across channels and their cases; linking and unlinking."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rabta.core.permissions import Perm
from rabta.core.views import render_page, staff_view
from rabta.intake import actions, selectors
from rabta.intake.forms import CitizenSearchForm, LinkContactForm, UnlinkContactForm


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, pk=pk)
    search = CitizenSearchForm(request.GET) if "q" in request.GET else CitizenSearchForm()
    found = (
        selectors.citizen_search(actor=request.user, query=search.cleaned_data["q"], exclude_citizen_id=contact.citizen_id)
        if search.is_bound and search.is_valid() else []
    )
    context = {
        "contact": contact,
        "identities": selectors.citizen_contacts(actor=request.user, citizen=contact.citizen),
        "cases": selectors.citizen_cases(actor=request.user, citizen=contact.citizen),
        "unlink": selectors.unlink_choices(contact=contact),
        "search": search,
        "found": found,
    }
    return render_page(request, "intake/contact_detail.html", context, partial="results")


@staff_view(Perm.VIEW_CONSOLE)
@require_POST
def contact_link(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, pk=pk)
    form = LinkContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the citizen to link this identity to."))
        return redirect("intake:contact", pk=contact.pk)
    citizen = selectors.citizen_get(actor=request.user, pk=form.cleaned_data["citizen"])
    try:
        actions.link_contact(actor=request.user, contact=contact, citizen=citizen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Linked: this identity now belongs to citizen #%(id)s. Unlink it to undo.") % {"id": citizen.pk})
    return redirect("intake:contact", pk=contact.pk)


@staff_view(Perm.VIEW_CONSOLE)
@require_POST
def contact_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, pk=pk)
    form = UnlinkContactForm(request.POST)
    restore = not form.is_valid() or form.cleaned_data["to"] == "previous"
    try:
        contact = actions.unlink_contact(actor=request.user, contact=contact, restore=restore)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Unlinked: this identity now belongs to citizen #%(id)s.") % {"id": contact.citizen_id})
    return redirect("intake:contact", pk=contact.pk)
