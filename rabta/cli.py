"""The `rabta` command (see docs and CONTRACTS.md).

rabta run [--role all|web|worker|scheduler] [--demo] [--host H --port P]
rabta triage [--input F|-] [--output F|-] [--explain] | rabta triage train|evaluate|cv ...
rabta audit verify
rabta channel add --kind K --slug S [--secret X] [--verify-token X] [--token X] [--account ID] [--api-base URL]
                  [--name NAME] [--config JSON] [--disable | --enable]
rabta channel list
rabta export messages [--since ISO-TIME] [--channel SLUG] [--include-sensitive]
rabta manage ...            Django's manage.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rabta manage", *argv])
    return 0


def _prepare(*, demo: bool) -> None:
    """Migrate, load reference data and (with --demo) the demo data set."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_reference_data", verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    if demo:
        call_command("load_demo", verbosity=1)


def _celery(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "rabta", *args]


def _run(ns: argparse.Namespace) -> int:
    if ns.demo:
        os.environ["RABTA_DEMO"] = "1"
        if not ns.strict_2fa and not os.environ.get("DATABASE_URL"):
            os.environ.setdefault("RABTA_RELAX_2FA", "1")
    from django.core.exceptions import ImproperlyConfigured

    try:
        _django_setup()
    except ImproperlyConfigured as exc:
        print(f"rabta: configuration error: {exc}", file=sys.stderr)
        return 2
    from django.conf import settings

    role = ns.role
    if role == "worker":
        known = [queue.name for queue in settings.CELERY_TASK_QUEUES]
        unknown = sorted(set(filter(None, ns.queues.split(","))) - set(known))
        if unknown:  # celery would make the queue and wait on it forever
            print(f"rabta: unknown queue {', '.join(unknown)}; the queues are: {', '.join(known)}", file=sys.stderr)
            return 2
        queues = ["-Q", ns.queues] if ns.queues else []  # default: every queue, intake's first (settings.CELERY_TASK_QUEUES)
        os.execv(sys.executable, _celery(["worker", "--loglevel", "INFO", "-c", str(ns.concurrency), *queues]))
    if role == "scheduler":
        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        os.execv(sys.executable, _celery(["beat", "--loglevel", "INFO", "-s", schedule]))
    if role == "all" or ns.migrate:
        _prepare(demo=ns.demo)

    import uvicorn

    children: list[subprocess.Popen[bytes]] = []
    if role == "all":
        if not settings.EMBEDDED and not settings.REDIS_URL:
            print("rabta: REDIS_URL is required with DATABASE_URL (production broker).", file=sys.stderr)
            return 2
        worker_pool = ["--pool", "threads"] if settings.EMBEDDED else []
        children.append(subprocess.Popen(_celery(["worker", "--loglevel", "WARNING", "-c", "2", *worker_pool])))
        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        children.append(subprocess.Popen(_celery(["beat", "--loglevel", "WARNING", "-s", schedule])))
    print(f"Rabta is serving at http://{ns.host}:{ns.port}/ (role {role}); stop with Ctrl-C.", flush=True)
    try:
        uvicorn.run(
            "rabta.asgi:application",
            host=ns.host,
            port=ns.port,
            workers=ns.workers if role == "web" else 1,
            log_level="warning",
            proxy_headers=True,
        )
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


def _audit(ns: argparse.Namespace) -> int:
    _django_setup()
    from rabta.core.audit import verify_chain

    result = verify_chain()
    if result.ok:
        print(f"audit trail intact: {result.checked} entries verified")
        return 0
    print(f"audit trail BROKEN after {result.checked} good entries: {result.problem}")
    return 1


def _export(ns: argparse.Namespace) -> int:
    from datetime import datetime

    _django_setup()
    from django.utils import timezone

    since = None
    if ns.since:
        try:
            since = datetime.fromisoformat(ns.since)
        except ValueError:
            print(f"rabta: --since {ns.since!r} is not an ISO time such as 2026-11-28T09:00:00+05:00", file=sys.stderr)
            return 2
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
    from rabta.intake.export import export_messages

    export_messages(out=sys.stdout, since=since, channel=ns.channel, include_sensitive=ns.include_sensitive)
    return 0


