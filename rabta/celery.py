"""The Celery app: Redis broker in production, a file-system broker under ./var/ when embedded."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

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
