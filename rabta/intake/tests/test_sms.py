"""SMS reading without a database: numbers, Twilio's signature, the aggregator mapping, the parsers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from rabta.intake import parsers, sms
from rabta.intake.receivers import BadSignature, CachedChannel, Headers, HookRequest, Malformed, check

TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TOKEN = "tok"
KEY = "k"
TWILIO_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030", "To": "+18005551212"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0300-1234567", "+923001234567"),
        ("03001234567", "+923001234567"),
        ("3001234567", "+923001234567"),
        ("923001234567", "+923001234567"),
        ("0092 300 1234567", "+923001234567"),
        ("+92 (300) 123-4567", "+923001234567"),
        ("۰۳۰۰۱۲۳۴۵۶۷", "+923001234567"),
        ("+12349013030", "+12349013030"),
        ("8181", "8181"),
        ("", ""),
        ("no digits", ""),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert sms.normalise_phone(raw) == expected


def test_twilio_signature_matches_the_documented_vector() -> None:
    params = list(TWILIO_PARAMS.items())
    assert sms.twilio_signature("12345", TWILIO_URL, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert sms.twilio_signature_matches("12345", TWILIO_URL, list(reversed(params)), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not sms.twilio_signature_matches("54321", TWILIO_URL, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not sms.twilio_signature_matches("12345", TWILIO_URL + "&baz=3", params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


def test_twilio_signature_is_accepted_with_or_without_the_default_port() -> None:
    params = [("Body", "hi"), ("MessageSid", "SM1")]
    signed_with_port = sms.twilio_signature("tok", "https://rabta.example.pk:443/hooks/twilio_sms/main", params)
    assert sms.twilio_signature_matches("tok", "https://rabta.example.pk/hooks/twilio_sms/main", params, signed_with_port)
    signed_without = sms.twilio_signature("tok", "https://rabta.example.pk/hooks/twilio_sms/main", params)
    assert sms.twilio_signature_matches("tok", "https://rabta.example.pk:443/hooks/twilio_sms/main", params, signed_without)


def _twilio_request(params: dict[str, str], *, token: str = TOKEN, url: str = "https://rabta.example.pk/hooks/twilio_sms/main") -> HookRequest:
    body = urlencode(params).encode()
    signature = sms.twilio_signature(token, url, list(params.items()))
    return HookRequest("POST", url, Headers({"X-Twilio-Signature": signature}), {}, body)


def _channel(kind: str, secret: str = TOKEN, config: dict[str, object] | None = None, account: str = "") -> CachedChannel:
    return CachedChannel(1, kind, "main", secret, "", account, config or {})


def test_twilio_receiver_names_the_message_by_its_sid() -> None:
    params = {"MessageSid": "SM123", "AccountSid": "AC1", "From": "+923001234567", "To": "+15005550006", "Body": "ACK KP-MRD-26-000001"}
    deliveries = check(_channel("twilio_sms", account="AC1"), "twilio_sms", _twilio_request(params))
    assert isinstance(deliveries, list)
    assert [d.platform_id for d in deliveries] == ["SM123"]
    status = check(_channel("twilio_sms"), "twilio_sms", _twilio_request({"MessageSid": "SM9", "MessageStatus": "delivered"}))
    assert isinstance(status, list)
    assert [d.platform_id for d in status] == ["SM9:delivered"]  # never shadows the message SM9


@pytest.mark.parametrize(
    ("request_", "channel", "answer"),
    [
        (_twilio_request({"MessageSid": "SM1", "Body": "x"}, token="wrong"), _channel("twilio_sms"), (403, "bad or missing signature")),
        (HookRequest("POST", "https://x/hooks", Headers({}), {}, b"MessageSid=SM1"), _channel("twilio_sms"), (403, "bad or missing signature")),
        (_twilio_request({"MessageSid": "SM1", "Body": "x"}), _channel("twilio_sms", secret=""), (403, "bad or missing signature")),
        (_twilio_request({"Body": "no sid"}), _channel("twilio_sms"), (400, "MessageSid is required")),
        (
            _twilio_request({"MessageSid": "SM1", "AccountSid": "AC2"}), _channel("twilio_sms", account="AC1"),
            (400, "AccountSid is not this channel's account"),
        ),
    ],
)
def test_twilio_receiver_refusals(request_: HookRequest, channel: CachedChannel, answer: tuple[int, str]) -> None:
    result = check(channel, "twilio_sms", request_)
    assert not isinstance(result, list)
    assert (result.status, result.payload["error"]) == answer


def _sms_request(body: bytes, secret: str = KEY, header: str = "X-Signature", prefix: str = "") -> HookRequest:
    return HookRequest("POST", "https://x/hooks/sms/main", Headers({header: prefix + sms.signed_hex(secret, body)}), {}, body)


def test_generic_sms_receiver_reads_a_form_with_the_default_mapping() -> None:
    body = urlencode({"from": "03001234567", "text": "Chori ho gayi", "id": "agg-1"}).encode()
    deliveries = check(_channel("sms", secret="k"), "sms", _sms_request(body))
    assert isinstance(deliveries, list)
    assert [d.platform_id for d in deliveries] == ["agg-1"]
    prefixed = check(_channel("sms", secret="k"), "sms", _sms_request(body, prefix="sha256="))
    assert isinstance(prefixed, list)


def test_generic_sms_receiver_reads_json_through_a_custom_mapping_and_header() -> None:
    config = {"format": "json", "fields": {"from": "data.msisdn", "text": "data.message", "id": "msg_id"}, "signature_header": "X-Jazz-Sign"}
    body = json.dumps({"msg_id": 42, "data": {"msisdn": 923001234567, "message": "help"}}).encode()
    deliveries = check(_channel("sms", secret="k", config=config), "sms", _sms_request(body, header="X-Jazz-Sign"))
    assert isinstance(deliveries, list)
    assert [d.platform_id for d in deliveries] == ["42"]
    wrong_header = check(_channel("sms", secret="k", config=config), "sms", _sms_request(body))
    assert not isinstance(wrong_header, list)
    assert wrong_header.status == 403


def test_generic_sms_without_an_id_is_named_by_its_body() -> None:
    body = urlencode({"from": "03001234567", "text": "hello"}).encode()
    first = check(_channel("sms", secret="k"), "sms", _sms_request(body))
    again = check(_channel("sms", secret="k"), "sms", _sms_request(body))
    assert isinstance(first, list)
    assert isinstance(again, list)
    assert first[0].platform_id == again[0].platform_id
    assert first[0].platform_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("body", "config", "answer"),
    [
        (urlencode({"text": "hi"}).encode(), {}, (400, "sender field 'from' is required")),
        (urlencode({"from": "0300"}).encode(), {}, (400, "text field 'text' is required")),
        (b"\xff\xfe", {}, (400, "body is not UTF-8")),
        (b"not json", {"format": "json"}, (400, "body is not JSON")),
        (b"[1]", {"format": "json"}, (400, "body must be a JSON object")),
        (b"from=1", {"format": "xml"}, (400, "channel misconfigured: SMS config \"format\" must be \"form\" or \"json\", not 'xml'")),
    ],
)
def test_generic_sms_malformed_deliveries_say_what_is_wrong(body: bytes, config: dict[str, object], answer: tuple[int, str]) -> None:
    result = check(_channel("sms", secret="k", config=config), "sms", _sms_request(body))
    assert not isinstance(result, list)
    assert (result.status, result.payload["error"]) == answer


def test_generic_sms_signature_is_required() -> None:
    body = urlencode({"from": "03001234567", "text": "hi"}).encode()
    unsigned = HookRequest("POST", "https://x", Headers({}), {}, body)
    for channel, request_ in ((_channel("sms", secret="k"), unsigned), (_channel("sms", secret=""), _sms_request(body, secret=""))):
        result = check(channel, "sms", request_)
        assert not isinstance(result, list)
        assert result.status == 403


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"colour": "blue"}, "unknown SMS config keys ['colour']"),
        ({"fields": {"sender": "msisdn"}}, "unknown SMS fields ['sender']"),
        ({"fields": {"from": ""}}, 'SMS field "from" must name'),
        ({"fields": ["from"]}, 'SMS config "fields" must be an object'),
        ({"signature_header": "X Sig"}, 'SMS config "signature_header" must be an HTTP header name'),
    ],
)
def test_bad_sms_config_is_explained(config: dict[str, object], problem: str) -> None:
    with pytest.raises(sms.SmsConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        sms.sms_config(config)


def test_receivers_raise_for_the_caller_to_answer() -> None:
    from rabta.intake.receivers import RECEIVERS

    with pytest.raises(BadSignature):
        RECEIVERS["sms"](_channel("sms", secret="k"), HookRequest("POST", "https://x", Headers({}), {}, b"from=1&text=x"))
    with pytest.raises(Malformed):
        RECEIVERS["twilio_sms"](_channel("twilio_sms"), _twilio_request({"Body": "x"}))


def test_twilio_parser_gives_the_phone_as_sender_and_thread() -> None:
    body = urlencode({"MessageSid": "SM1", "From": "+923001234567", "To": "+15005550006", "Body": "Gari chori ho gayi Mardan"}).encode()
    parsed = parsers.parse("twilio_sms", body, {})
    assert parsed.sender_id == "+923001234567"
    assert parsed.sender_phone == "+923001234567"
    assert parsed.thread_key == "tel:+923001234567"
    assert parsed.platform_message_id == "SM1"
    assert parsed.text == "Gari chori ho gayi Mardan"
    with pytest.raises(parsers.NotAMessage):
        parsers.parse("twilio_sms", urlencode({"MessageSid": "SM2", "MessageStatus": "delivered"}).encode(), {})
    with pytest.raises(parsers.MalformedDelivery):
        parsers.parse("twilio_sms", urlencode({"MessageSid": "SM3", "Body": "hi"}).encode(), {})


def test_generic_sms_parser_follows_the_channel_config() -> None:
    config = {"format": "json", "fields": {"from": "msisdn", "text": "message", "id": "msg_id", "to": "shortcode", "at": "ts"}}
    body = json.dumps({"msisdn": "0333 7654321", "message": "Firing ho rahi hai", "msg_id": "m-9", "shortcode": "8181", "ts": "1795950000"}).encode()
    parsed = parsers.parse("sms", body, {}, config=config)
    assert (parsed.sender_id, parsed.sender_phone, parsed.thread_key) == ("+923337654321", "+923337654321", "tel:+923337654321")
    assert (parsed.text, parsed.platform_message_id, parsed.hints) == ("Firing ho rahi hai", "m-9", {"to": "8181"})
    assert parsed.sent_at == datetime.fromtimestamp(1795950000, tz=UTC)
    defaults = parsers.parse("sms", urlencode({"from": "03001234567", "text": "hi", "timestamp": "2026-11-28 10:00:00"}).encode(), {})
    assert defaults.sender_id == "+923001234567"
    assert defaults.sent_at is not None
    assert defaults.sent_at.utcoffset() is not None  # local time without a zone is read as Pakistan time
    assert defaults.sent_at.astimezone(UTC).hour == 5


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("yesterday", None), ("1795950000000", datetime.fromtimestamp(1795950000, tz=UTC))])
def test_aggregator_times(raw: str, expected: datetime | None) -> None:
    assert sms.parse_time(raw) == expected
