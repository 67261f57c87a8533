"""SMS to citizens through their own channel, against real local HTTP servers.

`_FakeTwilio` speaks Twilio's Messages API as documented: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
HTTP Basic auth with the account SID and auth token, form-encoded `To`, `Body` and `From` or
`MessagingServiceSid`; 201 with the message resource (its `sid`), errors as Twilio's JSON
(`code`, `message`, `more_info`, `status`). The generic aggregator takes JSON `{"to", "text"}`.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rabta.accounts.models import User
from rabta.cases import actions as case_actions
from rabta.cases.models import Case, ReplyDraft
from rabta.cases.tests.test_core_loop import HARASSMENT_MARDAN, URDU_MARDAN, _submit
from rabta.intake import actions as intake
from rabta.intake.models import Channel, InboundEvent, Message
from rabta.intake.tests.test_sms_hooks import KEY, MARDAN_THEFT, PUBLIC, TOKEN, post_sms, post_twilio
from rabta.notify import actions
from rabta.notify.models import OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_url")]
ACCOUNT = "AC" + "0123456789abcdef" * 2
SENDER = "+15005550006"
CITIZEN = "+923001234567"


@pytest.fixture
def public_url() -> Iterator[None]:
    with override_settings(RABTA_PUBLIC_URL=PUBLIC):
        yield


class _FakeTwilio(BaseHTTPRequestHandler):
    """Twilio's REST API for Messages, as much of it as a sender can touch."""

    account = ACCOUNT
    auth_token = TOKEN
    fail_with: dict[str, Any] | None = None  # answer with this Twilio error instead of sending
    sent: list[dict[str, str]] = []

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @staticmethod
    def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}

    def do_POST(self) -> None:
        self._answer(*self._create_message(self.rfile.read(int(self.headers.get("Content-Length", 0)))))

    def _create_message(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        expected = "Basic " + base64.b64encode(f"{self.account}:{self.auth_token}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._error(401, 20003, "Authenticate")
        if self.path != f"/2010-04-01/Accounts/{self.account}/Messages.json":
            return self._error(404, 20404, f"The requested resource {self.path} was not found")
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return self._error(400, 21601, "Content-Type must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        if not form.get("To"):
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return self._error(400, 21602, "Message body is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
        if _FakeTwilio.fail_with is not None:
            return _FakeTwilio.fail_with["status"], _FakeTwilio.fail_with
        _FakeTwilio.sent.append(form)
        sid = f"SM{len(_FakeTwilio.sent):032x}"
        return 201, {
            "sid": sid, "account_sid": self.account, "to": form["To"], "from": form.get("From"), "body": form["Body"],
            "messaging_service_sid": form.get("MessagingServiceSid"), "status": "queued", "num_segments": "1",
            "direction": "outbound-api", "api_version": "2010-04-01", "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account}/Messages/{sid}.json",
        }

    def log_message(self, *args: Any) -> None:
        return


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[HTTPServer, str]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def twilio() -> Iterator[tuple[type[_FakeTwilio], str]]:
    _FakeTwilio.fail_with, _FakeTwilio.sent = None, []
    server, url = _serve(_FakeTwilio)
    yield _FakeTwilio, url
    server.shutdown()


class _Aggregator(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[str, dict[str, Any], str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Aggregator.received.append((self.path, body, self.headers.get("Authorization", "")))
        self.send_response(_Aggregator.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def aggregator() -> Iterator[tuple[type[_Aggregator], str]]:
    _Aggregator.status, _Aggregator.received = 200, []
    server, url = _serve(_Aggregator)
    yield _Aggregator, url
    server.shutdown()


def _twilio_channel(url: str, **config: str) -> Channel:
    return Channel.objects.create(
        kind="twilio_sms", slug="main", secret=TOKEN, account=ACCOUNT, api_base=url, config=config or {"from": SENDER},
    )


def _inbound(sid: str, text: str = MARDAN_THEFT, sender: str = CITIZEN) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": ACCOUNT, "From": sender, "To": SENDER, "Body": text}


def _row(channel: Channel, key: str = "test:1", body: str = "Hello") -> OutboxMessage:
    return OutboxMessage.objects.create(
        dedupe_key=key, medium="sms", channel=channel, to_address=CITIZEN, body=body, next_attempt_at=timezone.now(),
    )


# The senders ------------------------------------------------------------------------------------


def test_twilio_gets_to_from_body_with_basic_auth(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    row = actions.deliver(outbox_id=_row(_twilio_channel(url), body="آپ کی شکایت درج ہے").pk)
    assert row is not None
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert fake.sent == [{"To": CITIZEN, "From": SENDER, "Body": "آپ کی شکایت درج ہے"}]


def test_twilio_messaging_service_instead_of_a_number(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    channel = _twilio_channel(url, messaging_service_sid="MG" + "1" * 32)
    assert actions.deliver(outbox_id=_row(channel).pk).state == "sent"
    assert fake.sent == [{"To": CITIZEN, "MessagingServiceSid": "MG" + "1" * 32, "Body": "Hello"}]


def test_twilio_error_is_kept_and_retried_with_backoff(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    fake.fail_with = {
        "code": 21211, "message": f"The 'To' number {CITIZEN} is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400,
    }
    row = actions.deliver(outbox_id=_row(_twilio_channel(url)).pk)
    assert row is not None
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert row.last_error == f"Twilio answered 400: The 'To' number {CITIZEN} is not a valid phone number. (Twilio error 21211)"
    assert TOKEN not in row.last_error
    fake.fail_with = None
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert actions.deliver(outbox_id=row.pk).state == "sent"  # the retry goes through
    assert len(fake.sent) == 1


def test_twilio_wrong_token_fails_without_showing_it(twilio: tuple[type[_FakeTwilio], str]) -> None:
    _, url = twilio
    channel = _twilio_channel(url)
    channel.secret = "a-stale-auth-token"
    channel.save()
    row = actions.deliver(outbox_id=_row(channel).pk)
    assert row is not None
    assert row.state == "pending"
    assert row.last_error == "Twilio answered 401: Authenticate (Twilio error 20003)"


def test_twilio_without_a_sender_says_which_command_to_run(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    channel = _twilio_channel(url)
    channel.config = {}
    channel.save()
    row = actions.deliver(outbox_id=_row(channel).pk)
    assert row is not None
    assert row.state == "pending"
    assert "rabta channel add --kind twilio_sms --slug main --config '{\"from\": \"+92...\"}'" in row.last_error
    assert fake.sent == []


def test_aggregator_send_url_then_api_base_then_the_setting(aggregator: tuple[type[_Aggregator], str]) -> None:
    fake, url = aggregator
    channel = Channel.objects.create(kind="sms", slug="agg", secret=KEY, token="agg-token", config={"send_url": f"{url}/send"})
    channel.full_clean()  # send_url is a known SMS setting
    assert actions.deliver(outbox_id=_row(channel, "t:1").pk).state == "sent"
    channel.config, channel.api_base = {}, f"{url}/api"
    channel.save()
    assert actions.deliver(outbox_id=_row(channel, "t:2").pk).state == "sent"
    channel.api_base, channel.token = "", ""
    channel.save()
    with override_settings(RABTA_SMS_GATEWAY_URL=f"{url}/gateway"):
        assert actions.deliver(outbox_id=_row(channel, "t:3").pk).state == "sent"
    assert fake.received == [
        ("/send", {"to": CITIZEN, "text": "Hello"}, "Bearer agg-token"),
        ("/api", {"to": CITIZEN, "text": "Hello"}, "Bearer agg-token"),
        ("/gateway", {"to": CITIZEN, "text": "Hello"}, ""),
    ]


def test_aggregator_failure_backs_off(aggregator: tuple[type[_Aggregator], str]) -> None:
    fake, url = aggregator
    fake.status = 502
    channel = Channel.objects.create(kind="sms", slug="agg", secret=KEY, token="agg-token", api_base=url)
    row = actions.deliver(outbox_id=_row(channel).pk)
    assert row is not None
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("SMS gateway answered 502")
    assert "agg-token" not in row.last_error


def test_a_bad_send_url_is_refused_with_the_fix() -> None:
    channel = Channel(kind="sms", slug="agg", config={"send_url": "ftp://x"})
    with pytest.raises(ValidationError, match="send_url"):
        channel.full_clean()


# End to end -------------------------------------------------------------------------------------


def _ack(case: Case) -> OutboxMessage:
    return OutboxMessage.objects.get(dedupe_key=f"ack:{case.pk}")


def _case_of(sid: str) -> Case:
    message = Message.objects.select_related("case").get(event__platform_id=sid)
    assert message.case is not None
    return message.case


def test_twilio_sms_opens_a_case_and_the_citizen_gets_the_reference(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    assert post_twilio("main", _inbound("SM00000000000000000000000000000001")).status_code == 200
    case = _case_of("SM00000000000000000000000000000001")
    ack = _ack(case)
    assert (ack.state, ack.channel.kind, ack.to_address) == ("sent", "twilio_sms", CITIZEN)
    link = f"{PUBLIC}/track/{case.ref}/{case.tracking_code}/"
    assert case.language == "ur-Latn"  # Roman Urdu: the English text
    expected = f"KP Police: we received your message. Reference {case.ref}. Track: {link}"
    assert fake.sent == [{"To": CITIZEN, "From": SENDER, "Body": expected}]


def test_ack_is_in_the_language_of_the_case(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    post_twilio("main", _inbound("SM00000000000000000000000000000002", text=URDU_MARDAN))
    case = _case_of("SM00000000000000000000000000000002")
    assert case.language == "ur"
    body = fake.sent[0]["Body"]
    assert body.startswith("کے پی پولیس: آپ کا پیغام موصول ہو گیا ہے۔")
    assert case.ref in body
    assert body.endswith(f"{PUBLIC}/track/{case.ref}/{case.tracking_code}/")


def test_sensitive_case_ack_has_the_reference_only(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    post_twilio("main", _inbound("SM00000000000000000000000000000003", text=HARASSMENT_MARDAN))
    case = _case_of("SM00000000000000000000000000000003")
    assert case.sensitive
    body = fake.sent[0]["Body"]
    assert body == f"آپ کا پیغام موصول ہو گیا ہے۔ حوالہ نمبر {case.ref}۔"
    assert case.tracking_code not in body
    assert "http" not in body
    assert "پولیس" not in body  # names no police: someone else may read the phone


def test_redelivery_reprocessing_and_a_second_sms_ack_once(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    first = _inbound("SM00000000000000000000000000000004")
    post_twilio("main", first)
    post_twilio("main", first)  # Twilio retries the webhook
    event = InboundEvent.objects.get(platform_id=first["MessageSid"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        intake.process_inbound_events(event_ids=[event.pk])  # a worker runs the task again
    post_twilio("main", _inbound("SM00000000000000000000000000000005", text="Koi jawab nahi mila"))  # joins the open case
    case = _case_of(first["MessageSid"])
    assert _case_of("SM00000000000000000000000000000005").pk == case.pk
    assert OutboxMessage.objects.filter(dedupe_key__startswith="ack:").count() == 1
    assert len(fake.sent) == 1


def test_web_form_case_gets_no_sms() -> None:
    case = _submit(URDU_MARDAN, submission_id="web-no-sms", phone=CITIZEN)
    assert not OutboxMessage.objects.filter(case=case, channel__isnull=False).exists()
    assert not OutboxMessage.objects.filter(dedupe_key=f"ack:{case.pk}").exists()
    dpo = User.objects.get(username="dpo_mardan")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_actions.reply_to_citizen(actor=dpo, case=case, text="Your complaint is registered.")
    assert not OutboxMessage.objects.filter(case=case, channel__isnull=False).exists()


def test_replies_reach_the_citizens_phone(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    post_twilio("main", _inbound("SM00000000000000000000000000000006"))
    case = _case_of("SM00000000000000000000000000000006")
    # A DPO's reply goes out at once.
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = case_actions.reply_to_citizen(actor=User.objects.get(username="dpo_mardan"), case=case, text="SHO Takht Bhai will call you today.")
    assert isinstance(message, Message)
    assert OutboxMessage.objects.get(dedupe_key=f"reply:{message.pk}").state == "sent"
    # An operator's reply waits for a supervisor and goes out when approved, not before.
    with TestCase.captureOnCommitCallbacks(execute=True):
        draft = case_actions.reply_to_citizen(actor=User.objects.get(username="operator_peshawar"), case=case, text="FIR registered.")
    assert isinstance(draft, ReplyDraft)
    assert [m["Body"] for m in fake.sent[1:]] == ["SHO Takht Bhai will call you today."]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approved = case_actions.approve_reply(actor=User.objects.get(username="supervisor_cpo"), draft=draft)
    assert [(m["To"], m["Body"]) for m in fake.sent[1:]] == [(CITIZEN, "SHO Takht Bhai will call you today."), (CITIZEN, "FIR registered.")]
    row = OutboxMessage.objects.get(dedupe_key=f"reply:{approved.pk}")
    assert (row.state, row.channel_id, row.case_id) == ("sent", case.conversation.channel_id, case.pk)


def test_generic_sms_case_gets_ack_and_reply_through_the_aggregator(aggregator: tuple[type[_Aggregator], str]) -> None:
    fake, url = aggregator
    Channel.objects.create(kind="sms", slug="agg", secret=KEY, token="agg-token", config={"send_url": f"{url}/send"})
    body = f"from=0300-1234567&text={MARDAN_THEFT}&id=a-1".encode()
    assert post_sms("agg", body).status_code == 200
    case = _case_of("a-1")
    assert fake.received == [
        ("/send", {"to": CITIZEN, "text": f"KP Police: we received your message. Reference {case.ref}. "
                                         f"Track: {PUBLIC}/track/{case.ref}/{case.tracking_code}/"}, "Bearer agg-token"),
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_actions.reply_to_citizen(actor=User.objects.get(username="dpo_mardan"), case=case, text="We are on it.")
    assert fake.received[1][1] == {"to": CITIZEN, "text": "We are on it."}


def test_ack_rows_are_written_with_the_batch_in_one_statement(twilio: tuple[type[_FakeTwilio], str]) -> None:
    """Ten citizens in one batch: ten acknowledgements, written with the staff notifications in one INSERT."""
    _, url = twilio
    channel = _twilio_channel(url)
    senders = [f"+9230012345{i:02d}" for i in range(10)]
    events = [
        intake.store_inbound_event(
            channel=channel, platform_id=f"SM{i:032d}", headers={}, body=urlencode(_inbound(f"SM{i:032d}", sender=number)).encode(),
        ).event
        for i, number in enumerate(senders)
    ]
    with CaptureQueriesContext(connection) as queries:
        intake.process_inbound_events(event_ids=[e.pk for e in events])
    outbox_table = OutboxMessage._meta.db_table
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY")) and outbox_table in q["sql"].split("(")[0]]
    assert len(inserts) == 1
    acks = OutboxMessage.objects.filter(dedupe_key__startswith="ack:", channel=channel)
    assert sorted(acks.values_list("to_address", flat=True)) == senders


def test_a_reply_longer_than_twilio_takes_is_cut_and_points_to_the_status_page(twilio: tuple[type[_FakeTwilio], str]) -> None:
    fake, url = twilio
    _twilio_channel(url)
    post_twilio("main", _inbound("SM00000000000000000000000000000007"))
    case = _case_of("SM00000000000000000000000000000007")
    text = "The investigation officer has recorded your statement. " * 60  # about 3,300 characters
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_actions.reply_to_citizen(actor=User.objects.get(username="dpo_mardan"), case=case, text=text)
    body = fake.sent[-1]["Body"]
    link = f"{PUBLIC}/track/{case.ref}/{case.tracking_code}/"
    assert len(body) <= 1600
    assert body.endswith(f"… {link}")
    assert text.startswith(body[: -len(link) - 2])
