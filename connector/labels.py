"""Words for the PIM's codes, wherever a person reads them (lists, object pages, the SDM's tabs).

Plain data and pure functions, no queries: callers bring what they have already read. A code we
have no words for is shown as it is, never hidden: a PIM newer than this module may add types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

# Product attribute types (GET /attributes "type").
ATTRIBUTE_TYPES = {
    "pim_catalog_identifier": "Identifier",
    "pim_catalog_text": "Text",
    "pim_catalog_textarea": "Text area",
    "pim_catalog_number": "Number",
    "pim_catalog_metric": "Measurement",
    "pim_catalog_price_collection": "Price",
    "pim_catalog_simpleselect": "Simple select",
    "pim_catalog_multiselect": "Multi select",
    "pim_catalog_boolean": "Yes/No",
    "pim_catalog_date": "Date",
    "pim_catalog_image": "Image",
    "pim_catalog_file": "File",
    "pim_catalog_asset_collection": "Asset collection",
    "akeneo_reference_entity": "Reference entity (single link)",
    "akeneo_reference_entity_collection": "Reference entity (multiple links)",
    "pim_catalog_table": "Table",
    "pim_catalog_product_link": "Product link",
    "pim_reference_data_simpleselect": "Reference data (single)",
    "pim_reference_data_multiselect": "Reference data (multiple)",
}

# Attribute types of reference entities and asset families (their own, shorter vocabulary).
ENTITY_ATTRIBUTE_TYPES = {
    "text": "Text",
    "number": "Number",
    "boolean": "Yes/No",
    "date": "Date",
    "image": "Image",
    "media_file": "Media file",
    "media_link": "Media link",
    "single_option": "Single option",
    "multiple_options": "Multiple options",
    "reference_entity_single_link": "Reference entity (single link)",
    "reference_entity_multiple_links": "Reference entity (multiple links)",
    "asset_collection": "Asset collection",
}

# Column types of a table attribute ("table_configuration[].data_type").
TABLE_COLUMN_TYPES = {
    "select": "Simple select",
    "text": "Text",
    "number": "Number",
    "boolean": "Yes/No",
    "measurement": "Measurement",
    "reference_entity": "Reference entity",
    "date": "Date",
    "product_link": "Product link",
}

# Types of the derived SDM attributes (sdm.derive.SDM_TYPES' values).
SDM_TYPES = {
    "identifier": "Identifier",
    "text": "Text",
    "textarea": "Text area",
    "number": "Number",
    "price": "Price",
    "select": "Simple select",
    "multiselect": "Multi select",
    "boolean": "Yes/No",
    "date": "Date",
    "image": "Image",
    "file": "File",
    "asset_collection": "Asset collection",
    "table": "Table",
}


def attribute_type_label(code: str) -> str:
    return ATTRIBUTE_TYPES.get(code, code)


def entity_attribute_type_label(code: str) -> str:
    return ENTITY_ATTRIBUTE_TYPES.get(code, code)


def table_column_type_label(code: str) -> str:
    return TABLE_COLUMN_TYPES.get(code, code)


def sdm_type_label(code: str) -> str:
    return SDM_TYPES.get(code, code)


def type_choices(words: Mapping[str, str], current: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(code, words) for a select of types, sorted by words; codes in use but unknown are kept."""
    extra = {code: code for code in current if code and code not in words}
    return sorted({**words, **extra}.items(), key=lambda item: item[1].lower())


_SPLIT = re.compile(r"[_\s]+")


def words(code: str) -> str:
    """A code as words: ``CUBIC_METER`` → ``cubic meter``, ``attribute_as_label`` → ``attribute as label``."""
    if not code:
        return ""
    text = _SPLIT.sub(" ", str(code)).strip()
    return text.lower() if text.isupper() else text


def sentence(code: str) -> str:
    """A key as a heading: ``attribute_as_label`` → ``Attribute as label``."""
    text = words(code)
    return text[:1].upper() + text[1:]


def yes_no(value: Any) -> str:
    if value is None:
        return "—"
    return "Yes" if value else "No"


def number_text(value: Any) -> str:
    """A number without needless zeros or exponents: ``"0.90"`` → ``0.9``, ``"12.0000"`` → ``12``."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def label_in(labels: Mapping[str, str] | None, locale: str = "en_US", default: str = "") -> str:
    """The label in ``locale``, else the first one there is, else ``default``."""
    labels = labels or {}
    return labels.get(locale) or next((text for text in labels.values() if text), "") or default


def label_with_code(label: str, code: str) -> str:
    """``Red`` for option ``red``, ``38 (size_38)``: the code only where it adds something."""
    if not label or label == code:
        return code
    if _SPLIT.sub("", label).lower() == _SPLIT.sub("", code).lower():
        return label
    return f"{label} ({code})"


def locale_rows(labels: Mapping[str, str] | None, locales: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(locale, label) for a per-locale table: the given locales first, then any other the labels hold."""
    labels = labels or {}
    order = list(dict.fromkeys([*locales, *labels]))
    return [(locale, labels.get(locale) or "") for locale in order]


