"""The derived project configuration in the admin: editable by hand, overwritten by the next sync."""

from django.contrib import admin
from django.utils.html import format_html

from .models import DisplayGroup, Hierarchy, SdmAttribute


class DerivedAdmin(admin.ModelAdmin):
    """Derived rows may be edited by hand, but the next sync overwrites them; the admin says so."""

    list_filter = ("workflow",)
    search_fields = ("code",)
    readonly_fields = ("sync_note", "synced_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="edited by hand")
    def hand_edit_flag(self, obj) -> str:
        if obj.edited_by_hand:
            return format_html(
                '<strong class="errornote">{}</strong>', "edited by hand: the next sync overwrites it"
            )
        return ""

    @admin.display(description="note")
    def sync_note(self, obj) -> str:
        if obj.pk and obj.edited_by_hand:
            return "This row was edited by hand; the next workflow sync overwrites it with the PIM's values."
        return "Derived from the PIM by the workflow sync: manual changes are overwritten at the next sync."


@admin.register(SdmAttribute)
class SdmAttributeAdmin(DerivedAdmin):
    list_display = (
        "code",
        "pim_attribute_code",
        "channel",
        "locale",
        "sdm_type",
        "display_group",
        "hand_edit_flag",
    )
    list_filter = ("workflow", "sdm_type", "display_group", "kind", "channel", "locale")
    search_fields = ("code", "pim_attribute_code")
    list_select_related = ("workflow",)
    fields = (
        "sync_note",
        "workflow",
        "code",
        "labels",
        *SdmAttribute.DERIVED_FIELDS,
        "position",
        "synced_at",
    )


@admin.register(DisplayGroup)
class DisplayGroupAdmin(DerivedAdmin):
    list_display = ("code", "workflow", "position", "hand_edit_flag")
    fields = ("sync_note", "workflow", "code", "labels", "position", "synced_at")


@admin.register(Hierarchy)
class HierarchyAdmin(DerivedAdmin):
    list_display = ("code", "workflow", "source", "node_count", "hand_edit_flag")
    fields = ("sync_note", "workflow", "code", "source", "labels", "nodes", "position", "synced_at")

    @admin.display(description="nodes")
    def node_count(self, obj) -> int:
        return len(obj.nodes)
