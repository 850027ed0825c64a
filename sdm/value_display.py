"""PIM values as a person reads them: ``0.9 kg``, ``12.50 EUR, 14.00 USD``, ``Yes``, ``Red``.

The preview, the value-mapping pages and the job rows show what a push sends or what the PIM
holds; this turns that JSON into text. A ``ValueFormatter`` serves one connection and one page:
``load`` first reads every label the values about to be shown need (attributes, units, options,
records, families, categories: a fixed number of queries however many values), then ``text``
formats values one by one without touching the database.

What the mirror does not know is shown by its code, never dropped: a value must stay visible
even when its option was created after the last sync.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format
from django.utils.html import strip_tags

from connector.labels import label_in, label_with_code, number_text, words, yes_no
from connector.models import (
    Attribute,
    AttributeOption,
    Category,
    Family,
    MeasurementFamily,
    ReferenceEntityRecord,
)

from .derive import record_labels
from .tables import columns_of

EMPTY = "—"
SHORT = 120  # characters of a value shown in a table cell; the rest is in its title
TABLE_ROWS_SHOWN = 3

OPTIONS = {"pim_catalog_simpleselect", "pim_catalog_multiselect"}
RECORDS = {"akeneo_reference_entity", "akeneo_reference_entity_collection"}
MULTI = {"pim_catalog_multiselect", "akeneo_reference_entity_collection", "pim_catalog_asset_collection"}
PROPERTIES = {"family", "categories", "parent"}  # product fields the preview shows beside values
MEDIA_CODE = re.compile(r"^[0-9a-f]{40}_(.+)$")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Shown:
    """A value's text, and a shorter one for a table cell (``truncated``: the title holds the rest)."""

    text: str

    @property
    def short(self) -> str:
        return shorten(self.text)

    @property
    def truncated(self) -> bool:
        return len(self.text) > SHORT