# ---------------------------------------------------------------------- attribute properties
VALIDATION_RULES = {"email": "An email address", "url": "A URL", "regexp": "Matches a pattern"}


def attribute_properties(attribute) -> list[tuple[str, str]]:
    """A product attribute's settings in words, only those that mean something for its type.

    ``attribute`` is a mirror ``Attribute`` (typed columns, ``raw`` for the rest).
    """
    raw = attribute.raw or {}
    kind = attribute.type
    rows = [
        ("Value per channel", yes_no(attribute.scopable)),
        ("Value per locale", yes_no(attribute.localizable)),
    ]
    if attribute.available_locales:
        rows.append(("Only for the locales", ", ".join(attribute.available_locales)))
    if attribute.unique or kind == "pim_catalog_identifier":
        rows.append(("Unique value", yes_no(attribute.unique)))
    if raw.get("is_main_identifier"):
        rows.append(("Main identifier", "Yes"))
    if raw.get("is_mandatory"):
        rows.append(("Always required", "Yes"))
    if attribute.metric_family:
        rows.append(("Measurement family", attribute.metric_family))
    if attribute.default_metric_unit:
        rows.append(("Default unit", words(attribute.default_metric_unit)))
    if kind in ("pim_catalog_number", "pim_catalog_metric", "pim_catalog_price_collection"):
        rows.append(("Decimals allowed", yes_no(attribute.decimals_allowed)))
    if kind in ("pim_catalog_number", "pim_catalog_metric"):
        rows.append(("Negative values allowed", yes_no(attribute.negative_allowed)))
    if attribute.number_min or attribute.number_max:
        rows.append(("Range", _range(attribute.number_min, attribute.number_max, number_text)))
    if attribute.date_min or attribute.date_max:
        rows.append(("Dates", _range(attribute.date_min[:10], attribute.date_max[:10], str)))
    if attribute.max_characters:
        rows.append(("At most", f"{attribute.max_characters} characters"))
    if attribute.validation_rule and attribute.validation_rule != "none":
        rule = VALIDATION_RULES.get(attribute.validation_rule, words(attribute.validation_rule))
        if attribute.validation_rule == "regexp" and attribute.validation_regexp:
            rule = f"{rule}: {attribute.validation_regexp}"
        rows.append(("Validation", rule))
    if raw.get("wysiwyg_enabled") is not None and kind == "pim_catalog_textarea":
        rows.append(("Rich text editor", yes_no(raw.get("wysiwyg_enabled"))))
    if attribute.allowed_extensions:
        rows.append(("Allowed files", ", ".join(attribute.allowed_extensions)))
    if attribute.max_file_size:
        rows.append(("Largest file", f"{number_text(attribute.max_file_size)} MB"))
    if attribute.reference_data_name:
        target = "Asset family" if kind == "pim_catalog_asset_collection" else "Reference entity"
        rows.append((target, attribute.reference_data_name))
    if raw.get("useable_as_grid_filter") is not None:
        rows.append(("Filter in the PIM's product grid", yes_no(raw.get("useable_as_grid_filter"))))
    return rows


def _range(low: str, high: str, show) -> str:
    if low and high:
        return f"{show(low)} to {show(high)}"
    return f"at least {show(low)}" if low else f"at most {show(high)}"


# ------------------------------------------------------------------------------ PIM data
PIM_DATA_MAX_ROWS = 500


def pim_data_rows(raw: Any, *, prefix: str = "") -> list[tuple[str, str]]:
    """A PIM object's JSON as (key, value) rows a person can read, nested keys joined with ›.

    Lists of plain values become one comma-separated row; lists of objects one group of rows per
    item, numbered from 1. Booleans are Yes/No, nulls and empty lists a dash. Capped, so that an
    object with thousands of entries still makes a page.
    """
    rows: list[tuple[str, str]] = []
    _flatten(raw, prefix, rows)
    if len(rows) > PIM_DATA_MAX_ROWS:
        hidden = len(rows) - PIM_DATA_MAX_ROWS
        rows = [*rows[:PIM_DATA_MAX_ROWS], ("…", f"{hidden} more rows not shown")]
    return rows


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)


def _flatten(value: Any, key: str, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        if not value:
            rows.append((key, "—"))
        for name, item in value.items():
            _flatten(item, f"{key} › {name}" if key else sentence(name), rows)
    elif isinstance(value, list | tuple):
        if not value:
            rows.append((key, "—"))
        elif all(not isinstance(item, Mapping | list | tuple) for item in value):
            rows.append((key, ", ".join(_scalar(item) for item in value)))
        else:
            for number, item in enumerate(value, start=1):
                _flatten(item, f"{key} › {number}", rows)
    else:
        rows.append((key, _scalar(value)))
