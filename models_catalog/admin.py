from django.contrib import admin

from .models import CatalogEntry


@admin.register(CatalogEntry)
class CatalogEntryAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "family", "library", "enabled")
    list_filter = ("enabled", "family", "library")
    list_editable = ("enabled",)
    search_fields = ("key", "name", "description")
    readonly_fields = ("key", "name", "family", "library", "targets", "description", "params_schema", "synced_at")

    def has_add_permission(self, request):
        return False  # entries are defined in code and synced; admins only enable or disable them
