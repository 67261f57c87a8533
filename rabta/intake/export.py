"""`rabta export messages`: JSON lines, one per stored message (CONTRACTS.md).

Text of sensitive cases is withheld unless --include-sensitive, which writes an audit event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from django.db import transaction

from rabta.core import audit
from rabta.intake.models import Message


def export_messages(
    *, out: IO[str], since: datetime | None = None, channel: str | None = None, include_sensitive: bool = False, actor_label: str = "cli"
) -> int:
    qs = Message.objects.select_related("channel", "case__district").order_by("at", "pk")
    if since is not None:
        qs = qs.filter(at__gte=since)
    if channel:
        qs = qs.filter(channel__slug=channel)
    if include_sensitive:
        with transaction.atomic():
            audit.record(
                actor=None, actor_label=f"system:{actor_label}", action="export.messages_with_sensitive",
                object_type="export", after={"since": since.isoformat() if since else None, "channel": channel},
            )
    count = 0
    for line in _lines(qs.iterator(chunk_size=2000), include_sensitive):
        out.write(line)
        count += 1
    return count


def _lines(messages: Iterator[Message], include_sensitive: bool) -> Iterator[str]:
    for m in messages:
        case = m.case
        sensitive = bool(case and case.sensitive)
        row = {
            "id": m.pk,
            "channel": m.channel.slug,
            "platform_id": m.platform_id,
            "direction": m.direction,
            "received_at": m.at.isoformat(),
            "text": None if sensitive and not include_sensitive else m.text,
            "case_ref": case.ref if case else None,
            "language": m.language or (case.language if case else None),
            "category": case.category if case else None,
            "urgency": case.urgency if case else None,
            "district": case.district.name_en if case and case.district_id else None,
            "sensitive": sensitive,
        }
        yield json.dumps(row, ensure_ascii=False) + "\n"
