"""PIM product values → the texts SFCC expects, per SFCC locale.

A PIM value list holds one entry per (locale, scope). We keep the profile's channel (or no scope),
the mapped locales (or no locale), and turn the data into strings by attribute type. Prices and
the identifier are not read here: they become pricebooks and product ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from .models import SFCC_LOCALE_DEFAULT

MULTI_VALUE_TYPES = {
    "pim_catalog_multiselect",
    "pim_catalog_asset_collection",
    "akeneo_reference_entity_collection",
}
SKIPPED_TYPES = {"pim_catalog_price_collection"}


@dataclass(frozen=True)
class AttributeInfo:
    code: str
    type: str


@dataclass(frozen=True)
class ExportValue:
    """One attribute's value in one SFCC locale (``None`` = not localized)."""

    code: str
    locale: str | None
    texts: tuple[str, ...]


def _text(data) -> str:
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, float) and data.is_integer():
        return str(int(data))
    return str(data)


def format_data(attribute_type: str, data) -> tuple[str, ...]:
    """The SFCC texts of one PIM data item; empty when there is nothing to say."""
    if data is None or data == "" or data == []:
        return ()
    if attribute_type in MULTI_VALUE_TYPES:
        return tuple(_text(item) for item in data if item not in (None, ""))
    if attribute_type == "pim_catalog_metric":
        amount = data.get("amount") if isinstance(data, dict) else None
        return () if amount in (None, "") else (_text(amount),)
    if attribute_type == "pim_catalog_date":
        return (str(data)[:10],)
    if attribute_type == "pim_catalog_table":
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")),)
    if isinstance(data, dict | list):
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")),)
    return (_text(data),)


class ValueReader:
    def __init__(self, attributes: dict[str, AttributeInfo], channel: str, locale_mapping: dict[str, str]):
        self.attributes = attributes
        self.channel = channel
        self.locale_mapping = locale_mapping

    def read(self, values: dict) -> Iterator[ExportValue]:
        for code, entries in (values or {}).items():
            attribute = self.attributes.get(code)
            if attribute is None or attribute.type in SKIPPED_TYPES:
                continue
            for entry in entries:
                scope, locale = entry.get("scope"), entry.get("locale")
                if scope is not None and scope != self.channel:
                    continue
                if locale is not None and locale not in self.locale_mapping:
                    continue
                texts = format_data(attribute.type, entry.get("data"))
                if texts:
                    yield ExportValue(code, self.locale_mapping[locale] if locale else None, texts)

    def one(self, values: dict, code: str) -> str | None:
        """The value to use where SFCC takes a single text: the unlocalized one, else the x-default one."""
        found = None
        for value in self.read({code: (values or {}).get(code) or []}):
            if value.locale in (None, SFCC_LOCALE_DEFAULT):
                return value.texts[0]
            found = found or value.texts[0]
        return found
