from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from rabta.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "region", "district", "station", "is_active")
    list_filter = ("role", "is_active", "region")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Role and jurisdiction", {"fields": ("role", "region", "district", "station", "phone", "preferred_language")}),
    )
    raw_id_fields = ("station", "district", "region")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Users are deactivated, never deleted: their cases, audit events and holdings refer to them.
        return False
