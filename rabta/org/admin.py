from django.contrib import admin

from rabta.org.models import District, PoliceStation, Post, PostHolding, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ur", "name_ps", "kind")
    search_fields = ("code", "name_en", "name_ur", "name_ps")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ur", "name_ps", "region")
    list_filter = ("region",)
    search_fields = ("code", "name_en", "name_ur", "name_ps")


@admin.register(PoliceStation)
class PoliceStationAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_ur", "district")
    list_filter = ("district__region", "district")
    search_fields = ("name_en", "name_ur", "name_ps", "slug")


class PostHoldingInline(admin.TabularInline):
    model = PostHolding
    extra = 0
    readonly_fields = ("user", "started_at", "ended_at", "note")
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("code", "title_en", "kind", "level", "district", "station", "active")
    list_filter = ("kind", "level", "region")
    search_fields = ("code", "title_en", "title_ur")
    raw_id_fields = ("parent", "station", "district", "region")
    inlines = [PostHoldingInline]
