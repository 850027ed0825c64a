"""A deterministic demo catalog, shaped like the Akeneo API's own JSON.

``build_demo_catalog(products=N, seed=S)`` always gives the same data for the same (N, S):
3 active locales, 2 channels, 2 active currencies, measurement families, ~40 attributes of every
common type, a 3-level category tree, 5 families (with 1- and 2-level family variants), products
and product models, 2 reference entities with records, and an asset family with assets.
Per-product data is kept small so large catalogs (250,000 products) stay possible.
"""

from __future__ import annotations

import hashlib
import random
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

LOCALES = ["en_US", "fr_FR", "de_DE"]
INACTIVE_LOCALES = ["es_ES", "it_IT", "nl_NL", "ja_JP", "pt_BR"]
ANCHOR = datetime(2026, 10, 1, 12, 0, 0, tzinfo=UTC)


def labels(en: str, fr: str | None = None, de: str | None = None) -> dict[str, str]:
    return {"en_US": en, "fr_FR": fr or f"{en} (fr)", "de_DE": de or f"{en} (de)"}


@dataclass
class Catalog:
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
    products: dict[str, dict] = field(default_factory=dict)  # uuid → product
    product_models: dict[str, dict] = field(default_factory=dict)
    completeness: dict[str, dict[str, int]] = field(default_factory=dict)  # uuid → channel → percent
    media: dict[str, dict] = field(default_factory=dict)  # code → media file (+ "_bytes" once uploaded)
    reference_entities: dict[str, dict] = field(default_factory=dict)
    reference_entity_attributes: dict[str, list[dict]] = field(default_factory=dict)
    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    asset_families: dict[str, dict] = field(default_factory=dict)
    asset_family_attributes: dict[str, list[dict]] = field(default_factory=dict)
    assets: dict[str, dict[str, dict]] = field(default_factory=dict)
    asset_media: dict[str, dict] = field(default_factory=dict)
    indexes: dict[str, tuple] = field(default_factory=dict, repr=False)  # sorted product keys, see filters

    def product_by_identifier(self, identifier: str) -> dict | None:
        index = self.indexes.get("by_identifier")
        if index is None or index[0] != len(self.products):
            mapping = {p["identifier"]: p for p in self.products.values() if p.get("identifier")}
            index = self.indexes["by_identifier"] = (len(self.products), mapping)
        return index[1].get(identifier)

    def attribute_type(self, code: str) -> str | None:
        attribute = self.attributes.get(code)
        return attribute["type"] if attribute else None


