"""`insert_many`: Django's `bulk_create` for the rows a batch writes, at a fraction of its cost.

Intake writes about a dozen rows per message (the case, its timeline steps, the message, the
outbox rows, the console event...). `bulk_create` builds its statement value by value: for every
field of every row it calls `pre_save`, `get_db_prep_save` and its conversions, and psycopg then
renders each column as a text array, element by element; at intake volume that was a third of a
worker's time, more than the database spent storing the rows. On PostgreSQL `insert_many` reads
the instances' attributes straight into rows, takes the new primary keys from the table's
sequence in one statement and sends the rows by COPY (written by psycopg's C code, and
PostgreSQL's cheapest way in). With `ignore_conflicts` (COPY cannot skip a row) it sends the same
`INSERT ... SELECT * FROM unnest(...) ON CONFLICT DO NOTHING` as `bulk_create`. Elsewhere
(SQLite), and for a model without an automatic primary key, it is `bulk_create`.

What it does not do, so keep to it: no signals (bulk_create sends none either), no multi-table
inheritance. Text, numbers, booleans, dates and keys go as they are (a non-string in a text column
as its text), JSON as its text, `auto_now`/`auto_now_add` are set as `save` sets them, and any
other kind of field through its own `get_db_prep_save`. rabta/core/tests/test_bulk.py writes the
intake path's models both ways and compares what the database stores."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

_PLAIN, _JSON, _TEXT, _NOW, _NOW_IF_EMPTY, _PREPARED = range(6)
# Fields whose Python value psycopg takes as it is (a foreign key's is its attname, the id).
_AS_IS = (
    models.IntegerField, models.BooleanField, models.FloatField, models.DateTimeField, models.DateField, models.ForeignKey,
)


@dataclass(frozen=True)
class _Column:
    attname: str
    sql_name: str
    cast: str
    kind: int
    encoder: Any = None
    field: Any = None


_SPECS: dict[type[models.Model], tuple[list[_Column], str]] = {}


def _spec(model: type[models.Model]) -> tuple[list[_Column], str]:
    if model in _SPECS:
        return _SPECS[model]
    quote = connection.ops.quote_name
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue
        db_type = field.db_type(connection)
        if db_type is None or getattr(field, "generated", False):
            continue
        if isinstance(field, models.JSONField):
            kind, encoder = _JSON, field.encoder
        elif isinstance(field, models.DateTimeField | models.DateField) and field.auto_now:
            kind, encoder = _NOW, None
        elif isinstance(field, models.DateTimeField | models.DateField) and field.auto_now_add:
            kind, encoder = _NOW_IF_EMPTY, None
        elif isinstance(field, models.CharField | models.TextField):
            kind, encoder = _TEXT, None
        elif isinstance(field, _AS_IS):
            kind, encoder = _PLAIN, None
        else:  # anything else (files, UUIDs, decimals...) the way Django prepares it
            kind, encoder = _PREPARED, None
        cast = "jsonb" if kind == _JSON else db_type
        columns.append(_Column(field.attname, quote(field.column or field.attname), f"{cast}[]", kind, encoder, field))
    _SPECS[model] = columns, quote(model._meta.db_table)
    return _SPECS[model]


def _prepared(column: _Column, values: list[Any]) -> list[Any]:
    """A column's Python values as the database takes them."""
    if column.kind == _TEXT:
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    if column.kind == _JSON:
        dumps, encoder = json.dumps, column.encoder
        return [None if v is None else dumps(v, cls=encoder) for v in values]
    if column.kind == _PREPARED:
        prepare = column.field.get_db_prep_save
        return [prepare(v, connection) for v in values]
    return values


def _automatic_pk(model: type[models.Model]) -> bool:
    return isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)


_SEQUENCES: dict[type[models.Model], str] = {}


def _new_keys(cursor: Any, model: type[models.Model], table: str, n: int) -> list[int]:
    """n new primary keys from the table's own sequence (its name looked up once per process)."""
    pk = model._meta.pk
    assert pk is not None
    if model not in _SEQUENCES:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
        _SEQUENCES[model] = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_SEQUENCES[model], n])
    return [row[0] for row in cursor.fetchall()]


