from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rabta.core"
    label = "core"
    verbose_name = "Rabta core"

    def ready(self) -> None:
        from rabta.core import pgarrays

        pgarrays.install()  # before the first database connection copies psycopg's adapters
        # Load the Celery app with Django, so every `.delay()` uses Rabta's broker settings
        # (and runs eagerly in tests). Plain `rabta triage` never pays for importing Celery.
        from rabta.celery import app  # noqa: F401
