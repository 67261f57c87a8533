from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "rabta.cases"
    label = "cases"
    verbose_name = "Cases"
