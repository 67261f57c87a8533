"""The audit trail: chained writes, verification, and tampering that bypasses the ORM."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from rabta.cli import main as rabta_main
from rabta.core import audit
from rabta.core.models import GENESIS_HASH, AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def _write(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit.record(actor=None, action="test.event", object_type="test", object_id=str(i), after={"i": i, "word": "مردان"})
            )
    return events


def _raw(sql: str, params: list[Any]) -> None:
    """Change the table behind the ORM's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A database superuser can switch triggers off; the chain must still expose the change.
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")


def _verify_cli() -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = rabta_main(["audit", "verify"])
    return code, out.getvalue()


def test_record_links_each_event_to_the_one_before() -> None:
    events = _write(3)
    assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1, events[0].seq + 2]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (events[2].seq, events[2].hash)
    assert audit.verify_chain().ok


def test_record_refuses_to_run_outside_a_transaction() -> None:
    # pytest-django wraps each test in a transaction; leave it to check the guard.
    with pytest.raises(RuntimeError, match="inside the transaction"):
        connection.in_atomic_block = False
        try:
            audit.record(actor=None, action="test.event")
        finally:
            connection.in_atomic_block = True


def test_rolled_back_change_leaves_no_event_and_no_gap() -> None:
    _write(1)
    before = AuditChainHead.objects.get(pk=1).seq
    with pytest.raises(ValueError, match="the change failed"), transaction.atomic():
        audit.record(actor=None, action="test.rolled_back")
        raise ValueError("the change failed")
    assert AuditChainHead.objects.get(pk=1).seq == before
    _write(1)
    assert audit.verify_chain().ok


def test_verify_cli_exits_zero_when_intact() -> None:
    _write(2)
    code, out = _verify_cli()
    assert code == 0
    assert "intact" in out


def test_altered_entry_is_found() -> None:
    events = _write(4)
    target = events[1]
    _raw("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["forged", target.pk])
    result = audit.verify_chain()
    assert not result.ok
    assert result.bad_seq == target.seq
    code, out = _verify_cli()
    assert code == 1
    assert f"seq={target.seq} id={target.pk} was altered" in out


def test_altered_json_payload_is_found() -> None:
    events = _write(3)
    target = events[2]
    _raw("UPDATE core_auditevent SET after = %s WHERE id = %s", ['{"i": 999}', target.pk])
    result = audit.verify_chain()
    assert not result.ok
    assert result.bad_seq == target.seq


def test_deleted_entry_is_found() -> None:
    events = _write(4)
    target = events[2]
    _raw("DELETE FROM core_auditevent WHERE id = %s", [target.pk])
    result = audit.verify_chain()
    assert not result.ok
    assert result.bad_seq == events[3].seq
    assert "removed" in result.problem
    code, out = _verify_cli()
    assert code == 1
    assert f"seq {events[3].seq}" in out


def test_deleted_newest_entry_is_found_through_the_head() -> None:
    events = _write(3)
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    result = audit.verify_chain()
    assert not result.ok
    assert "newest entries removed" in result.problem


def test_reordered_entries_are_found() -> None:
    events = _write(4)
    a, b = events[1], events[2]
    # Swap the sequence numbers of two entries (through a free value: seq is unique).
    _raw("UPDATE core_auditevent SET seq = %s WHERE id = %s", [-1, a.pk])
    _raw("UPDATE core_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _raw("UPDATE core_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    result = audit.verify_chain()
    assert not result.ok
    assert result.bad_seq == a.seq
    assert result.bad_id == b.pk
    code, out = _verify_cli()
    assert code == 1
    assert f"id={b.pk}" in out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
@pytest.mark.parametrize("sql", ["UPDATE core_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM core_auditevent WHERE id = %s"])
def test_postgresql_trigger_refuses_update_and_delete(sql: str) -> None:
    event = _write(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="test.event").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_postgresql_trigger_refuses_orm_update_too() -> None:
    event = _write(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")


def _many(n: int, tag: str) -> int:
    entries = [
        {"actor": None, "actor_label": "system:test", "action": "test.many", "object_type": "test", "object_id": f"{tag}-{i}",
         "after": {"i": i, "quote": 'he said "چوری"', "path": "C:\\x"}, "district_code": "MRD"}
        for i in range(n)
    ]
    with transaction.atomic():
        return audit.record_many(entries)


def test_record_many_continues_the_chain_record_writes() -> None:
    _write(2)
    assert _many(5, "a") == 5
    _write(1)
    assert _many(3, "b") == 3
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.object_id for e in events[-9:]] == ["a-0", "a-1", "a-2", "a-3", "a-4", "0", "b-0", "b-1", "b-2"]
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert events[-1].after == {"i": 2, "quote": 'he said "چوری"', "path": "C:\\x"}
    assert audit.verify_chain().ok


def test_record_many_starts_the_chain_when_there_is_no_head() -> None:
    _raw("DELETE FROM core_auditevent", [])  # rolled back with the test
    AuditChainHead.objects.all().delete()
    assert _many(2, "first") == 2
    first = AuditEvent.objects.order_by("seq").first()
    assert first is not None
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_never_fork_the_chain() -> None:
    """Writers in their own connections, batches and single events interleaved: one intact chain."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for round_ in range(5):
                if k % 2:
                    _many(7, f"w{k}-{round_}")
                else:
                    _write(2)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(action="test.many").count() == 2 * 5 * 7
    assert audit.verify_chain().ok
