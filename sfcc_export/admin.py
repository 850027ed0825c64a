from django.contrib import admin

from .models import ExportProfile


@admin.register(ExportProfile)
class ExportProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "connection", "channel", "master_catalog_id", "storefront_catalog_id")
    list_filter = ("connection",)
    list_select_related = ("connection",)
    search_fields = ("name", "master_catalog_id", "storefront_catalog_id")
