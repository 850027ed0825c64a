"""SFCC export profiles: which PIM data goes to which SFCC catalogs, how, and where."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from connector.models import AkeneoConnection
from connector.models.connection import validate_cron

SFCC_LOCALE_DEFAULT = "x-default"


def validate_locale_mapping(value) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            'The locale mapping is a JSON object like {"en_US": "x-default", "fr_FR": "fr-FR"}.'
        )
    if list(value.values()).count(SFCC_LOCALE_DEFAULT) != 1:
        raise ValidationError("Exactly one PIM locale must be mapped to x-default.")


class ExportProfile(models.Model):
    name = models.CharField(max_length=100, unique=True)
    connection = models.ForeignKey(AkeneoConnection, on_delete=models.PROTECT, related_name="export_profiles")
    channel = models.CharField("PIM channel", max_length=255)
    master_catalog_id = models.CharField(max_length=256)
    storefront_catalog_id = models.CharField(max_length=256)
    site_id = models.CharField(max_length=256, blank=True)
    locale_mapping = models.JSONField(
        default=dict,
        validators=[validate_locale_mapping],
        help_text='PIM locale → SFCC locale, e.g. {"en_US": "x-default"}',
    )
    attribute_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text='PIM attribute → SFCC system attribute, e.g. {"name": "name", "ean": "ean"}',
    )
    attribute_group_id = models.CharField(max_length=256, default="AkeneoAttributes")
    families = models.JSONField(default=list, blank=True, help_text="Family codes to export; empty = all.")
    output_dir = models.CharField(
        max_length=500, blank=True, help_text="Default: EXPORT_ROOT/<profile name>."
    )
    sync_cron = models.CharField(max_length=100, blank=True, validators=[validate_cron])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("export_exportprofile", "Can run SFCC exports")]

    def __str__(self) -> str:
        return self.name
