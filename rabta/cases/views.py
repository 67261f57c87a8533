from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from rabta.cases import actions, live, policy, selectors
from rabta.cases.forms import AssignForm, CloseForm, CorrectForm, ForwardForm, InboxFilterForm, MergeForm, NoteForm, ReopenForm, TextForm
from rabta.cases.models import Case, ReplyTemplate
from rabta.core import audit
from rabta.core.permissions import Perm
from rabta.core.views import render_page, staff_view


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    queue = filters.get("queue") or "all"
    cases = selectors.case_list(
        actor=request.user, queue=queue, query=filters.get("q", ""), category=filters.get("category", ""),
        urgency=filters.get("urgency", ""),
    )
    page = _page(cases, request.GET.get("page", ""))
    context = {"page": page, "form": form, "queue": queue, "queues": _queues(request.user)}
    return render_page(request, "cases/inbox.html", context, partial="rows")


class _Page(list):  # type: ignore[type-arg]
    """A page that never counts the whole queue (COUNT(*) over a million cases is the slow part)."""

    number: int
    has_next: bool

    def next_page_number(self) -> int:
        return self.number + 1


def _page(cases: Any, raw: str, size: int = 50) -> _Page:
    number = int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1
    rows = list(cases[(number - 1) * size : number * size + 1])
    page = _Page(rows[:size])
    page.number, page.has_next = number, len(rows) > size
    return page


def _template_text(request: HttpRequest) -> str:
    raw = request.GET.get("template", "")
    template = ReplyTemplate.objects.filter(pk=int(raw), active=True).first() if raw.isdigit() else None
    return template.text if template else ""


def _queues(actor: Any) -> list[str]:
    return [q for q in selectors.QUEUES if q != "sensitive" or selectors.may_see_sensitive(actor)]


def _open_case(request: HttpRequest, ref: str) -> Case:
    case = selectors.case_get(actor=request.user, ref=ref)
    if case.sensitive:
        # Every opening of a sensitive case is on the audit trail.
        with transaction.atomic():
            audit.record(actor=request.user, action="case.sensitive_opened", obj=case, **case.audit_codes())
    return case


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    case = _open_case(request, ref)
    context = {
        "case": case,
        "timeline": selectors.case_timeline(case=case),
        "messages_": case.messages.order_by("at", "pk"),
        "may": {a: policy.may(request.user, a) for a in ("acknowledge", "act", "reply", "close", "reopen", "correct", "forward", "note", "merge")},
        "close_form": CloseForm(),
        "text_form": TextForm(),
        "correct_form": CorrectForm(),
        "reopen_form": ReopenForm(),
        "forward_form": ForwardForm(actor=request.user, case=case),
        "assign_form": AssignForm(case=case),
        "note_form": NoteForm(),
        "merge_form": MergeForm(),
        "templates": ReplyTemplate.objects.filter(active=True).order_by("language", "name"),
        "reply_text": _template_text(request),
    }
    return render(request, "cases/case_detail.html", context)


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def mobile_case(request: HttpRequest, ref: str) -> HttpResponse:
    case = _open_case(request, ref)
    context = {"case": case, "timeline": selectors.case_timeline(case=case), "text_form": TextForm(),
               "may": {a: policy.may(request.user, a) for a in ("acknowledge", "act", "reply")}}
    return render(request, "cases/mobile_case.html", context)


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def mobile_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.case_list(actor=request.user, queue="desk")[:100]
    return render(request, "cases/mobile_list.html", {"cases": cases})


def _case_post(
    handler: Callable[..., Any], form_class: type | None = None, form_kwargs: Callable[[HttpRequest, Case], dict[str, Any]] | None = None
) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, ref: str) -> HttpResponse:
        try:
            case = selectors.case_get(actor=request.user, ref=ref)
        except ObjectDoesNotExist as exc:
            raise Http404("Not found in your jurisdiction") from exc
        form = form_class(request.POST, **(form_kwargs(request, case) if form_kwargs else {})) if form_class else None
        back = request.POST.get("next") or f"/cases/{case.ref}/"
        if not back.startswith("/"):
            back = f"/cases/{case.ref}/"
        if form is not None and not form.is_valid():
            return render(request, "cases/action_error.html", {"case": case, "errors": form.errors, "back": back}, status=400)
        try:
            handler(request, case) if form is None else handler(request, case, **form.cleaned_data)  # type: ignore[call-arg]
        except ValidationError as exc:
            return render(request, "cases/action_error.html", {"case": case, "errors": exc.messages, "back": back}, status=400)
        return redirect(back)

    return view


case_acknowledge = _case_post(lambda r, c: actions.acknowledge_case(actor=r.user, case=c))
case_action = _case_post(lambda r, c, text: actions.record_action_taken(actor=r.user, case=c, text=text), TextForm)
case_reply = _case_post(lambda r, c, text: actions.reply_to_citizen(actor=r.user, case=c, text=text), TextForm)
case_close = _case_post(lambda r, c, outcome, note: actions.close_case(actor=r.user, case=c, outcome=outcome, note=note), CloseForm)
case_reopen = _case_post(lambda r, c, reason: actions.reopen_case(actor=r.user, case=c, reason=reason), ReopenForm)
case_correct = _case_post(lambda r, c, field, value: actions.correct_triage(actor=r.user, case=c, field=field, value=value), CorrectForm)


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def stream(request: HttpRequest) -> StreamingHttpResponse:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    last = int(raw) if raw.isdigit() else None
    response = StreamingHttpResponse(live.stream(request.user, last), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
case_forward = _case_post(
    lambda r, c, post, reason: actions.forward_case(actor=r.user, case=c, post=post, reason=reason),
    ForwardForm,
    lambda r, c: {"actor": r.user, "case": c},
)
case_assign = _case_post(lambda r, c, user: actions.assign_case(actor=r.user, case=c, user=user), AssignForm, lambda r, c: {"case": c})
case_note = _case_post(lambda r, c, text: actions.add_note(actor=r.user, case=c, text=text), NoteForm)


def _merge(request: HttpRequest, case: Case, into: str) -> Case:
    try:
        target = selectors.case_get(actor=request.user, ref=into.strip())
    except ObjectDoesNotExist as exc:
        raise ValidationError({"into": f"No case {into.strip()} in your jurisdiction."}) from exc
    return actions.merge_case(actor=request.user, duplicate=case, into=target)


case_merge = _case_post(_merge, MergeForm)
case_unmerge = _case_post(lambda r, c: actions.unmerge_case(actor=r.user, case=c))
