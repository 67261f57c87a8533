"""`insert_many` stores exactly what `bulk_create` stores, and sets the same primary keys."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from rabta.cases.models import Case, CaseEvent, ConsoleEvent
from rabta.core.bulk import insert_many, insert_rows
from rabta.intake import actions as intake
from rabta.intake.models import Citizen, Contact, Conversation, Message
from rabta.notify.models import OutboxMessage
from rabta.org.models import Post

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=123456)
TRICKY = ['plain', 'quote " inside', "back\\slash", "", "NULL", "{braces}", "comma,here", "پشاور میں \"ڈکیتی\"", "emoji 🚓"]


def _stored(model: type[models.Model], pks: list[int], skip: set[str]) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip and not f.primary_key]
    rows = {row["id"]: row for row in model._default_manager.filter(pk__in=pks).values("id", *names)}
    return [{k: v for k, v in rows[pk].items() if k != "id"} for pk in pks]


def _both_ways(make: Any, n: int, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """`make(i, way)` builds the i-th unsaved instance; both ways must store the same values."""
    ours = insert_many([make(i, "a") for i in range(n)])
    theirs = type(ours[0])._default_manager.bulk_create([make(i, "b") for i in range(n)])
    assert all(o.pk is not None and not o._state.adding for o in ours)
    assert [o.pk for o in ours] == sorted(o.pk for o in ours)  # in order, as RETURNING gave them
    model = type(ours[0])
    got = _stored(model, [o.pk for o in ours], skip)
    want = _stored(model, [o.pk for o in theirs], skip)
    assert got == want
    for obj in ours:  # the instance says what the row holds
        assert model._default_manager.get(pk=obj.pk).pk == obj.pk


@pytest.fixture
def conversation() -> Conversation:
    channel = intake.web_form_channel()
    citizen = Citizen.objects.create(display_name="x")
    contact = Contact.objects.create(channel=channel, external_id="bulk-test", citizen=citizen)
    return Conversation.objects.create(channel=channel, contact=contact, thread_key="bulk-test")


def _case(conversation: Conversation, i: int, way: str) -> Case:
    post = Post.objects.order_by("pk").first()
    assert post is not None
    now = NOW
    return Case(
        ref=f"KP-TST-{way}-{i}", tracking_code="ABCD2345", status=Case.Status.ROUTED, category="theft", urgency="high",
        language="ur", sensitive=bool(i % 2), post=post, contact=conversation.contact, conversation=conversation,
        summary=TRICKY[i % len(TRICKY)], triage={"reasons": [TRICKY[i % len(TRICKY)], None, 1.5], "nested": {"k": [True, False]}},
        routing={} if i % 3 else {"reason": 'matched "chori"'}, opened_at=now - timedelta(minutes=i), ack_due=None if i % 2 else now,
        clocks={"due": now.isoformat()},
    )


def test_cases_are_stored_as_bulk_create_stores_them(conversation: Conversation) -> None:
    _both_ways(lambda i, way: _case(conversation, i, way), 9, skip={"ref", "updated_at"})


def test_auto_now_fields_are_set_on_the_instance_and_the_row(conversation: Conversation) -> None:
    before = timezone.now()
    [case] = insert_many([_case(conversation, 0, "now")])
    assert case.updated_at is not None
    assert case.updated_at >= before
    assert Case.objects.get(pk=case.pk).updated_at == case.updated_at
    [event] = insert_many([ConsoleEvent(case=case, kind="case.opened")])
    assert ConsoleEvent.objects.get(pk=event.pk).at == event.at >= before


def test_timeline_steps_messages_and_outbox_rows(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "steps")])
    channel = conversation.channel
    now = timezone.now()
    _both_ways(
        lambda i, way: CaseEvent(case=case, at=now, kind="triaged", text=TRICKY[i % len(TRICKY)],
                                 data={"result": {"t": TRICKY[i % len(TRICKY)]}, "i": i}, public=bool(i % 2)),
        len(TRICKY),
    )
    _both_ways(
        lambda i, way: Message(channel=channel, conversation=conversation, direction=Message.Direction.INBOUND,
                               platform_id=f"{way}-{i}", text=TRICKY[i % len(TRICKY)], at=now, case=case, language="ur"),
        5, skip={"platform_id"},
    )
    _both_ways(
        lambda i, way: OutboxMessage(dedupe_key=f"{way}:{i}", medium=OutboxMessage.Medium.EMAIL, to_address="x@example.org",
                                     subject=TRICKY[i % len(TRICKY)], body="b", case=case, next_attempt_at=now,
                                     sent_at=None if i % 2 else now),
        5, skip={"dedupe_key", "created_at"},
    )


def test_a_non_string_in_a_text_column_is_stored_as_its_text(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "nonstr")])
    [event] = insert_many([CaseEvent(case=case, at=timezone.now(), kind="note", text=12345)])  # type: ignore[misc]
    assert CaseEvent.objects.get(pk=event.pk).text == "12345"


def test_ignore_conflicts_skips_duplicates_and_sets_no_keys(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "dup")])
    now = timezone.now()

    def row(key: str) -> OutboxMessage:
        return OutboxMessage(dedupe_key=key, medium=OutboxMessage.Medium.IN_APP, body="b", case=case, next_attempt_at=now)

    insert_many([row("dup:1")])
    rows = insert_many([row("dup:1"), row("dup:2")], ignore_conflicts=True)
    assert len(rows) == 2
    assert sorted(OutboxMessage.objects.filter(case=case).values_list("dedupe_key", flat=True)) == ["dup:1", "dup:2"]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many([row("dup:2")])


def test_nothing_to_insert_is_no_statement(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert insert_many([]) == []


def test_json_null_and_sql_null(conversation: Conversation) -> None:
    """A JSON field holding None is SQL NULL, as bulk_create writes it; a JSON `null` inside stays JSON."""
    from rabta.core.models import AuditEvent

    _both_ways(
        lambda i, way: AuditEvent(seq=10**9 + i + (0 if way == "a" else 1000), at=timezone.now(), actor_label="t", action="t",
                                  before=None, after={"x": None, "s": json.dumps({"q": '"'})}, prev_hash="0", hash="0"),
        3, skip={"seq", "at"},
    )


def test_rows_without_instances_store_what_instances_store(conversation: Conversation) -> None:
    """insert_rows: defaults for what a row leaves out, auto_now_add set, JSON and text as bulk_create has them."""
    [case] = Case.objects.bulk_create([_case(conversation, 0, "rows")])
    rows = [
        {"case_id": case.pk, "at": NOW, "kind": "triaged", "text": TRICKY[i], "data": {"t": TRICKY[i]}} if i % 2 else
        {"case_id": case.pk, "at": NOW, "kind": "opened", "public": True}
        for i in range(len(TRICKY))
    ]
    before = set(CaseEvent.objects.values_list("pk", flat=True))
    insert_rows(CaseEvent, rows)
    CaseEvent.objects.bulk_create([CaseEvent(**row) for row in rows])
    new = list(CaseEvent.objects.exclude(pk__in=before).order_by("pk").values("case_id", "at", "kind", "actor_id", "text", "data", "public"))
    assert new[: len(rows)] == new[len(rows):]
    assert new[0] == {"case_id": case.pk, "at": NOW, "kind": "opened", "actor_id": None, "text": "", "data": {}, "public": True}
    insert_rows(ConsoleEvent, [{"case_id": case.pk, "kind": "case.opened"}])
    assert ConsoleEvent.objects.get(case=case).at is not None


def test_rows_name_foreign_keys_by_attname(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "attname")])
    with pytest.raises(TypeError, match="case_id"):
        insert_rows(ConsoleEvent, [{"case": case, "kind": "case.opened"}])


def test_rows_ignoring_conflicts(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "rowdup")])
    row = {"dedupe_key": "rowdup:1", "medium": "in_app", "body": "b", "case_id": case.pk, "next_attempt_at": NOW}
    insert_rows(OutboxMessage, [row, {**row, "dedupe_key": "rowdup:2"}], ignore_conflicts=True)
    insert_rows(OutboxMessage, [row], ignore_conflicts=True)
    assert OutboxMessage.objects.filter(case=case).count() == 2


def test_given_keys_are_kept(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "keys")])
    wanted = 10**9 + 7
    [event] = insert_many([CaseEvent(pk=wanted, case=case, at=NOW, kind="note")])
    assert event.pk == wanted
    assert CaseEvent.objects.get(pk=wanted).kind == "note"


def test_a_row_giving_none_for_an_auto_now_add_field_gets_the_time(conversation: Conversation) -> None:
    [case] = Case.objects.bulk_create([_case(conversation, 0, "nonetime")])
    insert_rows(ConsoleEvent, [{"case_id": case.pk, "kind": "case.opened", "at": None}])
    assert ConsoleEvent.objects.get(case=case).at is not None