def shorten(text: str, limit: int = SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money(amount: Any) -> str:
    """An amount with at least two decimals (``12.5`` → ``12.50``) and no more than it carries."""
    number = _decimal(amount)
    if number is None:
        return str(amount)
    number = number.normalize()
    if number.as_tuple().exponent > -2:
        number = number.quantize(Decimal("0.01"))
    return format(number, "f")


def date_text(value: Any) -> str:
    """An ISO date or date-time as the admin writes dates (``March 1, 2026``); anything else as it is."""
    if isinstance(value, datetime | date):
        return date_format(value, "DATE_FORMAT")
    text = str(value)
    try:
        moment = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return date_format(moment, "DATE_FORMAT")


def media_name(code: Any) -> str:
    """A media file code (``8/b/5/c/<sha1>_jacket.jpg``) as its file name (``jacket.jpg``)."""
    name = str(code).rsplit("/", 1)[-1]
    match = MEDIA_CODE.match(name)
    return match.group(1) if match else name


def plain_text(value: Any) -> str:
    """Rich text without its markup, on one line."""
    return SPACES.sub(" ", strip_tags(str(value))).strip()


def generic(value: Any) -> str:
    """Any JSON value in words, never as Python data: for types this module does not know."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict):
        return ", ".join(f"{words(str(k))}: {generic(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(generic(item) for item in value)
    return str(value)


class ValueFormatter:
    """Formats the values of one connection's attributes; build one per page, ``load``, then ``text``."""

    def __init__(self, connection, *, locale: str = "en_US", new_options: Iterable[tuple[str, str]] = ()):
        self.connection = connection
        self.locale = locale
        # (attribute, option code) the push is about to create: shown as new, not as unknown.
        self.new_options = set(new_options)
        self.attributes: dict[str, Attribute] = {}
        self._units: dict[str, dict[str, dict]] | None = None
        self._options: dict[tuple[str, str], dict] = {}
        self._records: dict[tuple[str, str], dict] = {}
        self._families: dict[str, dict] = {}
        self._categories: dict[str, dict] = {}

    # ------------------------------------------------------------------------------ loading
    def load(self, values: Iterable[tuple[str, Any]]) -> ValueFormatter:
        """Read the labels needed to show ``values``, (attribute code or product field, data) pairs."""
        values = [(code, data) for code, data in values]
        wanted = {code for code, _ in values if code not in PROPERTIES} - set(self.attributes)
        if wanted:
            for attribute in (
                Attribute.objects.filter(connection=self.connection, code__in=wanted)
                .only("code", "labels", "type", "metric_family", "reference_data_name", "raw")
                .order_by()
            ):
                self.attributes[attribute.code] = attribute
        options: set[tuple[str, str]] = set()
        records: set[tuple[str, str]] = set()
        families: set[str] = set()
        categories: set[str] = set()
        for code, data in values:
            if data in (None, "", []):
                continue
            if code == "family":
                families.add(str(data))
                continue
            if code == "categories":
                categories.update(str(c) for c in _as_list(data))
                continue
            attribute = self.attributes.get(code)
            if attribute is None:
                continue
            if attribute.type in OPTIONS:
                options.update((code, str(c)) for c in _as_list(data))
            elif attribute.type in RECORDS:
                records.update((attribute.reference_data_name, str(c)) for c in _as_list(data))
            elif attribute.type == "pim_catalog_table":
                records.update(self._table_records(attribute, data))
        if any(a.type in ("pim_catalog_metric", "pim_catalog_table") for a in self.attributes.values()):
            self.units  # noqa: B018 - read now, so that formatting never queries
        self._load_options(options)
        self._load_records(records)
        self._load_labels(Family, families, self._families)
        self._load_labels(Category, categories, self._categories)
        return self

    def load_options(self, keys: Iterable[tuple[str, str, str]]) -> ValueFormatter:
        """Read what ``option_text`` needs for (attribute, table column, option code) keys."""
        keys = list(keys)
        self.load([(attribute, None) for attribute, _, _ in keys])
        options, records = set(), set()
        for attribute_code, column, code in keys:
            attribute = self.attributes.get(attribute_code)
            if attribute is None or not code:
                continue
            if column:
                found = _column(attribute, column)
                if found.get("data_type") == "reference_entity":
                    records.add((found.get("reference_entity_identifier") or "", code))
            elif attribute.type in RECORDS:
                records.add((attribute.reference_data_name, code))
            else:
                options.add((attribute_code, code))
        self._load_options(options)
        self._load_records(records)
        return self

    def _load_options(self, keys: set[tuple[str, str]]) -> None:
        keys -= set(self._options)
        if not keys:
            return
        rows = AttributeOption.objects.filter(
            connection=self.connection,
            attribute_code__in={a for a, _ in keys},
            code__in={c for _, c in keys},
        ).values_list("attribute_code", "code", "labels")
        for attribute, code, labels in rows:
            if (attribute, code) in keys:
                self._options[(attribute, code)] = labels or {}

    def _load_records(self, keys: set[tuple[str, str]]) -> None:
        keys = {k for k in keys if k[0]} - set(self._records)
        if not keys:
            return
        rows = ReferenceEntityRecord.objects.filter(
            connection=self.connection,
            entity_code__in={e for e, _ in keys},
            code__in={c for _, c in keys},
        ).only("entity_code", "code", "raw")
        for record in rows:
            if (record.entity_code, record.code) in keys:
                self._records[(record.entity_code, record.code)] = record_labels(record)

    def _load_labels(self, model, codes: set[str], into: dict[str, dict]) -> None:
        codes -= set(into)
        if codes:
            for code, labels in model.objects.filter(connection=self.connection, code__in=codes).values_list(
                "code", "labels"
            ):
                into[code] = labels or {}

    def _table_records(self, attribute: Attribute, data: Any) -> set[tuple[str, str]]:
        columns = {c.get("code"): c for c in _columns(attribute)}
        found = set()
        for row in data if isinstance(data, list) else []:
            for code, value in row.items() if isinstance(row, dict) else ():
                column = columns.get(code) or {}
                if column.get("data_type") == "reference_entity" and value:
                    found.add((column.get("reference_entity_identifier") or "", str(value)))
        return found

    @property
    def units(self) -> dict[str, dict[str, dict]]:
        """Measurement family → unit code → unit (labels, symbol), read once, when first needed."""
        if self._units is None:
            self._units = dict(
                MeasurementFamily.objects.filter(connection=self.connection).values_list("code", "units")
            )
        return self._units

    # ----------------------------------------------------------------------------- showing
    def attribute_label(self, code: str) -> str:
        if code in PROPERTIES:
            return {"family": "Family", "categories": "Categories", "parent": "Parent model"}[code]
        attribute = self.attributes.get(code)
        return label_in(attribute.labels, self.locale, code) if attribute else code

    def column_label(self, attribute_code: str, column: str) -> str:
        """A table attribute's column by its label (its code when the mirror does not know it)."""
        attribute = self.attributes.get(attribute_code)
        found = _column(attribute, column) if attribute else {}
        return label_in(found.get("labels"), self.locale, column)

    def kind(self, code: str) -> str:
        if code in PROPERTIES:
            return code
        attribute = self.attributes.get(code)
        return attribute.type if attribute else ""

    def shown(self, code: str, data: Any) -> Shown:
        return Shown(self.text(code, data))

    def text(self, code: str, data: Any) -> str:
        """``data``, a value of attribute (or product field) ``code`` as the PIM's API writes it, in words."""
        if data is None or data == "" or data == []:
            return EMPTY
        kind = self.kind(code)
        attribute = self.attributes.get(code)
        if kind == "family":
            return label_with_code(label_in(self._families.get(str(data)), self.locale), str(data))
        if kind == "categories":
            return ", ".join(
                label_with_code(label_in(self._categories.get(str(c)), self.locale), str(c))
                for c in _as_list(data)
            )
        if kind == "pim_catalog_boolean":
            return yes_no(_truth(data))
        if kind == "pim_catalog_number":
            return number_text(data)
        if kind == "pim_catalog_metric" and isinstance(data, dict):
            return self.metric(data, attribute.metric_family if attribute else "")
        if kind == "pim_catalog_price_collection" and isinstance(data, list):
            return ", ".join(
                f"{money(p.get('amount'))} {p.get('currency') or ''}".strip()
                for p in data
                if isinstance(p, dict)
            )
        if kind == "pim_catalog_date":
            return date_text(data)
        if kind in OPTIONS or kind in RECORDS:
            return ", ".join(self.option_text(code, str(c)) for c in _as_list(data))
        if kind == "pim_catalog_asset_collection":
            return ", ".join(str(c) for c in _as_list(data))
        if kind in ("pim_catalog_image", "pim_catalog_file"):
            return media_name(data)
        if kind == "pim_catalog_textarea":
            return plain_text(data) or EMPTY
        if kind == "pim_catalog_table" and isinstance(data, list):
            return self.table(attribute, data)
        if kind == "pim_catalog_product_link" and isinstance(data, dict):
            target = data.get("id") or data.get("code") or ""
            return f"{words(str(data.get('type') or 'product'))} {target}".strip()
        return generic(data)

    def metric(self, data: dict, family: str = "") -> str:
        amount = number_text(data.get("amount"))
        return f"{amount} {self.unit_text(str(data.get('unit') or ''), family, data.get('symbol'))}".strip()

    def unit_text(self, unit: str, family: str = "", symbol: str | None = None) -> str:
        """A unit's symbol (``kg``) when known, else its label, else its code in words."""
        if symbol:
            return symbol
        found = (self.units.get(family) or {}).get(unit)
        if found is None:
            found = next((units[unit] for units in self.units.values() if unit in (units or {})), None)
        if found:
            return found.get("symbol") or label_in(found.get("labels"), self.locale) or words(unit)
        return words(unit)

    def option_text(self, attribute_code: str, code: str, column: str = "") -> str:
        """An option (or record) by its label; its code alone when the mirror does not know it."""
        if not code:
            return EMPTY
        attribute = self.attributes.get(attribute_code)
        labels = None
        if attribute is not None and column:
            found = _column(attribute, column)
            if found.get("data_type") == "reference_entity":
                labels = self._records.get((found.get("reference_entity_identifier") or "", code))
            else:
                labels = next(
                    (o.get("labels") for o in found.get("options") or [] if o.get("code") == code), None
                )
        elif attribute is not None and attribute.type in RECORDS:
            labels = self._records.get((attribute.reference_data_name, code))
        else:
            labels = self._options.get((attribute_code, code))
        if labels is None:
            return f"{code} (new option)" if (attribute_code, code) in self.new_options else code
        return label_with_code(label_in(labels, self.locale), code)

    def table(self, attribute: Attribute | None, rows: list) -> str:
        """A table value in a line: each row's first cell, then the others by column label."""
        columns = _columns(attribute) if attribute else []
        by_code = {c.get("code"): c for c in columns}
        order = [c.get("code") for c in columns]
        lines = []
        for row in rows[:TABLE_ROWS_SHOWN]:
            if not isinstance(row, dict):
                lines.append(generic(row))
                continue
            codes = sorted(row, key=lambda c: order.index(c) if c in order else len(order))
            cells = [(c, self._cell(attribute, by_code.get(c) or {}, c, row[c])) for c in codes]
            if not cells:
                continue
            first, *others = cells
            rest = ", ".join(
                f"{label_in(by_code.get(c, {}).get('labels'), self.locale, c)} {t}" for c, t in others
            )
            lines.append(f"{first[1]}: {rest}" if rest else first[1])
        text = "; ".join(lines)
        if len(rows) > TABLE_ROWS_SHOWN:
            more = len(rows) - TABLE_ROWS_SHOWN
            text += f"; … {more} more row{'s' if more != 1 else ''}"
        count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
        return f"{count}: {text}" if text else count

    def _column_label(self, by_code: dict[str, dict], code: str) -> str:
        return label_in((by_code.get(code) or {}).get("labels"), self.locale, code)

    def _cell(self, attribute: Attribute | None, column: dict, code: str, value: Any) -> str:
        kind = column.get("data_type")
        if value is None or value == "":
            return EMPTY
        if kind in ("select", "reference_entity") and attribute is not None:
            return self.option_text(attribute.code, str(value), code)
        if kind == "number":
            return number_text(value)
        if kind == "boolean":
            return yes_no(_truth(value))
        if kind == "date":
            return date_text(value)
        if kind == "measurement" and isinstance(value, dict):
            return self.metric(value, column.get("measurement_family_code") or "")
        return generic(value)


def _as_list(data: Any) -> list:
    return list(data) if isinstance(data, list | tuple) else [data]


def _truth(value: Any) -> bool | None:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return None if value is None else bool(value)


def _columns(attribute: Attribute) -> list[dict]:
    return columns_of(attribute.raw or {})


def _column(attribute: Attribute, column: str) -> dict:
    return next((c for c in _columns(attribute) if c.get("code") == column), {})
