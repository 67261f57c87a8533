"""The Celery app: Redis broker in production, a file-system broker under ./var/ when embedded."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
app = Celery("rabta")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _fresh_database_pool(**_: Any) -> None:
    """A forked worker child must not use the connection pool it inherited from its parent.

    The pool's threads did not survive the fork and its sockets belong to the parent: drop it
    (without closing the parent's connections) so the child opens its own.
    """
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    _load_then_freeze()


def _load_then_freeze() -> None:
    """Load the triage engine now, then move everything loaded so far out of the collector's sight.

    Django, the app and the engine's tables are a few hundred thousand objects that live as long
    as the process; every full (oldest-generation) garbage collection walked them all, tens of
    milliseconds each under intake load. `gc.freeze()` keeps them out of every later collection.
    """
    import gc

    from rabta.triage import Engine

    Engine.default()
    gc.freeze()


@task_postrun.connect
def _connection_back_to_the_pool(sender: Any = None, **_: Any) -> None:
    """After each task the connection goes back to this process's pool: kept open, checked
    before its next use (see CELERY_DB_REUSE_MAX in settings). Not for a task run eagerly inside
    a caller's code (tests, the embedded mode): the caller's connection is the caller's."""
    from django.db import connections

    if sender is None or getattr(sender.request, "is_eager", False):
        return
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()
