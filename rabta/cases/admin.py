from django.contrib import admin

from rabta.cases.models import Case, ReplyTemplate, TriageCorrection


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("ref", "status", "category", "urgency", "district", "post", "opened_at")
    list_filter = ("status", "category", "urgency", "sensitive")
    search_fields = ("ref",)
    raw_id_fields = ("district", "station", "post", "assignee", "contact", "conversation", "merged_into", "region")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        # Sensitive cases stay in their compartment even in the admin site.
        return super().get_queryset(request).filter(sensitive=False)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TriageCorrection)
class TriageCorrectionAdmin(admin.ModelAdmin):
    list_display = ("case", "field", "old_value", "new_value", "actor", "at")





@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "category", "active")
    list_filter = ("language", "category", "active")
