"""The fast array dumper writes exactly what psycopg's own does, and PostgreSQL reads it back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

psycopg = pytest.importorskip("psycopg")
from psycopg.adapt import PyFormat, Transformer  # noqa: E402
from psycopg.types.array import ListDumper  # noqa: E402

from rabta.core import pgarrays  # noqa: E402

pgarrays.install()

TRICKY = [
    ['plain', 'with space', 'quote " inside', 'back\\slash', '\\"both\\"', '', 'NULL', 'null', '{braces}', 'comma,here'],
    [json.dumps({"reasons": ['matched "chori"', "place: Mardan"], "path": "C:\\x"}), json.dumps({}), None],
    ["پشاور میں \"ڈکیتی\"", "زما\\موټر", "emoji 🚓 \"x\""],
    [[1, 2], [None, 3]],
    ["\x01\\\"control"],
    [],
    [None, None],
]


def _dump(dumper_cls: type, value: list[Any]) -> bytes:
    tx = Transformer()
    dumper = dumper_cls(list, tx).upgrade(value, PyFormat.TEXT)
    return bytes(dumper.dump(value))


def _fast() -> type:
    return psycopg.adapters.get_dumper(list, PyFormat.TEXT)


def test_it_is_the_registered_text_dumper_for_lists() -> None:
    assert _fast().__name__ == "FastListDumper"
    assert issubclass(_fast(), ListDumper)


@pytest.mark.parametrize("value", TRICKY)
def test_same_bytes_as_psycopg(value: list[Any]) -> None:
    assert _dump(_fast(), value) == _dump(ListDumper, value)


@settings(max_examples=300, deadline=None)  # no NUL or lone surrogates: PostgreSQL text holds neither
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))))
def test_same_bytes_as_psycopg_for_any_text(value: list[str | None]) -> None:
    assert _dump(_fast(), value) == _dump(ListDumper, value)


@pytest.mark.django_db
def test_postgresql_reads_back_what_was_written() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    values = TRICKY[0] + TRICKY[1] + TRICKY[2] + TRICKY[4]
    with connection.cursor() as cursor:
        cursor.execute("SELECT x FROM unnest(%s::text[]) AS t(x)", [values])
        assert [row[0] for row in cursor.fetchall()] == values
