from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "rabta.notify"
    label = "notify"
    verbose_name = "Notifications (outbox)"
