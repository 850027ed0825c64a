"""The mirror of the PIM in the admin: read-only pages per PIM object type.

Object pages show each object as a person reads it: labels per locale, related objects by label
with links, settings in words (connector.labels). The PIM's JSON stays available, folded away,
as key/value rows: never a JSON block to decipher. Each page costs a few queries, never one per
row it shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from . import models
from .admin_readonly import ReadOnlyAdmin
from .labels import (
    attribute_properties,
    attribute_type_label,
    entity_attribute_type_label,
    label_in,
    label_with_code,
    locale_rows,
    number_text,
    pim_data_rows,
    table_column_type_label,
    words,
    yes_no,
)

NONE = "—"
OPERATORS = {"mul": "×", "div": "÷", "add": "+", "sub": "−"}


# ------------------------------------------------------------------------------- helpers
def table(headers: Iterable[str], rows: Iterable[Iterable], css: str = "mirror-table") -> str:
    """An HTML table of plain (escaped) or already safe cells; a dash when there are no rows."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return NONE
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((NONE if cell in (None, "") else cell,) for cell in row)),)
            for row in rows
        ),
    )
    return format_html(
        '<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', css, head, body
    )


def change_link(obj, text: str | None = None) -> str:
    """A link to a mirror object's page, named by its label (and code where that helps)."""
    if obj is None:
        return NONE
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or label_with_code(obj.label("en_US"), obj.code))


def changelist_link(model, text: str, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), text)


def by_code(model, connection_id: int, codes: Iterable[str], **filters) -> dict[str, object]:
    """Mirror objects of one connection by code, read in one query."""
    codes = [c for c in dict.fromkeys(codes) if c]
    if not codes:
        return {}
    found = model.objects.filter(connection_id=connection_id, code__in=codes, **filters)
    return {obj.code: obj for obj in found}


def code_links(objects: dict[str, object], codes: Iterable[str]) -> str:
    """Comma-separated links to the objects named by ``codes``; codes the mirror lacks as they are."""
    parts = [change_link(objects[c]) if c in objects else c for c in codes]
    return format_html_join(", ", "{}", ((part,) for part in parts)) if parts else NONE


def conversion_text(operations) -> str:
    """``[{"operator": "mul", "value": "0.001"}]`` → ``× 0.001`` (from the family's standard unit)."""
    steps = [
        f"{OPERATORS.get(op.get('operator'), op.get('operator'))} {number_text(op.get('value'))}"
        for op in operations or []
        if isinstance(op, dict)
    ]
    return ", then ".join(steps) or NONE


