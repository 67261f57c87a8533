import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
django_application = get_asgi_application()

from rabta.intake.fasthooks import wrap  # noqa: E402 - needs the settings loaded above

# On PostgreSQL, webhook deliveries take the fast path (rabta/intake/fasthooks.py); all else is Django.
application = wrap(django_application)
