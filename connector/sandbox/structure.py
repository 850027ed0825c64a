"""The static part of the demo catalog: locales, channels, attributes, options, families, categories.

Plain data shaped like the Akeneo API's JSON, plus the builders that put it into a ``Catalog``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import Catalog

LOCALES = ["en_US", "fr_FR", "de_DE"]
INACTIVE_LOCALES = ["es_ES", "it_IT", "nl_NL", "ja_JP", "pt_BR"]
CHANNEL_LOCALES = {"ecommerce": ["en_US", "fr_FR", "de_DE"], "print": ["de_DE", "en_US"]}
SELECT_TYPES = frozenset({"pim_catalog_simpleselect", "pim_catalog_multiselect"})
MEDIA_TYPES = frozenset({"pim_catalog_image", "pim_catalog_file"})
TABLE_TYPE = "pim_catalog_table"
TABLE_DATA_TYPES = frozenset(
    {"select", "text", "number", "boolean", "measurement", "reference_entity", "date", "product_link"}
)


def labels(en: str, fr: str | None = None, de: str | None = None) -> dict[str, str]:
    return {"en_US": en, "fr_FR": fr or f"{en} (fr)", "de_DE": de or f"{en} (de)"}


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


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
        "is_mandatory": False,
        "decimal_places_strategy": None,
        "decimal_places": None,
    }
    attribute.update(extra)
    return attribute


ATTRIBUTE_DEFS: list[dict] = [
    _attr("sku", "pim_catalog_identifier", "general", "SKU", max_characters=100, is_mandatory=True),
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


BRAND_NAMES = [
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
DESIGNER_NAMES = [
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
COUNTRIES = [("france", "France"), ("germany", "Germany"), ("italy", "Italy"), ("sweden", "Sweden")]
ASSET_COUNT = 30


def record_code(name: str) -> str:
    return name.lower().replace(" ", "_")


def asset_code(index: int) -> str:
    return f"packshot_{index:03d}"


BRAND_CODES = [record_code(n) for n in BRAND_NAMES]
DESIGNER_CODES = [record_code(n) for n in DESIGNER_NAMES]
ASSET_CODES = [asset_code(i) for i in range(ASSET_COUNT)]


def _unit(code: str, label: str, symbol: str, factor: str) -> dict:
    return {
        "code": code,
        "labels": labels(label),
        "convert_from_standard": [{"operator": "mul", "value": factor}],
        "symbol": symbol,
    }


def add_structure(catalog: Catalog) -> None:
    """Locales, currencies, channels, measurement families, attributes, options, categories, families."""
    anchor = catalog.anchor
    catalog.locales = sorted(
        [{"code": c, "enabled": True} for c in LOCALES]
        + [{"code": c, "enabled": False} for c in INACTIVE_LOCALES],
        key=lambda loc: loc["code"],
    )
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
            "locales": list(CHANNEL_LOCALES["ecommerce"]),
            "category_tree": "master",
            "conversion_units": {"weight": "KILOGRAM"},
            "labels": labels("Ecommerce", "E-commerce", "E-Commerce"),
        },
        "print": {
            "code": "print",
            "currencies": ["EUR"],
            "locales": list(CHANNEL_LOCALES["print"]),
            "category_tree": "master",
            "conversion_units": {},
            "labels": labels("Print", "Impression", "Druck"),
        },
    }
    catalog.measurement_families = {
        "Weight": {
            "code": "Weight",
            "labels": labels("Weight", "Poids", "Gewicht"),
            "standard_unit_code": "KILOGRAM",
            "units": {
                "GRAM": _unit("GRAM", "Gram", "g", "0.001"),
                "KILOGRAM": _unit("KILOGRAM", "Kilogram", "kg", "1"),
                "POUND": _unit("POUND", "Pound", "lb", "0.45359237"),
            },
        },
        "Length": {
            "code": "Length",
            "labels": labels("Length", "Longueur", "Länge"),
            "standard_unit_code": "METER",
            "units": {
                "CENTIMETER": _unit("CENTIMETER", "Centimeter", "cm", "0.01"),
                "METER": _unit("METER", "Meter", "m", "1"),
                "INCH": _unit("INCH", "Inch", "in", "0.0254"),
            },
        },
        "Volume": {
            "code": "Volume",
            "labels": labels("Volume"),
            "standard_unit_code": "LITER",
            "units": {
                "LITER": _unit("LITER", "Liter", "L", "1"),
                "MILLILITER": _unit("MILLILITER", "Milliliter", "mL", "0.001"),
            },
        },
    }
    structure_stamp = iso(anchor - timedelta(days=90))
    for order, (code, label) in enumerate(GROUPS, start=1):
        catalog.attribute_groups[code] = {
            "code": code,
            "sort_order": order,
            "attributes": [],
            "labels": labels(label),
        }
        catalog.touch("attribute-groups", code, structure_stamp)
    for order, definition in enumerate(ATTRIBUTE_DEFS, start=1):
        attribute = dict(definition, sort_order=order)
        group = catalog.attribute_groups[attribute["group"]]
        attribute["group_labels"] = dict(group["labels"])
        group["attributes"].append(attribute["code"])
        catalog.attributes[attribute["code"]] = attribute
        catalog.touch("attributes", attribute["code"], structure_stamp)
    for attribute, options in OPTION_DEFS.items():
        catalog.options[attribute] = {
            code: {"code": code, "attribute": attribute, "sort_order": order, "labels": labels(label)}
            for order, (code, label) in enumerate(options, start=1)
        }
    catalog.categories["master"] = {
        "code": "master",
        "parent": None,
        "updated": iso(anchor - timedelta(days=90)),
        "labels": labels("Master catalog", "Catalogue principal", "Hauptkatalog"),
    }
    for child, grandchildren in CATEGORY_TREE.items():
        catalog.categories[child] = {
            "code": child,
            "parent": "master",
            "updated": iso(anchor - timedelta(days=80)),
            "labels": labels(child.replace("_", " ").title()),
        }
        for grandchild in grandchildren:
            catalog.categories[grandchild] = {
                "code": grandchild,
                "parent": child,
                "updated": iso(anchor - timedelta(days=70)),
                "labels": labels(grandchild.replace("_", " ").title()),
            }
    for code, definition in FAMILY_DEFS.items():
        catalog.families[code] = {
            "code": code,
            "attributes": COMMON + definition["extra"],
            "attribute_as_label": "name",
            "attribute_as_image": "main_image",
            "attribute_requirements": {
                "ecommerce": ["sku", "name", "description", "price"],
                "print": ["sku", "name"],
            },
            "labels": labels(definition["label"]),
        }
        catalog.touch("families", code, structure_stamp)
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


def _text_attribute(code: str, label: str, *, per_locale: bool, textarea: bool) -> dict:
    return {
        "code": code,
        "labels": labels(label),
        "type": "text",
        "value_per_locale": per_locale,
        "value_per_channel": False,
        "is_required_for_completeness": False,
        "max_characters": None,
        "is_textarea": textarea,
        "is_rich_text_editor": False,
        "validation_rule": "none",
        "validation_regexp": None,
    }


def add_entities(catalog: Catalog, rng: random.Random) -> None:
    """Two reference entities with records, one asset family with assets (media included)."""
    from .media import media_code  # a leaf module; imported here to keep this one data-only

    anchor = catalog.anchor
    catalog.reference_entities = {
        "brand": {"code": "brand", "labels": labels("Brand", "Marque", "Marke"), "image": None},
        "designer": {"code": "designer", "labels": labels("Designer"), "image": None},
    }
    for entity in catalog.reference_entities:
        attributes = [
            _text_attribute("label", "Label", per_locale=True, textarea=False),
            _text_attribute("description", "Description", per_locale=True, textarea=True),
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
        if entity == "brand":
            attributes.append(
                {
                    "code": "country",
                    "labels": labels("Country", "Pays", "Land"),
                    "type": "single_option",
                    "value_per_locale": False,
                    "value_per_channel": False,
                    "is_required_for_completeness": False,
                }
            )
            catalog.reference_entity_options["brand"] = {
                "country": {code: {"code": code, "labels": labels(label)} for code, label in COUNTRIES}
            }
        catalog.reference_entity_attributes[entity] = attributes
    for entity, names in (("brand", BRAND_NAMES), ("designer", DESIGNER_NAMES)):
        catalog.records[entity] = {}
        for number, name in enumerate(names):
            code = record_code(name)
            values: dict[str, list[dict]] = {
                "label": [{"locale": loc, "channel": None, "data": name} for loc in LOCALES],
                "description": [
                    {"locale": "en_US", "channel": None, "data": f"About {name}."},
                    {"locale": "fr_FR", "channel": None, "data": f"À propos de {name}."},
                ],
            }
            if entity == "brand":
                values["country"] = [{"locale": None, "channel": None, "data": COUNTRIES[number % 4][0]}]
            catalog.records[entity][code] = {
                "code": code,
                "values": values,
                "created": iso(anchor - timedelta(days=rng.randint(30, 120))),
                "updated": iso(anchor - timedelta(days=rng.randint(0, 29), seconds=rng.randint(0, 86399))),
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
            {
                "code": "view",
                "labels": labels("View", "Vue", "Ansicht"),
                "type": "single_option",
                "value_per_locale": False,
                "value_per_channel": False,
                "is_required_for_completeness": False,
                "is_read_only": False,
            },
        ]
    }
    views = [("front", "Front"), ("back", "Back"), ("side", "Side")]
    catalog.asset_family_options = {
        "packshots": {"view": {code: {"code": code, "labels": labels(label)} for code, label in views}}
    }
    catalog.assets = {"packshots": {}}
    for index, code in enumerate(ASSET_CODES):
        media = media_code(f"asset-{code}", f"{code}.png")
        catalog.asset_media[media] = {
            "code": media,
            "original_filename": f"{code}.png",
            "mime_type": "image/png",
        }
        catalog.assets["packshots"][code] = {
            "code": code,
            "asset_family_code": "packshots",
            "values": {
                "media": [{"locale": None, "channel": None, "data": media}],
                "alt_text": [{"locale": "en_US", "channel": None, "data": f"Packshot {index}"}],
                "view": [{"locale": None, "channel": None, "data": views[index % 3][0]}],
            },
            "created": iso(anchor - timedelta(days=rng.randint(30, 90))),
            "updated": iso(anchor - timedelta(days=rng.randint(0, 29), seconds=rng.randint(0, 86399))),
        }


NUTRIENTS = [
    ("sugar", labels("Sugar", "Sucre", "Zucker")),
    ("salt", labels("Salt", "Sel", "Salz")),
    ("fat", labels("Fat", "Matières grasses", "Fett")),
    ("protein", labels("Protein", "Protéines", "Eiweiß")),
]


def _column(code: str, data_type: str, label: dict[str, str], **extra) -> dict:
    column = {
        "code": code,
        "data_type": data_type,
        "labels": label,
        "validations": {},
        "is_required_for_completeness": False,
    }
    column.update(extra)
    return column


def nutrition_columns() -> list[dict]:
    return [
        _column(
            "nutrient",
            "select",
            labels("Nutrient", "Nutriment", "Nährstoff"),
            is_required_for_completeness=True,
            options=[{"code": code, "labels": dict(names)} for code, names in NUTRIENTS],
        ),
        _column(
            "quantity",
            "number",
            labels("Quantity", "Quantité", "Menge"),
            validations={"min": None, "max": None, "decimals_allowed": True},
        ),
        _column("note", "text", labels("Note", "Remarque", "Hinweis"), validations={"max_length": 100}),
    ]


def add_table_attribute(catalog: Catalog) -> dict:
    """Opt in to a table attribute: ``nutrition`` (nutrient select, quantity, note) in ``accessories``.

    Kept out of ``build_demo_catalog`` because many tests count the demo's attributes.
    """
    attribute = _attr(
        "nutrition",
        TABLE_TYPE,
        "technical",
        "Nutrition facts",
        sort_order=len(catalog.attributes) + 1,
        table_configuration=nutrition_columns(),
    )
    attribute["labels"] = labels("Nutrition facts", "Valeurs nutritionnelles", "Nährwerte")
    group = catalog.attribute_groups["technical"]
    attribute["group_labels"] = dict(group["labels"])
    group["attributes"].append("nutrition")
    catalog.attributes["nutrition"] = attribute
    catalog.touch("attributes", "nutrition")
    catalog.families["accessories"]["attributes"].append("nutrition")
    catalog.touch("families", "accessories")
    return attribute
