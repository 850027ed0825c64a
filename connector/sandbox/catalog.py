"""The demo catalog: plain Python data shaped like the Akeneo API's JSON, deterministic per (products, seed).

``build_demo_catalog(products=N, seed=S)`` gives 3 active locales (among 8), 2 channels, 2 active
currencies, measurement families, 42 attributes of every common type, a 3-level category tree,
5 families (with 1- and 2-level family variants), N products (about a quarter of them variants
under root and sub product models), 2 reference entities with records and an asset family with
assets. Timestamps are spread over the 60 days before ``anchor`` (by default today, 00:00 UTC).

Products and product models live in ``RecordStore``s (see ``store.py``): a generated product costs a
few hundred bytes until something reads it through the mapping, so 250,000 products stay cheap.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .store import RecordStore, Stub
from .structure import FAMILY_DEFS, add_entities, add_structure, iso
from .values import materialize_model, materialize_product, pool_media_code, pool_media_filename


def _product_store() -> RecordStore:
    return RecordStore(materialize_product, index_field="identifier")


def _model_store() -> RecordStore:
    return RecordStore(materialize_model)


def _today() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


@dataclass
class Catalog:
    anchor: datetime = field(default_factory=_today)
    locales: list[dict] = field(default_factory=list)
    currencies: list[dict] = field(default_factory=list)
    channels: dict[str, dict] = field(default_factory=dict)
    measurement_families: dict[str, dict] = field(default_factory=dict)
    attribute_groups: dict[str, dict] = field(default_factory=dict)
    attributes: dict[str, dict] = field(default_factory=dict)
    options: dict[str, dict[str, dict]] = field(default_factory=dict)  # attribute → code → option
    families: dict[str, dict] = field(default_factory=dict)
    family_variants: dict[str, dict[str, dict]] = field(default_factory=dict)  # family → code → variant
    categories: dict[str, dict] = field(default_factory=dict)
    association_types: dict[str, dict] = field(default_factory=dict)
    products: RecordStore = field(default_factory=_product_store)  # uuid → product
    product_models: RecordStore = field(default_factory=_model_store)  # code → product model
    # uuid → channel → percent. Generated products share a few read-only dicts: replace, never mutate.
    completeness: dict[str, dict[str, int]] = field(default_factory=dict)
    media: dict[str, dict] = field(default_factory=dict)  # code → media file (+ "_bytes" once uploaded)
    reference_entities: dict[str, dict] = field(default_factory=dict)
    reference_entity_attributes: dict[str, list[dict]] = field(default_factory=dict)
    reference_entity_options: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)
    records: dict[str, dict[str, dict]] = field(default_factory=dict)  # entity → code → record
    reference_entity_media: dict[str, dict] = field(default_factory=dict)
    asset_families: dict[str, dict] = field(default_factory=dict)
    asset_family_attributes: dict[str, list[dict]] = field(default_factory=dict)
    asset_family_options: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)
    assets: dict[str, dict[str, dict]] = field(default_factory=dict)  # family → code → asset
    asset_media: dict[str, dict] = field(default_factory=dict)
    # When resources whose JSON has no "updated" (attributes, families, groups) last changed, for filters.
    changed: dict[str, dict[str, str]] = field(default_factory=dict)

    def attribute_type(self, code: str | None) -> str | None:
        attribute = self.attributes.get(code) if code else None
        return attribute["type"] if attribute else None

    def product_by_identifier(self, identifier: str) -> dict | None:
        """The product dict with this identifier (kept materialized, so it may be changed in place)."""
        key = self.products.find(identifier) if identifier else None
        return self.products[key] if key is not None else None

    def enabled_locales(self) -> set[str]:
        return {locale["code"] for locale in self.locales if locale.get("enabled")}

    def touch(self, resource: str, code: str, stamp: str | None = None) -> None:
        self.changed.setdefault(resource, {})[code] = stamp or iso(datetime.now(UTC))

    def changed_at(self, resource: str, code: str) -> str:
        return self.changed.get(resource, {}).get(code) or iso(self.anchor - timedelta(days=90))


_COMPLETENESS: dict[tuple[int, int], dict[str, int]] = {}


def _completeness(ecommerce: int, print_: int) -> dict[str, int]:
    return _COMPLETENESS.setdefault((ecommerce, print_), {"ecommerce": ecommerce, "print": print_})


def build_demo_catalog(products: int = 300, seed: int = 42, *, anchor: datetime | None = None) -> Catalog:
    """``products`` product rows (simple + variant), deterministic for (products, seed, anchor)."""
    if products < 0:
        raise ValueError("products must be >= 0")
    anchor = anchor or _today()
    rng = random.Random(seed)
    catalog = Catalog(anchor=anchor)
    add_structure(catalog)
    add_entities(catalog, rng)
    media_pool = max(4, min(60, products // 5))
    for number in range(media_pool):
        code = pool_media_code(number)
        catalog.media[code] = {
            "code": code,
            "original_filename": pool_media_filename(number),
            "mime_type": "image/png",
        }
    params = (seed, media_pool, anchor)
    base = int(anchor.timestamp())
    _Generator(catalog, rng, params, base).run(products)
    return catalog


class _Generator:
    def __init__(self, catalog: Catalog, rng: random.Random, params: tuple, base: int):
        self.catalog = catalog
        self.rng = rng
        self.params = params
        self.base = base
        self.count = 0
        self.previous: str | None = None
        self.family_codes = {
            code: tuple(c for c in f["attributes"] if c != "sku") for code, f in catalog.families.items()
        }

    def stamps(self) -> tuple[int, int]:
        rng = self.rng
        created = self.base - rng.randint(60, 400) * 86400 - rng.randint(0, 86399)
        updated = self.base - rng.randint(0, 59) * 86400 - rng.randint(1, 86399)
        return created, updated

    def product(
        self, family: str, codes: tuple[str, ...], parent: str | None = None, fixed: tuple = ()
    ) -> None:
        rng = self.rng
        self.count += 1
        index = self.count
        key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created, updated = self.stamps()
        categories = () if parent else (rng.choice(FAMILY_DEFS[family]["categories"]),)
        associated = self.previous if self.previous and rng.random() < 0.2 else None
        stub = Stub(
            key,
            identifier=f"{family[:3].upper()}-{index:06d}",
            family=family,
            parent=parent,
            enabled=rng.random() < 0.9,
            categories=categories,
            created_at=created,
            updated_at=updated,
            recipe=(self.params, index, codes, fixed, associated),
        )
        self.catalog.products.add_stub(stub)
        self.catalog.completeness[key] = _completeness(
            100 if rng.random() < 0.8 else rng.choice([50, 75, 90]),
            100 if rng.random() < 0.7 else rng.choice([40, 60]),
        )
        self.previous = key

    def model(
        self, code: str, family: str, variant: str, parent: str | None, codes: tuple, fixed: tuple = ()
    ):
        created, updated = self.stamps()
        categories = () if parent else (self.rng.choice(FAMILY_DEFS[family]["categories"]),)
        index = len(self.catalog.product_models) + 1
        stub = Stub(
            code,
            family=family,
            family_variant=variant,
            parent=parent,
            categories=categories,
            created_at=created,
            updated_at=updated,
            recipe=(self.params, index, codes, fixed),
        )
        self.catalog.product_models.add_stub(stub)

    def run(self, products: int) -> None:
        variants = self.catalog.family_variants
        clothing = variants["clothing"]["clothing_color_size"]
        clothing_common = tuple(clothing["common_attributes"])
        clothing_level1 = tuple(
            c for c in clothing["variant_attribute_sets"][0]["attributes"] if c != "color"
        )
        clothing_level2 = tuple(
            c for c in clothing["variant_attribute_sets"][1]["attributes"] if c not in ("size", "sku")
        )
        shoes = variants["shoes"]["shoes_size"]
        shoes_common = tuple(shoes["common_attributes"])
        shoes_leaf = tuple(
            c for c in shoes["variant_attribute_sets"][0]["attributes"] if c not in ("size", "sku")
        )
        budget = products // 4  # about a quarter of the products are variants
        models = 0
        while budget >= 4:
            models += 1
            if models % 2:
                root = f"clothing_model_{models:05d}"
                self.model(root, "clothing", "clothing_color_size", None, clothing_common)
                for color in ("black", "blue"):
                    sub = f"{root}_{color}"
                    self.model(
                        sub, "clothing", "clothing_color_size", root, clothing_level1, (("color", color),)
                    )
                    for size in ("m", "l"):
                        self.product("clothing", clothing_level2, sub, (("size", size),))
                budget -= 4
            else:
                root = f"shoes_model_{models:05d}"
                self.model(root, "shoes", "shoes_size", None, shoes_common)
                for size in ("size_40", "size_42", "size_44"):
                    self.product("shoes", shoes_leaf, root, (("size", size),))
                budget -= 3
        families = list(FAMILY_DEFS)
        while self.count < products:
            family = families[self.count % len(families)]
            self.product(family, self.family_codes[family])
