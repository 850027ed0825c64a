"""Mirror of the PIM's structure: one row per PIM object, keyed by connection and code.

Typed columns hold what we query and filter on; ``raw`` keeps the PIM's JSON for everything else;
``checksum`` (of ``raw``) tells an unchanged object from an updated one without comparing
fields; ``deleted_at`` marks objects that disappeared from the PIM (rows are never dropped, so
derived configuration and exports can still explain what happened to them).
"""

from __future__ import annotations

from django.db import models

from .connection import AkeneoConnection


class MirrorQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class MirrorModel(models.Model):
    # Scope of a code's uniqueness besides the connection (e.g. an option's attribute).
    PARENT_FIELD: str | None = None

    connection = models.ForeignKey(AkeneoConnection, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=255)
    labels = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    checksum = models.CharField(max_length=64, editable=False)
    synced_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = MirrorQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def label(self, locale: str | None = None) -> str:
        if locale and self.labels.get(locale):
            return self.labels[locale]
        return next(iter(self.labels.values()), None) or self.code


def _unique_code(*fields: str) -> list[models.UniqueConstraint]:
    return [
        models.UniqueConstraint(
            fields=["connection", *fields, "code"], name="%(app_label)s_%(class)s_unique_code"
        )
    ]


class Channel(MirrorModel):
    locales = models.JSONField(default=list, blank=True)
    currencies = models.JSONField(default=list, blank=True)
    category_tree = models.CharField(max_length=255, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()


class Locale(MirrorModel):
    enabled = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()


class Currency(MirrorModel):
    enabled = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "currencies"


class MeasurementFamily(MirrorModel):
    standard_unit = models.CharField(max_length=255, blank=True)
    units = models.JSONField(default=dict, blank=True, help_text="unit code → labels, symbol, conversions")

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "measurement families"


class AttributeGroup(MirrorModel):
    sort_order = models.IntegerField(default=0)
    attributes = models.JSONField(default=list, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        ordering = ["sort_order", "code"]


class Attribute(MirrorModel):
    type = models.CharField(max_length=100, db_index=True)
    group_code = models.CharField("group", max_length=255, blank=True, db_index=True)
    sort_order = models.IntegerField(default=0)
    scopable = models.BooleanField(default=False)
    localizable = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    available_locales = models.JSONField(default=list, blank=True)
    metric_family = models.CharField(max_length=255, blank=True)
    default_metric_unit = models.CharField(max_length=255, blank=True)
    decimals_allowed = models.BooleanField(null=True)
    negative_allowed = models.BooleanField(null=True)
    reference_data_name = models.CharField(
        max_length=255, blank=True, help_text="Reference entity or asset family this attribute points to."
    )
    max_characters = models.PositiveIntegerField(null=True, blank=True)
    validation_rule = models.CharField(max_length=100, blank=True)
    validation_regexp = models.CharField(max_length=500, blank=True)
    number_min = models.CharField(max_length=50, blank=True)
    number_max = models.CharField(max_length=50, blank=True)
    date_min = models.CharField(max_length=50, blank=True)
    date_max = models.CharField(max_length=50, blank=True)
    allowed_extensions = models.JSONField(default=list, blank=True)
    max_file_size = models.CharField(max_length=50, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        ordering = ["group_code", "sort_order", "code"]

    @property
    def is_identifier(self) -> bool:
        return self.type == "pim_catalog_identifier"


class AttributeOption(MirrorModel):
    PARENT_FIELD = "attribute_code"

    attribute_code = models.CharField("attribute", max_length=255, db_index=True)
    sort_order = models.IntegerField(default=0)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code("attribute_code")
        ordering = ["attribute_code", "sort_order", "code"]


class Family(MirrorModel):
    attribute_as_label = models.CharField(max_length=255, blank=True)
    attribute_as_image = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=list, blank=True)
    attribute_requirements = models.JSONField(default=dict, blank=True, help_text="channel → attribute codes")

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "families"


class FamilyVariant(MirrorModel):
    PARENT_FIELD = "family_code"

    family_code = models.CharField("family", max_length=255, db_index=True)
    levels = models.PositiveSmallIntegerField(default=1)
    axes = models.JSONField(default=dict, blank=True, help_text="level → axis attribute codes")
    attributes_by_level = models.JSONField(default=dict, blank=True, help_text="level → attribute codes")

    class Meta(MirrorModel.Meta):
        constraints = _unique_code("family_code")


class Category(MirrorModel):
    parent_code = models.CharField("parent", max_length=255, blank=True, db_index=True)
    root_code = models.CharField("tree", max_length=255, blank=True, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0)
    position = models.IntegerField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "categories"
        ordering = ["root_code", "depth", "code"]


class AssociationType(MirrorModel):
    is_quantified = models.BooleanField(default=False)
    is_two_way = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()


class ReferenceEntity(MirrorModel):
    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "reference entities"


class ReferenceEntityAttribute(MirrorModel):
    PARENT_FIELD = "entity_code"

    entity_code = models.CharField("reference entity", max_length=255, db_index=True)
    type = models.CharField(max_length=100)
    value_per_locale = models.BooleanField(default=False)
    value_per_channel = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code("entity_code")


class ReferenceEntityRecord(MirrorModel):
    PARENT_FIELD = "entity_code"

    entity_code = models.CharField("reference entity", max_length=255, db_index=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code("entity_code")


class AssetFamily(MirrorModel):
    attribute_as_main_media = models.CharField(max_length=255, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code()
        verbose_name_plural = "asset families"


class AssetFamilyAttribute(MirrorModel):
    PARENT_FIELD = "asset_family_code"

    asset_family_code = models.CharField("asset family", max_length=255, db_index=True)
    type = models.CharField(max_length=100)
    value_per_locale = models.BooleanField(default=False)
    value_per_channel = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        constraints = _unique_code("asset_family_code")
