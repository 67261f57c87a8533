from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "rabta.org"
    label = "org"
    verbose_name = "Police organisation"
