"""Deterministic product and product model JSON, rebuilt from a stub's recipe.

Everything here depends only on the recipe and on the static demo structure, never on a live
catalog, so that a stub gives the same JSON every time and in every copy of the catalog.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .media import media_code
from .store import Stub, from_epoch
from .structure import (
    ASSET_CODES,
    ATTRIBUTE_DEFS,
    BRAND_CODES,
    CHANNEL_LOCALES,
    DESIGNER_CODES,
    LOCALES,
    OPTION_DEFS,
)

ATTRIBUTES = {definition["code"]: definition for definition in ATTRIBUTE_DEFS}
OPTION_CODES = {attribute: [code for code, _ in options] for attribute, options in OPTION_DEFS.items()}
ASSOCIATION_TYPES = ("UPSELL", "X_SELL")


def pool_media_code(number: int) -> str:
    return media_code(f"product-media-{number}", f"image_{number:03d}.png")


def pool_media_filename(number: int) -> str:
    return f"image_{number:03d}.png"


def empty_associations(types: tuple[str, ...] | list[str] = ASSOCIATION_TYPES) -> dict[str, dict[str, list]]:
    return {code: {"products": [], "product_models": [], "groups": []} for code in types}


def _slots(attribute: dict) -> list[tuple[str | None, str | None]]:
    """The (scope, locale) pairs a value of this attribute exists for, in a stable order."""
    slots = []
    for scope in ["ecommerce", "print"] if attribute["scopable"] else [None]:
        allowed = CHANNEL_LOCALES[scope] if scope else LOCALES
        for locale in LOCALES if attribute["localizable"] else [None]:
            if locale is None or locale in allowed:
                slots.append((scope, locale))
    return slots


SLOTS = {code: _slots(attribute) for code, attribute in ATTRIBUTES.items()}


def _scoped(attribute: dict, data_for: Callable[[str | None, str | None], Any]) -> list[dict]:
    return [
        {"locale": loc, "scope": scope, "data": data_for(scope, loc)}
        for scope, loc in SLOTS[attribute["code"]]
    ]


def _one(data: Any) -> list[dict]:
    return [{"locale": None, "scope": None, "data": data}]


def _value(code: str, ident: str, index: int, rng: random.Random, params: tuple) -> list[dict] | None:
    _seed, media_pool, anchor = params
    attribute = ATTRIBUTES[code]
    kind = attribute["type"]
    if kind == "pim_catalog_identifier":
        return _one(ident)
    if kind == "pim_catalog_text":
        if code == "ean":
            return _one(f"{400000000000 + index:013d}")
        if code == "upc":
            return _one(f"{index:012d}")
        label = attribute["labels"]["en_US"]
        return _scoped(attribute, lambda s, loc: f"{label} {ident}" + (f" {loc[:2]}" if loc else ""))
    if kind == "pim_catalog_textarea":
        if attribute["wysiwyg_enabled"]:
            return _scoped(attribute, lambda s, loc: f"<p>{ident} for {s or 'all channels'} ({loc}).</p>")
        return _scoped(attribute, lambda s, loc: f"{ident}: short text ({loc}).")
    if kind == "pim_catalog_number":
        if attribute["decimals_allowed"]:
            return _one(f"{rng.randint(10, 50) / 10:.4f}")
        return _one(rng.randint(0, 10))
    if kind == "pim_catalog_metric":
        amount = f"{rng.randint(1, 2000) / 10:.4f}"
        return _one({"amount": amount, "unit": attribute["default_metric_unit"]})
    if kind == "pim_catalog_price_collection":
        amount = rng.randint(500, 50000) / 100
        return _one(
            [
                {"amount": f"{amount:.2f}", "currency": "EUR"},
                {"amount": f"{amount * 1.1:.2f}", "currency": "USD"},
            ]
        )
    if kind == "pim_catalog_simpleselect":
        return _one(rng.choice(OPTION_CODES[code]))
    if kind == "pim_catalog_multiselect":
        return _one(sorted(rng.sample(OPTION_CODES[code], rng.randint(1, 2))))
    if kind == "pim_catalog_boolean":
        return _scoped(attribute, lambda s, loc: rng.random() < 0.5)
    if kind == "pim_catalog_date":
        day = (anchor - timedelta(days=rng.randint(0, 700))).strftime("%Y-%m-%dT00:00:00+00:00")
        return _scoped(attribute, lambda s, loc: day)
    if kind == "pim_catalog_image":
        if media_pool <= 0 or rng.random() < 0.3:
            return None
        return _scoped(attribute, lambda s, loc: pool_media_code(rng.randrange(media_pool)))
    if kind == "pim_catalog_asset_collection":
        return _one(rng.sample(ASSET_CODES, 2))
    if kind == "akeneo_reference_entity":
        return _one(rng.choice(BRAND_CODES))
    if kind == "akeneo_reference_entity_collection":
        return _one(sorted(rng.sample(DESIGNER_CODES, 2)))
    return None  # pim_catalog_file: left empty in the demo


def build_values(
    codes: tuple[str, ...], ident: str, index: int, rng: random.Random, params: tuple
) -> dict[str, list[dict]]:
    """``params`` is ``(seed, media pool size, anchor datetime)``, shared by the whole catalog."""
    values: dict[str, list[dict]] = {}
    for code in codes:
        value = _value(code, ident, index, rng, params)
        if value:
            values[code] = value
    return values


def _rng(params: tuple, salt: int, index: int) -> random.Random:
    return random.Random(params[0] * 1_000_003 + salt * 500_000_009 + index)


def materialize_product(stub: Stub) -> dict:
    """Product recipe: ``(params, index, codes, fixed, associated_uuid)``."""
    params, index, codes, fixed, associated = stub.recipe
    ident = stub.identifier
    values = build_values(codes, ident, index, _rng(params, 1, index), params)
    for attribute, option in fixed:
        values[attribute] = _one(option)
    if ident:
        values["sku"] = _one(ident)
    associations = empty_associations()
    if associated:
        associations["X_SELL"]["products"] = [associated]
    return {
        "uuid": stub.key,
        "identifier": ident,
        "enabled": stub.enabled,
        "family": stub.family,
        "categories": list(stub.categories),
        "groups": [],
        "parent": stub.parent,
        "values": values,
        "created": from_epoch(stub.created_at),
        "updated": from_epoch(stub.updated_at),
        "associations": associations,
        "quantified_associations": {},
    }


def materialize_model(stub: Stub) -> dict:
    """Product model recipe: ``(params, index, codes, fixed)``."""
    params, index, codes, fixed = stub.recipe
    values = build_values(codes, stub.key, index, _rng(params, 2, index), params)
    for attribute, option in fixed:
        values[attribute] = _one(option)
    return {
        "code": stub.key,
        "family": stub.family,
        "family_variant": stub.family_variant,
        "parent": stub.parent,
        "categories": list(stub.categories),
        "values": values,
        "created": from_epoch(stub.created_at),
        "updated": from_epoch(stub.updated_at),
        "associations": empty_associations(),
        "quantified_associations": {},
    }
