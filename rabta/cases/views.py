from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from rabta.cases import actions, live, policy, selectors
from rabta.cases.forms import (
    AssignForm,
    BulkForm,
    CloseForm,
    CorrectForm,
    ForwardForm,
    InboxFilterForm,
    MergeForm,
    NoteForm,
    ReopenForm,
    ReturnReplyForm,
    RtiExtendForm,
    TextForm,
)
from rabta.cases.models import Case, ReplyDraft, ReplyTemplate
from rabta.core import audit
from rabta.core.permissions import Perm
from rabta.core.views import render_page, staff_view


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render_page(request, "cases/inbox.html", _inbox_context(request, request.GET), partial="rows")


def _inbox_context(request: HttpRequest, params: Any, bulk_form: BulkForm | None = None, picked: frozenset[str] = frozenset()) -> dict[str, Any]:
    form = InboxFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {}
    queue = filters.get("queue") or "all"
    if queue not in _queues(request.user):
        queue = "all"
    cases = selectors.case_list(
        actor=request.user, queue=queue, query=filters.get("q", ""), category=filters.get("category", ""),
        urgency=filters.get("urgency", ""),
    )
    page = _page(cases, params.get("page", ""))
    may_bulk = any(policy.may(request.user, a) for a in ("acknowledge", "forward", "close"))
    return {
        "page": page, "form": form, "queue": queue, "queues": _queues(request.user), "may_bulk": may_bulk, "picked": picked,
        "bulk_form": bulk_form or (BulkForm(actor=request.user) if may_bulk else None), "bulk_limit": actions.BULK_LIMIT,
    }


