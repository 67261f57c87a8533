"""Case numbers: one per case, never given twice, and no waiting between workers on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from rabta.cases.models import CaseRefCounter
from rabta.cases.opening import _allocate_refs


@pytest.mark.django_db
def test_numbers_follow_each_other_per_key_in_the_order_asked() -> None:
    first = _allocate_refs(["AAA-26", "BBB-26", "AAA-26"])
    second = _allocate_refs(["AAA-26"])
    assert first[0] < first[2] < second[0]
    assert len({first[0], first[2], second[0]}) == 3
    assert first[1] >= 1


@pytest.mark.django_db
def test_a_new_key_continues_after_the_counter_table() -> None:
    CaseRefCounter.objects.create(key="QQQ-26", value=41)
    assert _allocate_refs(["QQQ-26", "QQQ-26"]) == [42, 43]


@pytest.mark.django_db(transaction=True)
def test_two_open_batches_do_not_wait_on_each_other() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("sequences are PostgreSQL's; SQLite has one writer at a time")
    _allocate_refs(["WWW-26"])  # the key's sequence exists (creating it is once a year per district)
    holding = threading.Event()
    release = threading.Event()
    got: dict[str, list[int]] = {}

    def first_batch() -> None:
        try:
            with transaction.atomic():
                got["first"] = _allocate_refs(["WWW-26"] * 3)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=first_batch)
    worker.start()
    assert holding.wait(10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")  # a wait on the first batch fails here
            got["second"] = _allocate_refs(["WWW-26"] * 2)
    finally:
        release.set()
        worker.join(10)
    assert len(set(got["first"]) | set(got["second"])) == 5
    assert min(got["second"]) > max(got["first"])


def test_tracking_codes_use_the_phone_safe_alphabet_and_differ() -> None:
    from rabta.cases.opening import TRACKING_ALPHABET, _tracking_code

    codes = {_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000  # 40 random bits: a repeat in 2,000 would be a broken generator
    assert all(len(code) == 8 and set(code) <= set(TRACKING_ALPHABET) for code in codes)
    assert set("".join(codes)) == set(TRACKING_ALPHABET)  # every character in use, not a subset
