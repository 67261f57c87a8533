from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rabta.intake.actions import requeue_failed_events


class Command(BaseCommand):
    help = (
        "Process failed deliveries again, each alone (e.g. after a parser fix): "
        "rabta manage requeue_events [--channel SLUG] [--since ISO-TIME] [--id N ...]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", default="", help="only this channel's slug")
        parser.add_argument("--since", default="", help="only deliveries received at or after this ISO time (e.g. 2026-11-29T08:00+05:00)")
        parser.add_argument("--id", type=int, nargs="+", dest="ids", help="only these event ids")
        parser.add_argument("--list", action="store_true", help="only list the failed deliveries that match (id, channel, time, error)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError(f"--since {options['since']!r} is not an ISO time; write e.g. 2026-11-29T08:00+05:00") from exc
            if timezone.is_naive(since):
                since = timezone.make_aware(since)
        if options["list"]:
            from rabta.intake.selectors import failed_events

            failed = failed_events(channel_slug=options["channel"], since=since, event_ids=options["ids"]).select_related("channel")
            for event in failed.only("pk", "received_at", "last_error", "channel__kind", "channel__slug"):
                error = " ".join(event.last_error.split())[:120]
                self.stdout.write(f"{event.pk}\t{event.channel.kind}/{event.channel.slug}\t{event.received_at.isoformat()}\t{error}")
            return
        ids = requeue_failed_events(actor_label="cli:requeue_events", channel_slug=options["channel"], since=since, event_ids=options["ids"])
        self.stdout.write(f"requeued {len(ids)} failed deliveries" + (f" (ids {ids[0]}..{ids[-1]})" if ids else ""))