def _channel(ns: argparse.Namespace) -> int:
    import json

    _django_setup()
    from django.core.exceptions import ValidationError

    from rabta.intake import actions, selectors

    if ns.action == "list":
        for row in selectors.channel_rows():
            print("\t".join(row))
        return 0
    if not ns.kind or not ns.slug:
        print("rabta: channel add needs --kind and --slug", file=sys.stderr)
        return 2
    config = None
    if ns.config is not None:
        try:
            config = json.loads(ns.config)
        except json.JSONDecodeError as exc:
            print(f"rabta: --config is not JSON ({exc.msg}); quote it, e.g. --config '{{\"format\": \"json\"}}'", file=sys.stderr)
            return 2
        if not isinstance(config, dict):
            print("rabta: --config must be a JSON object", file=sys.stderr)
            return 2
    try:
        done = actions.configure_channel(
            kind=ns.kind, slug=ns.slug, name=ns.name, secret=ns.secret, verify_token=ns.verify_token, token=ns.token,
            account=ns.account, api_base=ns.api_base, config=config, active=ns.active,
            actor_label=f"cli:{os.environ.get('USER') or 'unknown'}",
        )
    except ValidationError as exc:
        print(f"rabta: {' '.join(exc.messages)}", file=sys.stderr)
        return 2
    channel = done.channel
    state = "created" if done.created else ("updated: " + ", ".join(done.changed) if done.changed else "unchanged")
    print(f"channel {channel.kind}/{channel.slug} {state} ({'secret set' if channel.secret else 'no secret'})", file=sys.stderr)
    if not channel.secret and channel.kind != "email_inbound":
        print("rabta: warning: without --secret every delivery is refused (403)", file=sys.stderr)
    # stdout is the webhook URL alone, so a script can take it; nothing here ever prints a credential.
    print(selectors.webhook_url(channel))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rabta", description="Rabta: media cell and public outreach platform")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the system")
    run.add_argument("--role", choices=["all", "web", "worker", "scheduler"], default="all")
    run.add_argument("--demo", action="store_true", help="load the demo data set and print the demo log-ins")
    run.add_argument("--strict-2fa", action="store_true", help="with --demo, still require TOTP codes")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=2, help="web processes (role web)")
    run.add_argument("--concurrency", type=int, default=2, help="worker processes (role worker)")
    run.add_argument("--queues", default="", help="role worker: only these queues, comma-separated (celery = intake, notify = delivery)")
    run.add_argument("--migrate", action="store_true", help="role web: migrate and load reference data first")

    sub.add_parser("triage", help="triage JSON lines (see `rabta triage --help`)", add_help=False)
    audit = sub.add_parser("audit", help="audit trail tools")
    audit.add_argument("action", choices=["verify"])
    sub.add_parser("manage", help="Django's manage.py", add_help=False)
    export = sub.add_parser("export", help="export stored data as JSON lines")
    export.add_argument("what", choices=["messages"])
    export.add_argument("--since", help="ISO time; only messages at or after it")
    export.add_argument("--channel", help="channel slug")
    export.add_argument("--include-sensitive", action="store_true", help="include the text of sensitive cases (audited)")
    channel = sub.add_parser("channel", help="configure intake channels; prints the webhook URL")
    channel.add_argument("action", choices=["add", "list"])
    channel.add_argument("--kind", help="whatsapp, messenger, facebook, instagram, x, telegram, twilio_sms, sms, email_inbound, web_form")
    channel.add_argument("--slug", help="the channel's name in its webhook URL, /hooks/KIND/SLUG")
    channel.add_argument("--name", help="a label for the console")
    channel.add_argument("--secret", help="what the platform signs deliveries with (app secret, Twilio auth token, SMS HMAC key)")
    channel.add_argument("--verify-token", help="Meta's hub.verify_token")
    channel.add_argument("--token", help="the credential used to send (page, bot or bearer token)")
    channel.add_argument("--account", help="the platform account (page id, phone_number_id, X user id, Twilio account SID)")
    channel.add_argument("--api-base", help="the platform API's base URL (default: the real one)")
    channel.add_argument(
        "--config",
        help='kind-specific settings as JSON, e.g. for sms {"format": "json", "fields": {"from": "msisdn"}, "send_url": "https://..."}, '
        'for twilio_sms the sender {"from": "+92..."} or {"messaging_service_sid": "MG..."}',
    )
    active = channel.add_mutually_exclusive_group()
    active.add_argument("--disable", dest="active", action="store_false", default=None, help="stop accepting deliveries")
    active.add_argument("--enable", dest="active", action="store_true", help="accept deliveries again")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "manage":
        return _manage(args[1:])
    if args and args[0] == "triage":
        from rabta.triage.cli import main as triage_main

        return triage_main(args[1:])
    ns = build_parser().parse_args(args)
    if ns.command == "run":
        return _run(ns)
    if ns.command == "audit":
        return _audit(ns)
    if ns.command == "export":
        return _export(ns)
    if ns.command == "channel":
        return _channel(ns)
    return 2


if __name__ == "__main__":
    sys.exit(main())
