"""Shared set-up for the benchmarks: a PostgreSQL database of their own, migrated.

DATABASE_URL picks the server (default: the local one); the database `rabta_bench` is created if
missing. Each script prints JSON lines: {"bench", "metric", "value", "unit", "n", "db"}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rabta_bench"


def setup_django(*, database_url: str | None = None) -> str:
    """Point Django at the bench database, create and migrate it. Returns the vendor name."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres"):
        import psycopg

        dbname = url.rsplit("/", 1)[1]
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    os.environ.setdefault("RABTA_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "rabta.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def emit(bench: str, metric: str, value: float, unit: str, *, n: int, db: str, **extra: Any) -> None:
    line = {"bench": bench, "metric": metric, "value": round(value, 3), "unit": unit, "n": n, "db": db, **extra}
    print(json.dumps(line), flush=True)
