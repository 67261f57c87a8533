"""`rabta channel add|list` (CONTRACTS.md): prints the webhook URL, updates on re-run, never a secret."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from rabta.cli import main
from rabta.core.models import AuditEvent
from rabta.intake.models import Channel

pytestmark = pytest.mark.django_db


@override_settings(RABTA_PUBLIC_URL="https://rabta.example.pk")
def test_add_prints_the_webhook_url_and_rerunning_updates(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["channel", "add", "--kind", "twilio_sms", "--slug", "main", "--secret", "tw-auth-token", "--account", "AC123"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == "https://rabta.example.pk/hooks/twilio_sms/main\n"
    assert "created" in err
    assert "tw-auth-token" not in out + err
    channel = Channel.objects.get(kind="twilio_sms", slug="main")
    assert (channel.secret, channel.account, channel.active) == ("tw-auth-token", "AC123", True)

    assert main(["channel", "add", "--kind", "twilio_sms", "--slug", "main", "--secret", "new-token", "--api-base", "http://127.0.0.1:9/"]) == 0
    out, err = capsys.readouterr()
    assert out == "https://rabta.example.pk/hooks/twilio_sms/main\n"
    assert "updated: secret, api_base" in err
    assert "new-token" not in out + err
    channel.refresh_from_db()
    assert (channel.secret, channel.account, channel.api_base) == ("new-token", "AC123", "http://127.0.0.1:9/")  # the rest kept
    assert Channel.objects.filter(kind="twilio_sms", slug="main").count() == 1
    entries = list(AuditEvent.objects.filter(object_type="intake.channel").order_by("seq"))
    assert [e.action for e in entries] == ["channel.created", "channel.updated"]
    assert entries[1].after == {"secret": "set", "api_base": "http://127.0.0.1:9/"}
    assert "new-token" not in json.dumps([e.after for e in entries])


@override_settings(RABTA_PUBLIC_URL="https://rabta.example.pk")
def test_sms_channel_takes_its_mapping_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    config = {"format": "json", "fields": {"from": "msisdn", "text": "message", "id": "msg_id"}, "signature_header": "X-Jazz-Sign"}
    assert main(["channel", "add", "--kind", "sms", "--slug", "jazz", "--secret", "k", "--config", json.dumps(config)]) == 0
    assert Channel.objects.get(kind="sms", slug="jazz").config == config
    assert main(["channel", "add", "--kind", "sms", "--slug", "jazz", "--disable"]) == 0
    capsys.readouterr()
    assert main(["channel", "list"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == ["sms\tjazz\tdisabled\tsecret set\thttps://rabta.example.pk/hooks/sms/jazz"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kind", "pigeon", "--slug", "x"], "unknown channel kind 'pigeon'; use one of: web_form, whatsapp"),
        (["--kind", "sms", "--slug", "bad slug"], "slug:"),
        (["--kind", "sms", "--slug", "s", "--config", "{not json"], "--config is not JSON"),
        (["--kind", "sms", "--slug", "s", "--config", "[1]"], "--config must be a JSON object"),
        (["--kind", "sms", "--slug", "s", "--config", '{"format": "xml"}'], 'config: SMS config "format" must be "form" or "json"'),
        (["--kind", "telegram", "--slug", "t", "--api-base", "not a url"], "api_base:"),
        (["--kind", "sms"], "channel add needs --kind and --slug"),
    ],
)
def test_bad_input_is_explained_with_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["channel", "add", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err
    assert not Channel.objects.filter(slug__in=["x", "s", "t"]).exists()