def _write(model: type[models.Model], arrays: list[list[Any]], n: int, *, ignore_conflicts: bool, keys: bool) -> list[int]:
    """Send the columns' values (one list per column of `_spec`). Returns the new keys if `keys`."""
    columns, table = _spec(model)
    names = ", ".join(c.sql_name for c in columns)
    with connection.cursor() as cursor:
        if ignore_conflicts:
            unnest = ", ".join(f"%s::{c.cast}" for c in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({unnest}) ON CONFLICT DO NOTHING", arrays  # noqa: S608 - names from the model
            )
            return []
        # By COPY: PostgreSQL's cheapest way in, and psycopg writes COPY rows in C (an unnest
        # INSERT's arrays are rendered and parsed as text, element by element). COPY returns no
        # keys: when they are wanted they are taken from the table's sequence first.
        ids: list[int] = []
        if keys:
            ids = _new_keys(cursor, model, table, n)
            pk = model._meta.pk
            assert pk is not None
            names = f"{connection.ops.quote_name(pk.column or pk.attname)}, {names}"
            arrays = [ids, *arrays]
        sql = f"COPY {table} ({names}) FROM STDIN"
        start = time.monotonic()
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in zip(*arrays, strict=True):
                copy.write_row(row)
        if connection.queries_logged:  # as Django logs its own statements (query counts in tests, the debug page)
            connection.queries_log.append({"sql": f"{sql} -- {n} rows", "time": f"{time.monotonic() - start:.3f}"})
        return ids


def insert_many(objs: Sequence[M], *, ignore_conflicts: bool = False) -> list[M]:
    """Insert these unsaved instances (one model) with one statement; their primary keys are set.

    With `ignore_conflicts` rows that break a unique constraint are skipped and, as with
    `bulk_create`, no primary keys are set.
    """
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql" or not _automatic_pk(model) or any(o.pk is not None for o in objs):
        return model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)  # (keys given: theirs are kept)
    columns, _table = _spec(model)
    now = timezone.now()
    arrays = []
    for column in columns:
        name = column.attname
        if column.kind in (_NOW, _NOW_IF_EMPTY):  # set on the instance as `save` would
            for o in objs:
                if column.kind == _NOW or getattr(o, name) is None:
                    setattr(o, name, now)
        arrays.append(_prepared(column, [getattr(o, name) for o in objs]))
    ids = _write(model, arrays, len(objs), ignore_conflicts=ignore_conflicts, keys=True)
    pk = model._meta.pk
    assert pk is not None
    for obj, value in zip(objs, ids, strict=False):  # none with ignore_conflicts
        setattr(obj, pk.attname, value)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], *, ignore_conflicts: bool = False) -> None:
    """Insert rows given as {attname: value} (`case_id`, not `case`), without making instances.

    For rows nothing reads back in the same breath (timeline steps, outbox rows, console
    events): building a model instance per row cost more than storing it. A field a row leaves
    out takes its default; `auto_now`/`auto_now_add` fields take the time of the call.
    """
    if not rows:
        return
    unknown = set().union(*rows) - {f.attname for f in model._meta.concrete_fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))} (give foreign keys by attname, e.g. case_id)")
    if connection.vendor != "postgresql" or not _automatic_pk(model):
        model._default_manager.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        return
    columns, _table = _spec(model)
    now = timezone.now()
    arrays = []
    for column in columns:
        if column.kind == _NOW:
            values = [now] * len(rows)
        elif column.kind == _NOW_IF_EMPTY:
            values = [now if (v := row.get(column.attname)) is None else v for row in rows]
        else:
            default = column.field.get_default()
            values = [row.get(column.attname, default) for row in rows]
        arrays.append(_prepared(column, values))
    _write(model, arrays, len(rows), ignore_conflicts=ignore_conflicts, keys=False)

