"""What a catalog export needs to know about the PIM's structure, read once from the mirror."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from lxml import etree

from connector.models import Attribute, AttributeOption, Category, Channel, Currency, FamilyVariant

from .attributes import NOT_CUSTOM, custom_attribute_id, localized
from .models import ExportProfile, SavedRefinements
from .refinements import parse_saved
from .values import MULTI_VALUE_TYPES, AttributeInfo, ValueReader
from .writers.catalog import CategoryRecord

SFCC_ROOT_CATEGORY = "root"
logger = logging.getLogger(__name__)


@dataclass
class CatalogStructure:
    reader: ValueReader
    identifier: str
    custom_ids: dict[str, tuple[str, bool]]  # PIM code → (SFCC attribute id, multi-valued)
    system: dict[str, str]  # PIM code → SFCC system element
    axes: dict[str, list[str]]  # family variant → axis attribute codes, level 1 first
    axis_names: dict[str, dict[str, str]]  # axis attribute → SFCC locale → label
    option_labels: dict[tuple[str, str], dict[str, str]]  # (axis attribute, option) → locale → label
    category_tree: str
    categories: list[CategoryRecord]
    currencies: list[str]

    @cached_property
    def all_axes(self) -> frozenset[str]:
        """Every attribute that is an axis in some family variant (read for every product: computed once)."""
        return frozenset(code for codes in self.axes.values() for code in codes)

    def in_tree(self, codes) -> list[str]:
        return [code for code in codes if code in self._tree_codes and code != self.category_tree]

    def __post_init__(self) -> None:
        self._tree_codes = {record.category_id for record in self.categories} | {self.category_tree}


def load_structure(profile: ExportProfile) -> CatalogStructure:
    connection = profile.connection
    locales = profile.locale_mapping
    attributes = list(Attribute.objects.live().filter(connection=connection).only("code", "type", "labels"))
    identifier = next((a.code for a in attributes if a.type == "pim_catalog_identifier"), "sku")
    system = profile.system_attribute_of()
    custom_ids = {
        a.code: (custom_attribute_id(a.code), a.type in MULTI_VALUE_TYPES)
        for a in attributes
        if a.type not in NOT_CUSTOM and a.code not in system
    }
    axes: dict[str, list[str]] = {}
    for variant in FamilyVariant.objects.live().filter(connection=connection).only("code", "axes"):
        levels = sorted((variant.axes or {}).items(), key=lambda item: int(item[0]))
        axes[variant.code] = [code for _, codes in levels for code in codes]
    axis_codes = {code for codes in axes.values() for code in codes}
    labels_by_code = {a.code: a.labels for a in attributes}
    option_labels = {
        (option.attribute_code, option.code): localized(option.labels, locales)
        for option in AttributeOption.objects.live()
        .filter(connection=connection, attribute_code__in=axis_codes)
        .only("attribute_code", "code", "labels")
    }
    channel = Channel.objects.live().filter(connection=connection, code=profile.channel).first()
    tree = channel.category_tree if channel else ""
    return CatalogStructure(
        reader=ValueReader(
            {a.code: AttributeInfo(a.code, a.type) for a in attributes}, profile.channel, locales
        ),
        identifier=identifier,
        custom_ids=custom_ids,
        system=system,
        axes=axes,
        axis_names={code: localized(labels_by_code.get(code) or {}, locales) for code in axis_codes},
        option_labels=option_labels,
        category_tree=tree,
        categories=_tree_categories(profile, tree),
        currencies=_channel_currencies(connection, channel),
    )


def _channel_currencies(connection, channel: Channel | None) -> list[str]:
    if channel is None:
        return []
    enabled = set(
        Currency.objects.live().filter(connection=connection, enabled=True).values_list("code", flat=True)
    )
    return [code for code in channel.currencies if code in enabled]


def _tree_categories(profile: ExportProfile, tree: str) -> list[CategoryRecord]:
    if not tree:
        return []
    saved = {}
    for row in SavedRefinements.objects.filter(profile=profile).only("category_id", "definitions"):
        try:
            saved[row.category_id] = parse_saved(row.definitions)
        except etree.XMLSyntaxError:
            # Saved before refinements were checked at reading; one bad category must not stop exports.
            logger.warning("Saved refinements of category %s are unreadable and left out.", row.category_id)
    records = []
    for category in (
        Category.objects.live()
        .filter(connection=profile.connection, root_code=tree)
        .order_by("depth", "position", "code")
        .only("code", "labels", "parent_code", "position")
    ):
        is_root = category.code == tree
        records.append(
            CategoryRecord(
                category_id=SFCC_ROOT_CATEGORY if is_root else category.code,
                display_name=localized(category.labels, profile.locale_mapping)
                or {"x-default": category.code},
                parent=None
                if is_root
                else (SFCC_ROOT_CATEGORY if category.parent_code == tree else category.parent_code),
                position=None if category.position is None else float(category.position),
                refinements=saved.get(SFCC_ROOT_CATEGORY if is_root else category.code),
            )
        )
    return records