def png_bytes(seed_text: str, size: int = 8) -> bytes:
    """A small valid PNG whose colour depends on ``seed_text``."""
    digest = hashlib.sha256(seed_text.encode()).digest()
    pixel = digest[:3]
    raw = b"".join(b"\x00" + pixel * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def media_code(name: str, filename: str) -> str:
    digest = hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 - a file path, not security
    return f"{digest[0]}/{digest[1]}/{digest[2]}/{digest[3]}/{digest}_{filename}"


def _attr(code, type_, group, label, *, scopable=False, localizable=False, **extra) -> dict:
    attribute = {
        "code": code,
        "type": type_,
        "group": group,
        "labels": labels(label),
        "sort_order": 0,
        "localizable": localizable,
        "scopable": scopable,
        "available_locales": [],
        "unique": type_ == "pim_catalog_identifier",
        "useable_as_grid_filter": type_ in ("pim_catalog_identifier", "pim_catalog_simpleselect"),
        "max_characters": None,
        "validation_rule": None,
        "validation_regexp": None,
        "wysiwyg_enabled": None,
        "number_min": None,
        "number_max": None,
        "decimals_allowed": None,
        "negative_allowed": None,
        "metric_family": None,
        "default_metric_unit": None,
        "date_min": None,
        "date_max": None,
        "allowed_extensions": [],
        "max_file_size": None,
        "reference_data_name": None,
        "default_value": None,
        "group_labels": {},
        "is_main_identifier": type_ == "pim_catalog_identifier",
    }
    attribute.update(extra)
    return attribute


ATTRIBUTE_DEFS: list[dict] = [
    _attr(
        "sku",
        "pim_catalog_identifier",
        "general",
        "SKU",
        max_characters=100,
        validation_rule="regexp",
        validation_regexp="^[A-Z0-9-]+$",
    ),
    _attr("name", "pim_catalog_text", "marketing", "Name", localizable=True, max_characters=255),
    _attr(
        "description",
        "pim_catalog_textarea",
        "marketing",
        "Description",
        scopable=True,
        localizable=True,
        wysiwyg_enabled=True,
    ),
    _attr(
        "short_description",
        "pim_catalog_textarea",
        "marketing",
        "Short description",
        localizable=True,
        wysiwyg_enabled=False,
        max_characters=500,
    ),
    _attr(
        "meta_title",
        "pim_catalog_text",
        "seo",
        "Meta title",
        scopable=True,
        localizable=True,
        max_characters=70,
    ),
    _attr(
        "meta_description", "pim_catalog_textarea", "seo", "Meta description", scopable=True, localizable=True
    ),
    _attr("keywords", "pim_catalog_text", "seo", "Keywords", localizable=True),
    _attr(
        "ean",
        "pim_catalog_text",
        "erp",
        "EAN",
        unique=True,
        validation_rule="regexp",
        validation_regexp="^[0-9]{13}$",
    ),
    _attr("upc", "pim_catalog_text", "erp", "UPC", unique=True),
    _attr("manufacturer_sku", "pim_catalog_text", "erp", "Manufacturer SKU"),
    _attr("manufacturer_name", "pim_catalog_text", "erp", "Manufacturer name"),
    _attr("care_instructions", "pim_catalog_textarea", "technical", "Care instructions", localizable=True),
    _attr(
        "warranty_years",
        "pim_catalog_number",
        "technical",
        "Warranty (years)",
        decimals_allowed=False,
        negative_allowed=False,
        number_min="0",
        number_max="10",
    ),
    _attr(
        "rating", "pim_catalog_number", "marketing", "Rating", decimals_allowed=True, negative_allowed=False
    ),
    _attr(
        "stock_threshold",
        "pim_catalog_number",
        "logistics",
        "Stock threshold",
        decimals_allowed=False,
        negative_allowed=False,
    ),
    _attr(
        "weight",
        "pim_catalog_metric",
        "logistics",
        "Weight",
        metric_family="Weight",
        default_metric_unit="KILOGRAM",
        decimals_allowed=True,
        negative_allowed=False,
    ),
    _attr(
        "length",
        "pim_catalog_metric",
        "logistics",
        "Length",
        metric_family="Length",
        default_metric_unit="CENTIMETER",
        decimals_allowed=True,
        negative_allowed=False,
    ),
    _attr(
        "width",
        "pim_catalog_metric",
        "logistics",
        "Width",
        metric_family="Length",
        default_metric_unit="CENTIMETER",
        decimals_allowed=True,
        negative_allowed=False,
    ),
    _attr(
        "height",
        "pim_catalog_metric",
        "logistics",
        "Height",
        metric_family="Length",
        default_metric_unit="CENTIMETER",
        decimals_allowed=True,
        negative_allowed=False,
    ),
    _attr(
        "screen_size",
        "pim_catalog_metric",
        "technical",
        "Screen size",
        metric_family="Length",
        default_metric_unit="INCH",
        decimals_allowed=True,
        negative_allowed=False,
    ),
    _attr("price", "pim_catalog_price_collection", "pricing", "Price", decimals_allowed=True),
    _attr("msrp", "pim_catalog_price_collection", "pricing", "MSRP", decimals_allowed=True),
    _attr("color", "pim_catalog_simpleselect", "marketing", "Color"),
    _attr("size", "pim_catalog_simpleselect", "marketing", "Size"),
    _attr("material", "pim_catalog_simpleselect", "technical", "Material"),
    _attr("season", "pim_catalog_simpleselect", "marketing", "Season"),
    _attr("energy_class", "pim_catalog_simpleselect", "technical", "Energy class"),
    _attr("certifications", "pim_catalog_multiselect", "technical", "Certifications"),
    _attr("features", "pim_catalog_multiselect", "marketing", "Features"),
    _attr("target_audience", "pim_catalog_multiselect", "marketing", "Target audience"),
    _attr("is_new", "pim_catalog_boolean", "marketing", "New"),
    _attr("eco_friendly", "pim_catalog_boolean", "marketing", "Eco friendly"),
    _attr("gift_wrappable", "pim_catalog_boolean", "logistics", "Gift wrappable", scopable=True),
    _attr("release_date", "pim_catalog_date", "marketing", "Release date", scopable=True),
    _attr("end_of_life", "pim_catalog_date", "erp", "End of life"),
    _attr(
        "main_image",
        "pim_catalog_image",
        "media",
        "Main image",
        allowed_extensions=["jpg", "png"],
        max_file_size="10.00",
    ),
    _attr("thumbnail", "pim_catalog_image", "media", "Thumbnail", scopable=True, allowed_extensions=["png"]),
    _attr(
        "lifestyle_image",
        "pim_catalog_image",
        "media",
        "Lifestyle image",
        localizable=True,
        allowed_extensions=["jpg", "png"],
    ),
    _attr(
        "user_manual",
        "pim_catalog_file",
        "media",
        "User manual",
        localizable=True,
        allowed_extensions=["pdf"],
    ),
    _attr("packshots", "pim_catalog_asset_collection", "media", "Packshots", reference_data_name="packshots"),
    _attr("brand", "akeneo_reference_entity", "marketing", "Brand", reference_data_name="brand"),
    _attr(
        "designers",
        "akeneo_reference_entity_collection",
        "marketing",
        "Designers",
        reference_data_name="designer",
    ),
]

OPTION_DEFS: dict[str, list[tuple[str, str]]] = {
    "color": [
        ("black", "Black"),
        ("white", "White"),
        ("red", "Red"),
        ("blue", "Blue"),
        ("green", "Green"),
        ("grey", "Grey"),
    ],
    "size": [
        ("xs", "XS"),
        ("s", "S"),
        ("m", "M"),
        ("l", "L"),
        ("xl", "XL"),
        ("size_38", "38"),
        ("size_40", "40"),
        ("size_42", "42"),
        ("size_44", "44"),
    ],
    "material": [
        ("cotton", "Cotton"),
        ("wool", "Wool"),
        ("leather", "Leather"),
        ("steel", "Steel"),
        ("wood", "Wood"),
        ("plastic", "Plastic"),
    ],
    "season": [("spring", "Spring"), ("summer", "Summer"), ("autumn", "Autumn"), ("winter", "Winter")],
    "energy_class": [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")],
    "certifications": [
        ("ce", "CE"),
        ("fsc", "FSC"),
        ("oeko_tex", "OEKO-TEX"),
        ("energy_star", "Energy Star"),
    ],
    "features": [
        ("waterproof", "Waterproof"),
        ("wireless", "Wireless"),
        ("foldable", "Foldable"),
        ("rechargeable", "Rechargeable"),
        ("machine_washable", "Machine washable"),
    ],
    "target_audience": [("men", "Men"), ("women", "Women"), ("kids", "Kids"), ("unisex", "Unisex")],
}

GROUPS = [
    ("general", "General"),
    ("marketing", "Marketing"),
    ("seo", "SEO"),
    ("technical", "Technical"),
    ("logistics", "Logistics"),
    ("pricing", "Pricing"),
    ("media", "Media"),
    ("erp", "ERP"),
]

CATEGORY_TREE = {
    "clothing": ["men", "women", "kids"],
    "electronics": ["audio", "tv_video", "computers", "phones"],
    "home": ["furniture", "kitchen", "decor"],
    "accessories": ["bags", "jewelry"],
}

COMMON = [
    "sku",
    "name",
    "description",
    "short_description",
    "meta_title",
    "meta_description",
    "keywords",
    "ean",
    "manufacturer_sku",
    "manufacturer_name",
    "price",
    "msrp",
    "main_image",
    "thumbnail",
    "brand",
    "packshots",
    "is_new",
    "release_date",
    "weight",
]

FAMILY_DEFS: dict[str, dict[str, Any]] = {
    "clothing": {
        "label": "Clothing",
        "extra": [
            "color",
            "size",
            "material",
            "season",
            "care_instructions",
            "target_audience",
            "eco_friendly",
            "designers",
            "lifestyle_image",
        ],
        "categories": ["men", "women", "kids"],
    },
    "shoes": {
        "label": "Shoes",
        "extra": ["color", "size", "material", "season", "target_audience", "designers"],
        "categories": ["men", "women", "kids"],
    },
    "electronics": {
        "label": "Electronics",
        "extra": [
            "color",
            "screen_size",
            "energy_class",
            "certifications",
            "features",
            "warranty_years",
            "user_manual",
            "length",
            "width",
            "height",
            "upc",
        ],
        "categories": ["audio", "tv_video", "computers", "phones"],
    },
    "furniture": {
        "label": "Furniture",
        "extra": [
            "color",
            "material",
            "length",
            "width",
            "height",
            "certifications",
            "gift_wrappable",
            "end_of_life",
        ],
        "categories": ["furniture", "kitchen", "decor"],
    },
    "accessories": {
        "label": "Accessories",
        "extra": ["color", "material", "features", "rating", "stock_threshold", "gift_wrappable"],
        "categories": ["bags", "jewelry"],
    },
}


def _structure(catalog: Catalog) -> None:
    catalog.locales = [{"code": c, "enabled": True} for c in LOCALES] + [
        {"code": c, "enabled": False} for c in INACTIVE_LOCALES
    ]
    catalog.locales.sort(key=lambda loc: loc["code"])
    catalog.currencies = [
        {"code": "EUR", "enabled": True, "label": "Euro"},
        {"code": "USD", "enabled": True, "label": "US dollar"},
        {"code": "GBP", "enabled": False, "label": "British pound"},
        {"code": "CHF", "enabled": False, "label": "Swiss franc"},
        {"code": "JPY", "enabled": False, "label": "Japanese yen"},
    ]
    catalog.channels = {
        "ecommerce": {
            "code": "ecommerce",
            "currencies": ["EUR", "USD"],
            "locales": list(LOCALES),
            "category_tree": "master",
            "conversion_units": {"weight": "KILOGRAM"},
            "labels": labels("Ecommerce", "E-commerce", "E-Commerce"),
        },
        "print": {
            "code": "print",
            "currencies": ["EUR"],
            "locales": ["de_DE", "en_US"],
            "category_tree": "master",
            "conversion_units": {},
            "labels": labels("Print", "Impression", "Druck"),
        },
    }

    def unit(code, label, symbol, operations):
        return {
            "code": code,
            "labels": labels(label),
            "symbol": symbol,
            "convert_from_standard": [{"operator": op, "value": value} for op, value in operations],
        }

    catalog.measurement_families = {
        "Weight": {
            "code": "Weight",
            "labels": labels("Weight", "Poids", "Gewicht"),
            "standard_unit_code": "KILOGRAM",
            "units": {
                "GRAM": unit("GRAM", "Gram", "g", [("mul", "0.001")]),
                "KILOGRAM": unit("KILOGRAM", "Kilogram", "kg", [("mul", "1")]),
                "POUND": unit("POUND", "Pound", "lb", [("mul", "0.45359237")]),
            },
        },
        "Length": {
            "code": "Length",
            "labels": labels("Length", "Longueur", "Länge"),
            "standard_unit_code": "METER",
            "units": {
                "CENTIMETER": unit("CENTIMETER", "Centimeter", "cm", [("mul", "0.01")]),
                "METER": unit("METER", "Meter", "m", [("mul", "1")]),
                "INCH": unit("INCH", "Inch", "in", [("mul", "0.0254")]),
            },
        },
        "Volume": {
            "code": "Volume",
            "labels": labels("Volume"),
            "standard_unit_code": "LITER",
            "units": {
                "LITER": unit("LITER", "Liter", "L", [("mul", "1")]),
                "MILLILITER": unit("MILLILITER", "Milliliter", "mL", [("mul", "0.001")]),
            },
        },
    }
    for order, (code, label) in enumerate(GROUPS, start=1):
        catalog.attribute_groups[code] = {
            "code": code,
            "sort_order": order,
            "attributes": [],
            "labels": labels(label),
        }
    for order, definition in enumerate(ATTRIBUTE_DEFS, start=1):
        attribute = dict(definition, sort_order=order)
        group = catalog.attribute_groups[attribute["group"]]
        attribute["group_labels"] = group["labels"]
        group["attributes"].append(attribute["code"])
        catalog.attributes[attribute["code"]] = attribute
    for attribute, options in OPTION_DEFS.items():
        catalog.options[attribute] = {
            code: {"code": code, "attribute": attribute, "sort_order": order, "labels": labels(label)}
            for order, (code, label) in enumerate(options, start=1)
        }
    catalog.categories["master"] = {
        "code": "master",
        "parent": None,
        "updated": _iso(ANCHOR - timedelta(days=90)),
        "labels": labels("Master catalog", "Catalogue principal", "Hauptkatalog"),
        "values": {},
    }
    for child, grandchildren in CATEGORY_TREE.items():
        catalog.categories[child] = {
            "code": child,
            "parent": "master",
            "updated": _iso(ANCHOR - timedelta(days=80)),
            "labels": labels(child.replace("_", " ").title()),
            "values": {},
        }
        for grandchild in grandchildren:
            catalog.categories[grandchild] = {
                "code": grandchild,
                "parent": child,
                "updated": _iso(ANCHOR - timedelta(days=70)),
                "labels": labels(grandchild.replace("_", " ").title()),
                "values": {},
            }
    for code, definition in FAMILY_DEFS.items():
        attributes = COMMON + definition["extra"]
        catalog.families[code] = {
            "code": code,
            "attribute_as_label": "name",
            "attribute_as_image": "main_image",
            "attributes": attributes,
            "attribute_requirements": {
                "ecommerce": ["sku", "name", "description", "price"],
                "print": ["sku", "name"],
            },
            "labels": labels(definition["label"]),
        }
    catalog.family_variants = {code: {} for code in FAMILY_DEFS}
    catalog.family_variants["clothing"]["clothing_color_size"] = {
        "code": "clothing_color_size",
        "labels": labels("Clothing by color and size"),
        "common_attributes": ["name", "description", "brand", "material", "season"],
        "variant_attribute_sets": [
            {"level": 1, "axes": ["color"], "attributes": ["color", "main_image", "lifestyle_image"]},
            {"level": 2, "axes": ["size"], "attributes": ["size", "sku", "ean", "weight", "price"]},
        ],
    }
    catalog.family_variants["clothing"]["clothing_size"] = {
        "code": "clothing_size",
        "labels": labels("Clothing by size"),
        "common_attributes": ["name", "description", "brand"],
        "variant_attribute_sets": [
            {"level": 1, "axes": ["size"], "attributes": ["size", "sku", "ean", "price"]}
        ],
    }
    catalog.family_variants["shoes"]["shoes_size"] = {
        "code": "shoes_size",
        "labels": labels("Shoes by size"),
        "common_attributes": ["name", "description", "brand", "color"],
        "variant_attribute_sets": [
            {"level": 1, "axes": ["size"], "attributes": ["size", "sku", "ean", "price"]}
        ],
    }
    catalog.family_variants["electronics"]["electronics_color"] = {
        "code": "electronics_color",
        "labels": labels("Electronics by color"),
        "common_attributes": ["name", "description", "brand"],
        "variant_attribute_sets": [
            {"level": 1, "axes": ["color"], "attributes": ["color", "sku", "ean", "price"]}
        ],
    }
    catalog.association_types = {
        "X_SELL": {
            "code": "X_SELL",
            "labels": labels("Cross sell"),
            "is_quantified": False,
            "is_two_way": False,
        },
        "UPSELL": {"code": "UPSELL", "labels": labels("Upsell"), "is_quantified": False, "is_two_way": False},
    }


def _entities(catalog: Catalog, rng: random.Random) -> None:
    brand_names = [
        "Acme",
        "Nordwind",
        "Lumen",
        "Vela",
        "Orbit",
        "Kestrel",
        "Mosaic",
        "Tundra",
        "Helio",
        "Brio",
        "Cobalt",
        "Fjord",
    ]
    designer_names = [
        "Ada Moreau",
        "Ben Ito",
        "Clara Vogt",
        "Dario Russo",
        "Eva Lind",
        "Femi Adebayo",
        "Greta Holm",
        "Hugo Blanc",
        "Iris Novak",
        "Jonas Berg",
    ]
    catalog.reference_entities = {
        "brand": {"code": "brand", "labels": labels("Brand", "Marque", "Marke"), "image": None},
        "designer": {"code": "designer", "labels": labels("Designer"), "image": None},
    }
    text_attribute = {
        "type": "text",
        "value_per_locale": True,
        "value_per_channel": False,
        "is_required_for_completeness": False,
        "max_characters": None,
        "is_textarea": True,
        "is_rich_text_editor": False,
        "validation_rule": "none",
        "validation_regexp": None,
    }
    catalog.reference_entity_attributes = {
        entity: [
            {"code": "label", "labels": labels("Label"), **text_attribute, "is_textarea": False},
            {"code": "description", "labels": labels("Description"), **text_attribute},
            {
                "code": "image",
                "labels": labels("Image"),
                "type": "image",
                "value_per_locale": False,
                "value_per_channel": False,
                "is_required_for_completeness": False,
                "allowed_extensions": ["png"],
                "max_file_size": None,
            },
        ]
        for entity in catalog.reference_entities
    }
    for entity, names in (("brand", brand_names), ("designer", designer_names)):
        catalog.records[entity] = {}
        for name in names:
            code = name.lower().replace(" ", "_")
            catalog.records[entity][code] = {
                "code": code,
                "values": {
                    "label": [{"locale": loc, "channel": None, "data": name} for loc in LOCALES],
                    "description": [
                        {"locale": "en_US", "channel": None, "data": f"About {name}."},
                        {"locale": "fr_FR", "channel": None, "data": f"À propos de {name}."},
                    ],
                },
                "created": _iso(ANCHOR - timedelta(days=rng.randint(30, 120))),
                "updated": _iso(ANCHOR - timedelta(days=rng.randint(0, 29))),
            }
    catalog.asset_families = {
        "packshots": {
            "code": "packshots",
            "labels": labels("Packshots"),
            "attribute_as_main_media": "media",
            "naming_convention": {},
            "product_link_rules": [],
            "transformations": [],
        },
    }
    catalog.asset_family_attributes = {
        "packshots": [
            {
                "code": "media",
                "labels": labels("Media"),
                "type": "media_file",
                "value_per_locale": False,
                "value_per_channel": False,
                "is_required_for_completeness": True,
                "is_read_only": False,
                "allowed_extensions": ["png", "jpg"],
                "max_file_size": None,
                "media_type": "image",
            },
            {
                "code": "alt_text",
                "labels": labels("Alternative text"),
                "type": "text",
                "value_per_locale": True,
                "value_per_channel": False,
                "is_required_for_completeness": False,
                "is_read_only": False,
                "max_characters": 255,
                "is_textarea": False,
                "is_rich_text_editor": False,
                "validation_rule": "none",
                "validation_regexp": None,
            },
        ]
    }
    catalog.assets = {"packshots": {}}
    for index in range(30):
        code = f"packshot_{index:03d}"
        media = media_code(f"asset-{code}", f"{code}.png")
        catalog.asset_media[media] = {
            "code": media,
            "original_filename": f"{code}.png",
            "mime_type": "image/png",
        }
        catalog.assets["packshots"][code] = {
            "code": code,
            "values": {
                "media": [{"locale": None, "channel": None, "data": media}],
                "alt_text": [{"locale": "en_US", "channel": None, "data": f"Packshot {index}"}],
            },
            "created": _iso(ANCHOR - timedelta(days=rng.randint(30, 90))),
            "updated": _iso(ANCHOR - timedelta(days=rng.randint(0, 29))),
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _scoped(attribute: dict, data_for) -> list[dict]:
    scopes = ["ecommerce", "print"] if attribute["scopable"] else [None]
    locales = LOCALES if attribute["localizable"] else [None]
    values = []
    for scope in scopes:
        channel_locales = LOCALES if scope != "print" else ["de_DE", "en_US"]
        for locale in locales:
            if locale is not None and locale not in channel_locales:
                continue
            values.append({"locale": locale, "scope": scope, "data": data_for(scope, locale)})
    return values


class _ValueMaker:
    def __init__(self, catalog: Catalog, rng: random.Random):
        self.catalog = catalog
        self.rng = rng
        self.brands = list(catalog.records["brand"])
        self.designers = list(catalog.records["designer"])
        self.assets = list(catalog.assets["packshots"])

    def value(self, code: str, ident: str, index: int) -> list[dict] | None:
        attribute = self.catalog.attributes[code]
        kind = attribute["type"]
        rng = self.rng
        if kind == "pim_catalog_identifier":
            return [{"locale": None, "scope": None, "data": ident}]
        if kind == "pim_catalog_text":
            if code == "ean":
                return [{"locale": None, "scope": None, "data": f"{400000000000 + index:013d}"}]
            if code == "upc":
                return [{"locale": None, "scope": None, "data": f"{index:012d}"}]
            return _scoped(
                attribute,
                lambda s, loc: f"{attribute['labels']['en_US']} {ident}" + (f" {loc[:2]}" if loc else ""),
            )
        if kind == "pim_catalog_textarea":
            if attribute["wysiwyg_enabled"]:
                return _scoped(attribute, lambda s, loc: f"<p>{ident} for {s or 'all'} ({loc}).</p>")
            return _scoped(attribute, lambda s, loc: f"{ident}: short text ({loc}).")
        if kind == "pim_catalog_number":
            if attribute["decimals_allowed"]:
                return [{"locale": None, "scope": None, "data": f"{rng.randint(10, 50) / 10:.4f}"}]
            return [{"locale": None, "scope": None, "data": rng.randint(0, 10)}]
        if kind == "pim_catalog_metric":
            return [
                {
                    "locale": None,
                    "scope": None,
                    "data": {
                        "amount": f"{rng.randint(1, 2000) / 10:.4f}",
                        "unit": attribute["default_metric_unit"],
                    },
                }
            ]
        if kind == "pim_catalog_price_collection":
            amount = rng.randint(500, 50000) / 100
            return [
                {
                    "locale": None,
                    "scope": None,
                    "data": [
                        {"amount": f"{amount:.2f}", "currency": "EUR"},
                        {"amount": f"{amount * 1.1:.2f}", "currency": "USD"},
                    ],
                }
            ]
        if kind == "pim_catalog_simpleselect":
            return [{"locale": None, "scope": None, "data": rng.choice(list(self.catalog.options[code]))}]
        if kind == "pim_catalog_multiselect":
            choices = list(self.catalog.options[code])
            return [{"locale": None, "scope": None, "data": sorted(rng.sample(choices, rng.randint(1, 2)))}]
        if kind == "pim_catalog_boolean":
            return _scoped(attribute, lambda s, loc: rng.random() < 0.5)
        if kind == "pim_catalog_date":
            day = ANCHOR - timedelta(days=rng.randint(0, 700))
            return _scoped(attribute, lambda s, loc: day.strftime("%Y-%m-%dT00:00:00+00:00"))
        if kind == "pim_catalog_image":
            if rng.random() < 0.3:
                return None
            return _scoped(attribute, lambda s, loc: self.media(f"{ident}-{code}-{s}-{loc}", f"{code}.png"))
        if kind == "pim_catalog_file":
            return None
        if kind == "pim_catalog_asset_collection":
            return [{"locale": None, "scope": None, "data": rng.sample(self.assets, 2)}]
        if kind == "akeneo_reference_entity":
            return [{"locale": None, "scope": None, "data": rng.choice(self.brands)}]
        if kind == "akeneo_reference_entity_collection":
            return [{"locale": None, "scope": None, "data": sorted(rng.sample(self.designers, 2))}]
        return None

    def media(self, name: str, filename: str) -> str:
        code = media_code(name, filename)
        self.catalog.media[code] = {"code": code, "original_filename": filename, "mime_type": "image/png"}
        return code

    def values(self, codes: list[str], ident: str, index: int) -> dict[str, list[dict]]:
        values = {}
        for code in codes:
            if code == "sku":
                continue
            value = self.value(code, ident, index)
            if value:
                values[code] = value
        return values


def _stamps(rng: random.Random) -> tuple[str, str]:
    created = ANCHOR - timedelta(days=rng.randint(60, 400), seconds=rng.randint(0, 86399))
    updated = ANCHOR - timedelta(days=rng.randint(0, 59), seconds=rng.randint(0, 86399))
    return _iso(created), _iso(updated)


def build_demo_catalog(products: int = 300, seed: int = 42) -> Catalog:
    rng = random.Random(seed)
    catalog = Catalog()
    _structure(catalog)
    _entities(catalog, rng)
    maker = _ValueMaker(catalog, rng)
    counter = {"product": 0}
    last_identifier: list[str] = []

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def add_product(
        family: str,
        values_codes: list[str],
        *,
        parent: str | None = None,
        fixed: dict[str, list[dict]] | None = None,
    ) -> None:
        counter["product"] += 1
        index = counter["product"]
        ident = f"{family[:3].upper()}-{index:06d}"
        product_uuid = new_uuid()
        created, updated = _stamps(rng)
        values = maker.values(values_codes, ident, index)
        values.update(fixed or {})
        values["sku"] = [{"locale": None, "scope": None, "data": ident}]
        category = rng.choice(FAMILY_DEFS[family]["categories"])
        product = {
            "uuid": product_uuid,
            "identifier": ident,
            "enabled": rng.random() < 0.9,
            "family": family,
            "categories": [] if parent else [category],
            "groups": [],
            "parent": parent,
            "values": values,
            "created": created,
            "updated": updated,
            "associations": {"X_SELL": {"products": [], "product_models": [], "groups": []}},
            "quantified_associations": {},
        }
        if last_identifier and rng.random() < 0.2:
            product["associations"]["X_SELL"]["products"] = [last_identifier[0]]
        last_identifier[:] = [ident]
        catalog.products[product_uuid] = product
        catalog.completeness[product_uuid] = {
            "ecommerce": 100 if rng.random() < 0.8 else rng.choice([50, 75, 90]),
            "print": 100 if rng.random() < 0.7 else rng.choice([40, 60]),
        }

    def add_model(
        code: str,
        family: str,
        variant: str,
        *,
        parent: str | None,
        codes: list[str],
        fixed: dict[str, list[dict]] | None = None,
    ) -> None:
        created, updated = _stamps(rng)
        values = maker.values(codes, code, len(catalog.product_models) + 1)
        values.update(fixed or {})
        catalog.product_models[code] = {
            "code": code,
            "family": family,
            "family_variant": variant,
            "parent": parent,
            "categories": [rng.choice(FAMILY_DEFS[family]["categories"])] if parent is None else [],
            "values": values,
            "created": created,
            "updated": updated,
            "associations": {},
            "quantified_associations": {},
        }

    def option_value(code: str) -> dict[str, list[dict]]:
        attribute = code.split(":")[0]
        return {attribute: [{"locale": None, "scope": None, "data": code.split(":")[1]}]}

    variant_budget = products // 4
    clothing_fv = catalog.family_variants["clothing"]["clothing_color_size"]
    clothing_common = clothing_fv["common_attributes"]
    level1 = clothing_fv["variant_attribute_sets"][0]["attributes"]
    level2 = clothing_fv["variant_attribute_sets"][1]["attributes"]
    shoes_fv = catalog.family_variants["shoes"]["shoes_size"]
    shoes_leaf = shoes_fv["variant_attribute_sets"][0]["attributes"]
    models = 0
    while variant_budget >= 4:
        models += 1
        if models % 2:
            root = f"clothing_model_{models:05d}"
            add_model(root, "clothing", "clothing_color_size", parent=None, codes=clothing_common)
            for color in ("black", "blue"):
                sub = f"{root}_{color}"
                add_model(
                    sub,
                    "clothing",
                    "clothing_color_size",
                    parent=root,
                    codes=[c for c in level1 if c != "color"],
                    fixed=option_value(f"color:{color}"),
                )
                for size in ("m", "l"):
                    add_product(
                        "clothing",
                        [c for c in level2 if c != "size"],
                        parent=sub,
                        fixed=option_value(f"size:{size}"),
                    )
            variant_budget -= 4
        else:
            root = f"shoes_model_{models:05d}"
            add_model(root, "shoes", "shoes_size", parent=None, codes=shoes_fv["common_attributes"])
            for size in ("size_40", "size_42", "size_44"):
                add_product(
                    "shoes",
                    [c for c in shoes_leaf if c != "size"],
                    parent=root,
                    fixed=option_value(f"size:{size}"),
                )
            variant_budget -= 3
    families = list(FAMILY_DEFS)
    while counter["product"] < products:
        family = families[counter["product"] % len(families)]
        add_product(family, catalog.families[family]["attributes"])
    return catalog
