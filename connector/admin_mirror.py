"""The mirror of the PIM in the admin: read-only pages per PIM object type."""

from django.contrib import admin

from . import models
from .admin_readonly import ReadOnlyAdmin


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted in the PIM"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("no", "No"), ("yes", "Yes"))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class MirrorAdmin(ReadOnlyAdmin):
    extra_list_display: tuple[str, ...] = ()
    extra_filters: tuple = ()
    list_select_related = ("connection",)
    search_fields = ("code", "labels")
    date_hierarchy = None

    def get_list_display(self, request):
        return ("code", "label_text", *self.extra_list_display, "connection", "is_live", "synced_at")

    def get_list_filter(self, request):
        return ("connection", *self.extra_filters, DeletedFilter)

    @admin.display(description="label")
    def label_text(self, obj) -> str:
        return obj.label("en_US")

    @admin.display(description="live", boolean=True, ordering="deleted_at")
    def is_live(self, obj) -> bool:
        return obj.deleted_at is None


def _mirror_admin(model, list_display=(), filters=(), search=()):
    attrs = {"extra_list_display": tuple(list_display), "extra_filters": tuple(filters)}
    if search:
        attrs["search_fields"] = ("code", "labels", *search)
    admin.site.register(model, type(f"{model.__name__}Admin", (MirrorAdmin,), attrs))


_mirror_admin(models.Channel, ["category_tree"])
_mirror_admin(models.Locale, ["enabled"], ["enabled"])
_mirror_admin(models.Currency, ["enabled"], ["enabled"])
_mirror_admin(models.MeasurementFamily, ["standard_unit"])
_mirror_admin(models.AttributeGroup, ["sort_order"])
_mirror_admin(
    models.Attribute,
    ["type", "group_code", "scopable", "localizable"],
    ["type", "group_code", "scopable", "localizable"],
    ["group_code"],
)
_mirror_admin(
    models.AttributeOption, ["attribute_code", "sort_order"], ["attribute_code"], ["attribute_code"]
)
_mirror_admin(models.Family, ["attribute_as_label"])
_mirror_admin(models.FamilyVariant, ["family_code", "levels"], ["family_code", "levels"], ["family_code"])
_mirror_admin(models.Category, ["parent_code", "root_code", "depth"], ["root_code", "depth"], ["parent_code"])
_mirror_admin(models.ReferenceEntity)
_mirror_admin(models.ReferenceEntityAttribute, ["entity_code", "type"], ["entity_code", "type"])
_mirror_admin(models.ReferenceEntityRecord, ["entity_code"], ["entity_code"], ["entity_code"])
_mirror_admin(models.AssetFamily, ["attribute_as_main_media"])
_mirror_admin(models.AssetFamilyAttribute, ["asset_family_code", "type"], ["asset_family_code", "type"])
