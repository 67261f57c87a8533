"""The Celery app: Redis broker in production, a file-system broker under ./var/ when embedded."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
app = Celery("rabta")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