@staff_view(Perm.VIEW_CONSOLE)
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """The inbox's bulk actions: a plain form POST; the result comes back as messages on the inbox."""
    form = BulkForm(request.POST, actor=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = actions.bulk_case_action(actor=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _bulk_messages(request, data["action"], result)
            return redirect(f"{reverse('cases:inbox')}?{urlencode({'queue': request.POST.get('queue') or 'all'})}")
    context = _inbox_context(request, request.POST, bulk_form=form, picked=frozenset(form.cleaned_data.get("refs", [])))
    return render(request, "cases/inbox.html", context, status=400)


def _bulk_messages(request: HttpRequest, action: str, result: actions.BulkResult) -> None:
    if result.done:
        n = len(result.done)
        done = {
            "acknowledge": ngettext("Acknowledged %(count)s case: %(refs)s", "Acknowledged %(count)s cases: %(refs)s", n),
            "assign": ngettext("Assigned %(count)s case: %(refs)s", "Assigned %(count)s cases: %(refs)s", n),
            "forward": ngettext("Forwarded %(count)s case: %(refs)s", "Forwarded %(count)s cases: %(refs)s", n),
            "close": ngettext("Closed %(count)s case: %(refs)s", "Closed %(count)s cases: %(refs)s", n),
        }[action]
        messages.success(request, done % {"count": n, "refs": ", ".join(result.done)})
    for ref, why in result.skipped:
        messages.warning(request, _("%(ref)s skipped: %(why)s") % {"ref": ref, "why": why})


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
    hidden = {q for q, shown in (("sensitive", selectors.may_see_sensitive(actor)), ("approval", selectors.may_approve_replies(actor))) if not shown}
    return [q for q in selectors.QUEUES if q not in hidden]


def _redraft_text(request: HttpRequest, case: Case) -> str:
    """The text of one of the actor's returned drafts, to edit and send again."""
    raw = request.GET.get("redraft", "")
    if not raw.isdigit():
        return ""
    draft = selectors.reply_drafts(case=case, actor=request.user).filter(pk=int(raw), state=ReplyDraft.State.RETURNED).first()
    return draft.text if draft else ""


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
        "may": {
            **{a: policy.may(request.user, a) for a in ("acknowledge", "act", "reply", "close", "reopen", "correct", "forward", "note", "merge")},
            "approve_reply": policy.may(request.user, "approve_reply"),
            "extend_rti": policy.may_extend_rti(request.user),
        },
        "reply_needs_approval": policy.reply_needs_approval(request.user),
        "drafts": selectors.reply_drafts(case=case, actor=request.user),
        "return_form": ReturnReplyForm(),
        "rti": policy.stored_deadlines(case),
        "rti_form": RtiExtendForm(initial={"extra_working_days": policy.rti_extension_max_days()}, auto_id="id_rti_%s"),
        "close_form": CloseForm(),
        "text_form": TextForm(),
        "correct_form": CorrectForm(),
        "reopen_form": ReopenForm(),
        "forward_form": ForwardForm(actor=request.user, case=case),
        "assign_form": AssignForm(case=case),
        "note_form": NoteForm(),
        "merge_form": MergeForm(),
        "templates": ReplyTemplate.objects.filter(active=True).order_by("language", "name"),
        "reply_text": _redraft_text(request, case) or _template_text(request),
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
    def view(request: HttpRequest, ref: str, **url_kwargs: Any) -> HttpResponse:
        try:
            case = selectors.case_get(actor=request.user, ref=ref)
        except ObjectDoesNotExist as exc:
            raise Http404("Not found in your jurisdiction") from exc
        form = form_class(request.POST, **(form_kwargs(request, case) if form_kwargs else {})) if form_class else None
        back = request.POST.get("next") or f"/cases/{case.ref}/"
        if not back.startswith("/") or back.startswith("//"):
            back = f"/cases/{case.ref}/"
        if form is not None and not form.is_valid():
            return render(request, "cases/action_error.html", {"case": case, "errors": form.errors, "back": back}, status=400)
        try:
            handler(request, case, **url_kwargs, **(form.cleaned_data if form is not None else {}))
        except ValidationError as exc:
            return render(request, "cases/action_error.html", {"case": case, "errors": exc.messages, "back": back}, status=400)
        except ObjectDoesNotExist as exc:
            raise Http404("Not found in your jurisdiction") from exc
        return redirect(back)

    return view


case_acknowledge = _case_post(lambda r, c: actions.acknowledge_case(actor=r.user, case=c))
case_action = _case_post(lambda r, c, text: actions.record_action_taken(actor=r.user, case=c, text=text), TextForm)
def _reply(request: HttpRequest, case: Case, text: str) -> None:
    sent = actions.reply_to_citizen(actor=request.user, case=case, text=text)
    if isinstance(sent, ReplyDraft):
        messages.info(request, _("Your reply is waiting for a supervisor's approval; the citizen sees it once it is approved."))


def _approve(request: HttpRequest, case: Case, draft_id: int) -> None:
    actions.approve_reply(actor=request.user, draft=selectors.reply_draft_get(actor=request.user, ref=case.ref, draft_id=draft_id))
    messages.success(request, _("The reply was approved and sent to the citizen."))


def _return(request: HttpRequest, case: Case, draft_id: int, reason: str) -> None:
    draft = selectors.reply_draft_get(actor=request.user, ref=case.ref, draft_id=draft_id)
    actions.return_reply(actor=request.user, draft=draft, reason=reason)
    messages.success(request, _("The reply was returned to its author."))


def _extend(request: HttpRequest, case: Case, extra_working_days: int, reason: str) -> None:
    case = actions.extend_rti_deadline(actor=request.user, case=case, reason=reason, extra_working_days=extra_working_days)
    messages.success(request, _("The deadline is now %(due)s.") % {"due": date_format(timezone.localtime(case.resolve_due), "Y-m-d H:i")})


case_reply = _case_post(_reply, TextForm)
case_reply_approve = _case_post(_approve)
case_reply_return = _case_post(_return, ReturnReplyForm)
case_rti_extend = _case_post(_extend, RtiExtendForm)
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
