import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rabta.settings")
django_application = get_asgi_application()

from rabta.intake.fasthooks import wrap  # noqa: E402 - needs the settings loaded above

# On PostgreSQL, webhook deliveries take the fast path (rabta/intake/fasthooks.py); all else is Django.
application = wrap(django_application)

# Django and the app are loaded: keep their objects (they live as long as the process) out of every
# later garbage collection. A full collection walked them all, a pause of 50 ms and more in the
# middle of webhook answers under load.
gc.freeze()
