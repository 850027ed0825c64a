"""PIM attributes → SFCC custom attribute definitions (the `attributes` export job)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from connector.models import Attribute, AttributeOption

from .models import ExportProfile
from .writers.metadata import AttributeDefinition, ValueDefinition

SFCC_TYPES = {
    "pim_catalog_text": "string",
    "pim_catalog_textarea": "text",
    "pim_catalog_number": "double",
    "pim_catalog_metric": "double",
    "pim_catalog_simpleselect": "enum-of-string",
    "pim_catalog_multiselect": "set-of-string",
    "pim_catalog_boolean": "boolean",
    "pim_catalog_date": "date",
    "pim_catalog_image": "string",
    "pim_catalog_file": "string",
    "pim_catalog_asset_collection": "set-of-string",
    "akeneo_reference_entity": "string",
    "akeneo_reference_entity_collection": "set-of-string",
    "pim_catalog_table": "text",
}
# Exported elsewhere: the identifier is the product id, prices go to pricebooks.
NOT_CUSTOM = {"pim_catalog_identifier", "pim_catalog_price_collection"}


def custom_attribute_id(code: str) -> str:
    """``akeneo_`` + the PIM code in camelCase: ``short_description`` → ``akeneo_shortDescription``."""
    head, *rest = re.split(r"[_\-\s]+", code)
    return "akeneo_" + head + "".join(part[:1].upper() + part[1:] for part in rest)


def sfcc_type(attribute: Attribute) -> str:
    if attribute.type == "pim_catalog_number" and attribute.decimals_allowed is False:
        return "int"
    if attribute.type == "pim_catalog_textarea" and (attribute.raw or {}).get("wysiwyg_enabled"):
        return "html"
    return SFCC_TYPES.get(attribute.type, "string")


def localized(labels: dict[str, str], locale_mapping: dict[str, str]) -> dict[str, str]:
    return {sfcc: labels[pim] for pim, sfcc in locale_mapping.items() if labels.get(pim)}


def custom_attributes(profile: ExportProfile) -> Iterator[AttributeDefinition]:
    connection = profile.connection
    mapped_to_system = set(profile.attribute_mapping)
    attributes = (
        Attribute.objects.live()
        .filter(connection=connection)
        .exclude(type__in=NOT_CUSTOM)
        .exclude(code__in=mapped_to_system)
        .order_by("group_code", "sort_order", "code")
    )
    options: dict[str, list[AttributeOption]] = {}
    for option in (
        AttributeOption.objects.live()
        .filter(
            connection=connection,
            attribute_code__in=attributes.filter(type="pim_catalog_simpleselect").values("code"),
        )
        .order_by("attribute_code", "sort_order", "code")
    ):
        options.setdefault(option.attribute_code, []).append(option)
    for attribute in attributes.iterator(chunk_size=500):
        kind = sfcc_type(attribute)
        values = tuple(
            ValueDefinition(option.code, localized(option.labels, profile.locale_mapping))
            for option in options.get(attribute.code, [])
        )
        yield AttributeDefinition(
            attribute_id=custom_attribute_id(attribute.code),
            type=kind,
            display_name=localized(attribute.labels, profile.locale_mapping) or {"x-default": attribute.code},
            localizable=attribute.localizable and kind not in ("boolean", "int", "double", "date"),
            values=values if kind == "enum-of-string" else (),
            unit=attribute.default_metric_unit or None,
        )
