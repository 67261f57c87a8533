from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rabta.portal"
    label = "portal"
    verbose_name = "Public portal"