def category_path(code: str, parents: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """(code, label) from the tree's root down to ``code``; ``parents``: code → (parent, label)."""
    path, seen = [], set()
    while code and code in parents and code not in seen:
        seen.add(code)
        parent, label = parents[code]
        path.append((code, label))
        code = parent
    return list(reversed(path))


# ------------------------------------------------------------------------------- filters
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


class TypeFilter(admin.SimpleListFilter):
    """Filter by type, each type by its words (the PIM's codes are not for people)."""

    title = "type"
    parameter_name = "type"

    @staticmethod
    def words(code: str) -> str:
        return attribute_type_label(code)

    def lookups(self, request, model_admin):
        used = model_admin.model.objects.order_by().values_list("type", flat=True).distinct()
        return sorted(((code, self.words(code)) for code in used), key=lambda item: item[1].lower())

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


class EntityTypeFilter(TypeFilter):
    @staticmethod
    def words(code: str) -> str:
        return entity_attribute_type_label(code)


# ------------------------------------------------------------------------------- base
class MirrorAdmin(ReadOnlyAdmin):
    extra_list_display: tuple[str, ...] = ()
    extra_filters: tuple = ()
    # Fields of the object page between the labels and the sync facts: model fields or methods.
    detail_fields: tuple[str, ...] = ()
    list_select_related = ("connection",)
    search_fields = ("code", "labels")
    date_hierarchy = None

    def get_list_display(self, request):
        # When it was synced is on the object page: every row of a sync shares it, so a column of it
        # only pushes the others off a laptop's screen.
        return ("code", "label_text", *self.extra_list_display, "connection", "is_live")

    def get_list_filter(self, request):
        return ("connection", *self.extra_filters, DeletedFilter)

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ("code", "labels_table", *self.detail_fields)}),
            ("Synchronization", {"fields": ("connection", "status", "synced_at")}),
            (
                "PIM data",
                {
                    "classes": ("collapse",),
                    "fields": ("pim_data",),
                    "description": "What the PIM's API answered for this object at the last sync.",
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    @admin.display(description="label")
    def label_text(self, obj) -> str:
        return obj.label("en_US")

    @admin.display(description="live", boolean=True, ordering="deleted_at")
    def is_live(self, obj) -> bool:
        return obj.deleted_at is None

    def shown_labels(self, obj) -> dict[str, str]:
        return obj.labels

    @admin.display(description="labels")
    def labels_table(self, obj) -> str:
        locales = (
            models.Locale.objects.live()
            .filter(connection_id=obj.connection_id, enabled=True)
            .order_by("code")
            .values_list("code", flat=True)
        )
        return table(
            ("Locale", "Label"), locale_rows(self.shown_labels(obj), locales), "mirror-table labels-table"
        )

    @admin.display(description="in the PIM")
    def status(self, obj) -> str:
        if obj.deleted_at is None:
            return "Yes (found at the last sync)"
        return f"No: gone from the PIM since {obj.deleted_at:%Y-%m-%d %H:%M}"

    @admin.display(description="PIM data")
    def pim_data(self, obj) -> str:
        return table(("Key", "Value"), pim_data_rows(obj.raw), "mirror-table pim-data")


def _mirror_admin(model, list_display=(), filters=(), search=(), details=()):
    attrs = {
        "extra_list_display": tuple(list_display),
        "extra_filters": tuple(filters),
        "detail_fields": tuple(details),
    }
    if search:
        attrs["search_fields"] = ("code", "labels", *search)
    admin.site.register(model, type(f"{model.__name__}Admin", (MirrorAdmin,), attrs))


# ------------------------------------------------------------------------------- models
@admin.register(models.Channel)
class ChannelAdmin(MirrorAdmin):
    extra_list_display = ("category_tree",)
    detail_fields = ("locales_text", "currencies_text", "tree_link", "conversion_units")

    @admin.display(description="locales")
    def locales_text(self, channel) -> str:
        return ", ".join(channel.locales) or NONE

    @admin.display(description="currencies")
    def currencies_text(self, channel) -> str:
        return ", ".join(channel.currencies) or NONE

    @admin.display(description="category tree")
    def tree_link(self, channel) -> str:
        if not channel.category_tree:
            return NONE
        found = by_code(models.Category, channel.connection_id, [channel.category_tree])
        return code_links(found, [channel.category_tree])

    @admin.display(description="units used for exports")
    def conversion_units(self, channel) -> str:
        units = (channel.raw or {}).get("conversion_units") or {}
        return table(("Attribute", "Unit"), ((code, words(unit)) for code, unit in units.items()))


@admin.register(models.MeasurementFamily)
class MeasurementFamilyAdmin(MirrorAdmin):
    extra_list_display = ("standard_unit",)
    detail_fields = ("standard_unit_text", "units_table")

    @admin.display(description="standard unit")
    def standard_unit_text(self, family) -> str:
        unit = (family.units or {}).get(family.standard_unit) or {}
        return label_with_code(
            label_in(unit.get("labels"), default=words(family.standard_unit)), family.standard_unit
        )

    @admin.display(description="units")
    def units_table(self, family) -> str:
        return table(
            ("Code", "Label", "Symbol", "From the standard unit"),
            (
                (
                    code,
                    label_in(unit.get("labels")),
                    unit.get("symbol"),
                    conversion_text(unit.get("convert_from_standard")),
                )
                for code, unit in (family.units or {}).items()
                if isinstance(unit, dict)
            ),
        )


@admin.register(models.AttributeGroup)
class AttributeGroupAdmin(MirrorAdmin):
    extra_list_display = ("sort_order",)
    detail_fields = ("sort_order", "attributes_table")

    @admin.display(description="attributes")
    def attributes_table(self, group) -> str:
        found = by_code(models.Attribute, group.connection_id, group.attributes)
        return table(
            ("Attribute", "Type"),
            (
                (
                    change_link(found[c]) if c in found else c,
                    attribute_type_label(found[c].type) if c in found else "",
                )
                for c in group.attributes
            ),
        )


@admin.register(models.Attribute)
class AttributeAdmin(MirrorAdmin):
    extra_list_display = ("type_text", "group_code", "varies_by")
    extra_filters = (TypeFilter, "group_code", "scopable", "localizable")
    search_fields = ("code", "labels", "group_code")
    detail_fields = ("type_text", "group_link", "properties", "options_link", "table_columns", "families")
    SELECTS = ("pim_catalog_simpleselect", "pim_catalog_multiselect")

    def get_fieldsets(self, request, obj=None):
        # Options and table columns only on the attributes that have them.
        fieldsets = super().get_fieldsets(request, obj)
        kind = obj.type if obj is not None else ""
        skip = {"options_link"} if kind not in self.SELECTS else set()
        skip |= {"table_columns"} if kind != "pim_catalog_table" else set()
        name, options = fieldsets[0]
        fieldsets[0] = (name, {**options, "fields": tuple(f for f in options["fields"] if f not in skip)})
        return fieldsets

    @admin.display(description="type", ordering="type")
    def type_text(self, attribute) -> str:
        return attribute_type_label(attribute.type)

    @admin.display(description="value per")
    def varies_by(self, attribute) -> str:
        return (
            ", ".join(
                w for w, on in (("channel", attribute.scopable), ("locale", attribute.localizable)) if on
            )
            or NONE
        )

    @admin.display(description="group")
    def group_link(self, attribute) -> str:
        found = by_code(models.AttributeGroup, attribute.connection_id, [attribute.group_code])
        return code_links(found, [attribute.group_code]) if attribute.group_code else NONE

    @admin.display(description="settings")
    def properties(self, attribute) -> str:
        return table(("Setting", "Value"), attribute_properties(attribute), "mirror-table properties")

    @admin.display(description="options")
    def options_link(self, attribute) -> str:
        count = (
            models.AttributeOption.objects.live()
            .filter(connection_id=attribute.connection_id, attribute_code=attribute.code)
            .count()
        )
        return changelist_link(
            models.AttributeOption,
            f"{count} options",
            attribute_code=attribute.code,
            connection__id__exact=attribute.connection_id,
        )

    @admin.display(description="table columns")
    def table_columns(self, attribute) -> str:
        columns = [c for c in (attribute.raw or {}).get("table_configuration") or [] if isinstance(c, dict)]
        return table(
            ("Column", "Label", "Type", "Options"),
            (
                (
                    c.get("code"),
                    label_in(c.get("labels")),
                    table_column_type_label(c.get("data_type") or ""),
                    ", ".join(
                        label_with_code(label_in(o.get("labels")), o.get("code", ""))
                        for o in c.get("options") or []
                        if isinstance(o, dict)
                    ),
                )
                for c in columns
            ),
        )

    @admin.display(description="in families")
    def families(self, attribute) -> str:
        found = {
            f.code: f
            for f in models.Family.objects.live()
            .filter(connection_id=attribute.connection_id)
            .only("code", "labels", "attributes")
            if attribute.code in (f.attributes or [])
        }
        return code_links(found, sorted(found))


@admin.register(models.AttributeOption)
class AttributeOptionAdmin(MirrorAdmin):
    extra_list_display = ("attribute_code", "sort_order")
    extra_filters = ("attribute_code",)
    search_fields = ("code", "labels", "attribute_code")
    detail_fields = ("attribute_link", "sort_order")

    @admin.display(description="attribute")
    def attribute_link(self, option) -> str:
        return code_links(
            by_code(models.Attribute, option.connection_id, [option.attribute_code]), [option.attribute_code]
        )


@admin.register(models.Family)
class FamilyAdmin(MirrorAdmin):
    extra_list_display = ("attribute_as_label",)
    detail_fields = ("label_attribute", "image_attribute", "attributes_table", "variants")

    def _attributes(self, family) -> dict:
        # One query for every attribute the page names; kept on the object for the other fields.
        if getattr(family, "_attributes", None) is None:
            codes = [*family.attributes, family.attribute_as_label, family.attribute_as_image]
            family._attributes = by_code(models.Attribute, family.connection_id, codes)
        return family._attributes

    @admin.display(description="attribute used as label")
    def label_attribute(self, family) -> str:
        return (
            code_links(self._attributes(family), [family.attribute_as_label])
            if family.attribute_as_label
            else NONE
        )

    @admin.display(description="attribute used as image")
    def image_attribute(self, family) -> str:
        return (
            code_links(self._attributes(family), [family.attribute_as_image])
            if family.attribute_as_image
            else NONE
        )

    @admin.display(description="attributes")
    def attributes_table(self, family) -> str:
        found = self._attributes(family)
        requirements = family.attribute_requirements or {}
        channels = by_code(models.Channel, family.connection_id, requirements)
        # Sorted: PostgreSQL's jsonb does not keep the PIM's key order, SQLite does.
        required_in = {
            code: [
                label_in(channels[ch].labels, default=ch) if ch in channels else ch
                for ch, codes in sorted(requirements.items())
                if code in codes
            ]
            for code in family.attributes
        }
        return table(
            ("Attribute", "Type", "Required in"),
            (
                (
                    change_link(found[code]) if code in found else code,
                    attribute_type_label(found[code].type) if code in found else "",
                    ", ".join(required_in.get(code) or []),
                )
                for code in family.attributes
            ),
        )

    @admin.display(description="family variants")
    def variants(self, family) -> str:
        found = {
            v.code: v
            for v in models.FamilyVariant.objects.live().filter(
                connection_id=family.connection_id, family_code=family.code
            )
        }
        return code_links(found, sorted(found))


@admin.register(models.FamilyVariant)
class FamilyVariantAdmin(MirrorAdmin):
    extra_list_display = ("family_code", "levels")
    extra_filters = ("family_code", "levels")
    search_fields = ("code", "labels", "family_code")
    detail_fields = ("family_link", "levels", "levels_table", "common_attributes")

    def _attributes(self, variant) -> dict:
        if getattr(variant, "_attributes", None) is None:
            codes = [c for level in (variant.attributes_by_level or {}).values() for c in level]
            codes += [c for level in (variant.axes or {}).values() for c in level]
            codes += (variant.raw or {}).get("common_attributes") or []
            variant._attributes = by_code(models.Attribute, variant.connection_id, codes)
        return variant._attributes

    @admin.display(description="family")
    def family_link(self, variant) -> str:
        return code_links(
            by_code(models.Family, variant.connection_id, [variant.family_code]), [variant.family_code]
        )

    @admin.display(description="levels of variation")
    def levels_table(self, variant) -> str:
        found = self._attributes(variant)
        levels = sorted(
            set(variant.axes or {}) | set(variant.attributes_by_level or {}),
            key=lambda n: int(n) if str(n).isdigit() else 0,
        )
        # One level: root models hold variant products; two: root models → sub-models → variants.
        names = (
            {"1": "1: sub-models", "2": "2: variant products"}
            if len(levels) > 1
            else {"1": "1: variant products"}
        )
        return table(
            ("Level", "Variant axes", "Attributes set at this level"),
            (
                (
                    names.get(str(level), str(level)),
                    code_links(found, (variant.axes or {}).get(level) or []),
                    code_links(found, (variant.attributes_by_level or {}).get(level) or []),
                )
                for level in levels
            ),
        )

    @admin.display(description="common attributes (set on the root model)")
    def common_attributes(self, variant) -> str:
        return code_links(self._attributes(variant), (variant.raw or {}).get("common_attributes") or [])


@admin.register(models.Category)
class CategoryAdmin(MirrorAdmin):
    extra_list_display = ("parent_code", "root_code", "depth")
    extra_filters = ("root_code", "depth")
    search_fields = ("code", "labels", "parent_code")
    detail_fields = ("path", "parent_link", "depth", "children")

    def _tree(self, category) -> dict[str, tuple[str, str]]:
        if getattr(category, "_tree", None) is None:
            rows = models.Category.objects.filter(
                connection_id=category.connection_id, root_code=category.root_code or category.code
            ).values_list("code", "parent_code", "labels")
            category._tree = {code: (parent, label_in(labels, default=code)) for code, parent, labels in rows}
        return category._tree

    @admin.display(description="path")
    def path(self, category) -> str:
        steps = category_path(category.code, self._tree(category)) or [
            (category.code, category.label("en_US"))
        ]
        return " › ".join(label for _, label in steps)

    @admin.display(description="parent")
    def parent_link(self, category) -> str:
        if not category.parent_code:
            return "— (the root of a category tree)"
        return code_links(
            by_code(models.Category, category.connection_id, [category.parent_code]), [category.parent_code]
        )

    @admin.display(description="sub-categories")
    def children(self, category) -> str:
        found = {
            c.code: c
            for c in models.Category.objects.live().filter(
                connection_id=category.connection_id, parent_code=category.code
            )
        }
        return code_links(found, sorted(found))


def _entity_attributes_table(attributes) -> str:
    return table(
        ("Attribute", "Type", "Value per locale", "Value per channel"),
        (
            (
                change_link(a),
                entity_attribute_type_label(a.type),
                yes_no(a.value_per_locale),
                yes_no(a.value_per_channel),
            )
            for a in attributes
        ),
    )


@admin.register(models.ReferenceEntity)
class ReferenceEntityAdmin(MirrorAdmin):
    detail_fields = ("attributes_table", "records_link")

    @admin.display(description="attributes")
    def attributes_table(self, entity) -> str:
        return _entity_attributes_table(
            models.ReferenceEntityAttribute.objects.live().filter(
                connection_id=entity.connection_id, entity_code=entity.code
            )
        )

    @admin.display(description="records")
    def records_link(self, entity) -> str:
        count = (
            models.ReferenceEntityRecord.objects.live()
            .filter(connection_id=entity.connection_id, entity_code=entity.code)
            .count()
        )
        return changelist_link(
            models.ReferenceEntityRecord,
            f"{count} records",
            entity_code=entity.code,
            connection__id__exact=entity.connection_id,
        )


class EntityAttributeAdmin(MirrorAdmin):
    parent_model = models.ReferenceEntity
    parent_field = "entity_code"

    def get_list_display(self, request):
        return ("code", "label_text", self.parent_field, "type_text", "connection", "is_live")

    def get_list_filter(self, request):
        return ("connection", self.parent_field, EntityTypeFilter, DeletedFilter)

    detail_fields = (
        "parent_link",
        "type_text",
        "value_per_locale_text",
        "value_per_channel_text",
        "settings",
    )

    @admin.display(description="type", ordering="type")
    def type_text(self, attribute) -> str:
        return entity_attribute_type_label(attribute.type)

    @admin.display(description="belongs to")
    def parent_link(self, attribute) -> str:
        code = getattr(attribute, self.parent_field)
        return code_links(by_code(self.parent_model, attribute.connection_id, [code]), [code])

    @admin.display(description="value per locale")
    def value_per_locale_text(self, attribute) -> str:
        return yes_no(attribute.value_per_locale)

    @admin.display(description="value per channel")
    def value_per_channel_text(self, attribute) -> str:
        return yes_no(attribute.value_per_channel)

    @admin.display(description="settings")
    def settings(self, attribute) -> str:
        skip = {"code", "labels", "type", "value_per_locale", "value_per_channel"}
        rows = pim_data_rows({k: v for k, v in (attribute.raw or {}).items() if k not in skip})
        return table(("Setting", "Value"), rows, "mirror-table properties")


@admin.register(models.ReferenceEntityAttribute)
class ReferenceEntityAttributeAdmin(EntityAttributeAdmin):
    parent_model = models.ReferenceEntity
    parent_field = "entity_code"


@admin.register(models.ReferenceEntityRecord)
class ReferenceEntityRecordAdmin(MirrorAdmin):
    extra_list_display = ("entity_code",)
    extra_filters = ("entity_code",)
    search_fields = ("code", "labels", "entity_code")
    detail_fields = ("entity_link", "values_table")

    @staticmethod
    def record_labels(record) -> dict[str, str]:
        # A record has no labels of its own: its "label" attribute holds them, one value per locale.
        values = ((record.raw or {}).get("values") or {}).get("label") or []
        return {
            v["locale"]: v["data"]
            for v in values
            if isinstance(v, dict) and v.get("locale") and v.get("data")
        }

    @admin.display(description="label")
    def label_text(self, record) -> str:
        return label_in(self.shown_labels(record), default=record.code)

    def shown_labels(self, record) -> dict[str, str]:
        return record.labels or self.record_labels(record)

    @admin.display(description="reference entity")
    def entity_link(self, record) -> str:
        return code_links(
            by_code(models.ReferenceEntity, record.connection_id, [record.entity_code]), [record.entity_code]
        )

    @admin.display(description="values")
    def values_table(self, record) -> str:
        attributes = {
            a.code: a
            for a in models.ReferenceEntityAttribute.objects.filter(
                connection_id=record.connection_id, entity_code=record.entity_code
            )
        }
        values = (record.raw or {}).get("values") or {}
        return table(
            ("Attribute", "Locale", "Channel", "Value"),
            (
                (
                    attributes[code].label("en_US") if code in attributes else code,
                    value.get("locale"),
                    value.get("channel"),
                    ", ".join(map(str, value.get("data")))
                    if isinstance(value.get("data"), list)
                    else value.get("data"),
                )
                for code, entries in values.items()
                for value in entries or []
                if isinstance(value, dict)
            ),
        )


@admin.register(models.AssetFamily)
class AssetFamilyAdmin(MirrorAdmin):
    extra_list_display = ("attribute_as_main_media",)
    detail_fields = ("main_media", "attributes_table")

    def _attributes(self, family):
        return list(
            models.AssetFamilyAttribute.objects.live().filter(
                connection_id=family.connection_id, asset_family_code=family.code
            )
        )

    @admin.display(description="attribute used as main media")
    def main_media(self, family) -> str:
        found = {a.code: a for a in self._attributes(family)}
        return code_links(found, [family.attribute_as_main_media]) if family.attribute_as_main_media else NONE

    @admin.display(description="attributes")
    def attributes_table(self, family) -> str:
        return _entity_attributes_table(self._attributes(family))


@admin.register(models.AssetFamilyAttribute)
class AssetFamilyAttributeAdmin(EntityAttributeAdmin):
    parent_model = models.AssetFamily
    parent_field = "asset_family_code"


_mirror_admin(models.Locale, ["enabled"], ["enabled"], details=["enabled"])
_mirror_admin(models.Currency, ["enabled"], ["enabled"], details=["enabled"])
_mirror_admin(
    models.AssociationType, ["is_quantified", "is_two_way"], details=["is_quantified", "is_two_way"]
)
