from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "rabta.intake"
    label = "intake"
    verbose_name = "Intake: channels, deliveries, contacts and messages"
