from __future__ import annotations

import json
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rabta.cases import selectors
from rabta.intake import actions as intake
from rabta.intake.models import Message
from rabta.portal.forms import ReportForm, TrackForm
from rabta.portal.uploads import BadUpload, store_upload


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submission = uuid.uuid4().hex
        payload = {
            "submission_id": submission,
            "text": data["text"],
            "name": data["name"],
            "phone": data["phone"],
            "district": data["district"].slug if data["district"] else "",
            "confidential": data["confidential"],
        }
        if data.get("attachment") is not None:
            try:
                stored = store_upload(data["attachment"])
            except BadUpload as exc:
                form.add_error("attachment", str(exc))
                return render(request, "portal/report.html", {"form": form}, status=400)
            payload["attachments"] = [stored.__dict__]
        stored_event = intake.store_inbound_event(
            channel=intake.web_form_channel(), platform_id=submission, headers={"User-Agent": request.headers.get("User-Agent", "")[:200]},
            body=json.dumps(payload).encode(),
        )
        # Process now so the citizen gets the reference at once. The worker may have been quicker
        # (the store queued it too); either way the event is processed exactly once.
        intake.process_inbound_event(event_id=stored_event.event.pk)
        message = Message.objects.filter(event=stored_event.event).select_related("case").first()
        if message is None or message.case is None:
            return render(request, "portal/received.html", {"receipt": submission})
        case = message.case
        return redirect("portal:status", ref=case.ref, code=case.tracking_code)
    return render(request, "portal/report.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("portal:status", ref=form.cleaned_data["ref"].strip().upper(), code=form.cleaned_data["code"].strip().upper())
    return render(request, "portal/track.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def status(request: HttpRequest, ref: str, code: str) -> HttpResponse:
    case = selectors.public_case(ref=ref, tracking_code=code)
    if case is None:
        raise Http404("No case with this reference and code")
    events = [] if case.sensitive else case.events.filter(public=True).order_by("at", "pk")
    return render(request, "portal/status.html", {"case": case, "events": events, "code": code})


def home(request: HttpRequest) -> HttpResponse:
    return redirect("portal:report")
