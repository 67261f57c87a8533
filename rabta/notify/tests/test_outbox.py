"""The outbox against real local peers: an SMTP server (aiosmtpd) and an HTTP SMS gateway."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from rabta.accounts.models import User
from rabta.cases.tests.test_core_loop import URDU_MARDAN, _submit
from rabta.notify import actions
from rabta.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[_Inbox]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port
    ):
        yield inbox
    controller.stop()


class _Gateway(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[dict[str, Any], str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Gateway.received.append((body, self.headers.get("Authorization", "")))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def gateway() -> Iterator[type[_Gateway]]:
    _Gateway.status, _Gateway.received = 200, []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with override_settings(RABTA_SMS_GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/send", RABTA_SMS_GATEWAY_TOKEN="gw-token"):
        yield _Gateway
    server.shutdown()


@pytest.fixture
def case_for_dpo() -> Any:
    dpo = User.objects.get(username="dpo_mardan")
    dpo.email, dpo.phone = "dpo.mardan@kppolice.gov.pk", "+923001234567"
    dpo.save()
    return _submit(URDU_MARDAN, submission_id="outbox-1")


def test_notifying_twice_queues_once(case_for_dpo: Any) -> None:
    first = actions.notify_post(case_id=case_for_dpo.pk, post_code="dpo-mardan", reason="test.routed")
    second = actions.notify_post(case_id=case_for_dpo.pk, post_code="dpo-mardan", reason="test.routed")
    assert len(first) == 3  # in the console, e-mail and SMS for the one DPO
    assert second == []
    rows = OutboxMessage.objects.filter(pk__in=first)
    assert {r.medium for r in rows} == {"in_app", "email", "sms"}
    for row in rows:
        assert case_for_dpo.ref in row.body
        assert "موٹر سائیکل" not in row.body  # no citizen text leaves the system in a notification


def test_email_goes_through_a_real_smtp_server(case_for_dpo: Any, smtp: _Inbox) -> None:
    ids = actions.notify_post(case_id=case_for_dpo.pk, post_code="dpo-mardan", reason="test.email")
    email = OutboxMessage.objects.get(pk__in=ids, medium="email")
    row = actions.deliver(outbox_id=email.pk)
    assert row is not None
    assert row.state == "sent"
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["dpo.mardan@kppolice.gov.pk"]
    assert case_for_dpo.ref in envelope.content.decode()
    assert actions.deliver(outbox_id=email.pk).state == "sent"  # delivered once, however often asked
    assert len(smtp.messages) == 1


def test_sms_gateway_failure_retries_with_backoff_then_gives_up(case_for_dpo: Any, gateway: type[_Gateway]) -> None:
    ids = actions.notify_post(case_id=case_for_dpo.pk, post_code="dpo-mardan", reason="test.sms")
    sms = OutboxMessage.objects.get(pk__in=ids, medium="sms")
    gateway.status = 503
    row = actions.deliver(outbox_id=sms.pk)
    assert row is not None
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert "503" in row.last_error
    for _ in range(actions.MAX_ATTEMPTS - 1):
        row = actions.deliver(outbox_id=sms.pk)
    assert row is not None
    assert row.state == "failed"
    assert row.attempts == actions.MAX_ATTEMPTS


def test_sms_gateway_receives_the_number_and_the_token(case_for_dpo: Any, gateway: type[_Gateway]) -> None:
    ids = actions.notify_post(case_id=case_for_dpo.pk, post_code="dpo-mardan", reason="test.sms2")
    sms = OutboxMessage.objects.get(pk__in=ids, medium="sms")
    assert actions.deliver(outbox_id=sms.pk).state == "sent"
    body, auth = gateway.received[0]
    assert body["to"] == "+923001234567"
    assert f"ACK {case_for_dpo.ref}" in body["text"]
    assert auth == "Bearer gw-token"


class _CountingInbox(_Inbox):
    """Counts SMTP sessions too, and refuses the recipients it is told to."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0
        self.refuse: set[str] = set()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_batch_of_emails_shares_one_smtp_session_and_a_refusal_retries_alone(case_for_dpo: Any) -> None:
    inbox = _CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port
        ):
            rows = [
                OutboxMessage.objects.create(
                    dedupe_key=f"batch:{n}", medium="email", to_address=f"officer{n}@kppolice.gov.pk", subject="s", body="b",
                    case=case_for_dpo, next_attempt_at=timezone.now(),
                )
                for n in range(5)
            ]
            inbox.refuse = {"officer2@kppolice.gov.pk"}
            actions.deliver_many(outbox_ids=[r.pk for r in rows])
    finally:
        controller.stop()
    states = {r.to_address: (r.state, r.attempts) for r in OutboxMessage.objects.filter(pk__in=[r.pk for r in rows])}
    assert states["officer2@kppolice.gov.pk"] == ("pending", 1)  # retried later, with backoff
    assert all(states[f"officer{n}@kppolice.gov.pk"] == ("sent", 1) for n in (0, 1, 3, 4))
    assert len(inbox.messages) == 4
    assert inbox.sessions == 2  # one session for the batch, a fresh one after the refusal
