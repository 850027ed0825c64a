"""Derive a workflow's SDM project configuration from the PIM mirror (pure reads, no writes).

Naming rule, per included PIM attribute and the workflow's targets:
- neither scopable nor localizable: ``code``
- scopable: ``code-<channel>`` for each targeted channel
- localizable: ``code-<locale>`` for each targeted locale active on a targeted channel
- both: ``code-<channel>-<locale>`` for each targeted channel and each targeted locale active on it
Locale-specific attributes (``available_locales``) keep only those locales. Metric attributes get a
``<name>-unit`` select of their measurement family's units (unless the workflow says otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.models import (
    Attribute,
    AttributeGroup,
    AttributeOption,
    Category,
    Channel,
    Family,
    Locale,
    MeasurementFamily,
    ReferenceEntityRecord,
)

from .attribute_config import included_attribute_codes
from .models import Workflow

SDM_TYPES = {
    "pim_catalog_identifier": "identifier",
    "pim_catalog_text": "text",
    "pim_catalog_textarea": "textarea",
    "pim_catalog_number": "number",
    "pim_catalog_metric": "number",
    "pim_catalog_price_collection": "price",
    "pim_catalog_simpleselect": "select",
    "pim_catalog_multiselect": "multiselect",
    "pim_catalog_boolean": "boolean",
    "pim_catalog_date": "date",
    "pim_catalog_image": "image",
    "pim_catalog_file": "file",
    "pim_catalog_asset_collection": "asset_collection",
    "akeneo_reference_entity": "select",
    "akeneo_reference_entity_collection": "multiselect",
    "pim_catalog_table": "table",
}


@dataclass
class Derived:
    attributes: list[dict[str, Any]] = field(default_factory=list)
    display_groups: list[dict[str, Any]] = field(default_factory=list)
    hierarchies: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Targets:
    channels: list[Channel]
    locales: list[str]  # targeted and active, in workflow order
    channel_locales: dict[str, list[str]]  # channel → its active, targeted locales

    @property
    def any_channel_locales(self) -> list[str]:
        return [loc for loc in self.locales if any(loc in locs for locs in self.channel_locales.values())]


def targets(workflow: Workflow) -> Targets:
    connection = workflow.connection
    channels = list(Channel.objects.live().filter(connection=connection).order_by("code"))
    if workflow.channels:
        order = {code: i for i, code in enumerate(workflow.channels)}
        channels = sorted((c for c in channels if c.code in order), key=lambda c: order[c.code])
    active = list(
        Locale.objects.live().filter(connection=connection, enabled=True).values_list("code", flat=True)
    )
    locales = [loc for loc in workflow.locales if loc in active] if workflow.locales else sorted(active)
    channel_locales = {c.code: [loc for loc in locales if loc in c.locales] for c in channels}
    return Targets(channels, locales, channel_locales)


def _variants(attribute: Attribute, t: Targets) -> list[tuple[str, str, str]]:
    """(suffix, channel, locale) for each SDM attribute this PIM attribute becomes."""
    allowed = set(attribute.available_locales or [])

    def keep(locales: list[str]) -> list[str]:
        return [loc for loc in locales if not allowed or loc in allowed]

    if attribute.scopable and attribute.localizable:
        return [
            (f"-{c.code}-{loc}", c.code, loc) for c in t.channels for loc in keep(t.channel_locales[c.code])
        ]
    if attribute.scopable:
        return [(f"-{c.code}", c.code, "") for c in t.channels]
    if attribute.localizable:
        return [(f"-{loc}", "", loc) for loc in keep(t.any_channel_locales)]
    return [("", "", "")]


def _variant_labels(labels: dict[str, str], channel: Channel | None, locale: str, suffix: str = "") -> dict:
    result = {}
    for lang, text in labels.items():
        bits = [channel.label(lang)] if channel else []
        if locale:
            bits.append(locale)
        result[lang] = text + (f" ({', '.join(bits)})" if bits else "") + suffix
    return result


def _options(workflow: Workflow, attributes: list[Attribute]) -> dict[str, list[dict]]:
    """Allowed values per select-like PIM attribute: options, or the records of its reference entity."""
    connection = workflow.connection
    wanted = [a.code for a in attributes if a.type in ("pim_catalog_simpleselect", "pim_catalog_multiselect")]
    result: dict[str, list[dict]] = {code: [] for code in wanted}
    for option in (
        AttributeOption.objects.live()
        .filter(connection=connection, attribute_code__in=wanted)
        .order_by("attribute_code", "sort_order", "code")
    ):
        result[option.attribute_code].append({"code": option.code, "labels": option.labels})
    entity_of = {
        a.code: a.reference_data_name
        for a in attributes
        if a.type in ("akeneo_reference_entity", "akeneo_reference_entity_collection")
    }
    records: dict[str, list[dict]] = {}
    for record in ReferenceEntityRecord.objects.live().filter(
        connection=connection, entity_code__in=set(entity_of.values())
    ):
        records.setdefault(record.entity_code, []).append(
            {"code": record.code, "labels": record_labels(record)}
        )
    for code, entity in entity_of.items():
        result[code] = records.get(entity, [])
    return result


def record_labels(record: ReferenceEntityRecord) -> dict[str, str]:
    labels = {}
    for value in (record.raw.get("values") or {}).get("label", []):
        if value.get("locale") and value.get("data"):
            labels[value["locale"]] = value["data"]
    return labels


def derive(workflow: Workflow) -> Derived:
    connection = workflow.connection
    t = targets(workflow)
    channels = {c.code: c for c in t.channels}
    included = included_attribute_codes(workflow)
    families = Family.objects.live().filter(connection=connection)
    if workflow.families:
        families = families.filter(code__in=workflow.families)
        in_families = {code for family in families for code in family.attributes}
        included &= in_families
    attributes = list(
        Attribute.objects.live()
        .filter(connection=connection, code__in=included)
        .order_by("sort_order", "code")
    )
    groups = list(AttributeGroup.objects.live().filter(connection=connection).order_by("sort_order", "code"))
    group_order = {g.code: i for i, g in enumerate(groups)}
    attributes.sort(key=lambda a: (group_order.get(a.group_code, len(groups)), a.sort_order, a.code))
    allowed = _options(workflow, attributes)
    units = {
        m.code: [{"code": code, "labels": unit.get("labels") or {}} for code, unit in m.units.items()]
        for m in MeasurementFamily.objects.live().filter(connection=connection)
    }
    derived = Derived()
    for attribute in attributes:
        for suffix, channel, locale in _variants(attribute, t):
            name = attribute.code + suffix
            row = {
                "code": name,
                "labels": _variant_labels(attribute.labels, channels.get(channel), locale),
                "pim_attribute_code": attribute.code,
                "channel": channel,
                "locale": locale,
                "kind": "value",
                "pim_type": attribute.type,
                "sdm_type": SDM_TYPES.get(attribute.type, "text"),
                "display_group": attribute.group_code,
                "allowed_values": allowed.get(attribute.code, []),
            }
            derived.attributes.append(row)
            if (
                attribute.type == "pim_catalog_metric"
                and workflow.metric_mode == Workflow.MetricMode.NUMBER_AND_UNIT
            ):
                derived.attributes.append(
                    {
                        **row,
                        "code": f"{name}-unit",
                        "labels": _variant_labels(attribute.labels, channels.get(channel), locale, " – unit"),
                        "kind": "unit",
                        "sdm_type": "select",
                        "allowed_values": units.get(attribute.metric_family, []),
                    }
                )
    for position, row in enumerate(derived.attributes):
        row["position"] = position
    used_groups = {a["display_group"] for a in derived.attributes}
    derived.display_groups = [
        {"code": g.code, "labels": g.labels, "position": i}
        for i, g in enumerate(g for g in groups if g.code in used_groups)
    ]
    derived.hierarchies = _hierarchies(workflow, list(families.order_by("code")), t)
    return derived


def _hierarchies(workflow: Workflow, families: list[Family], t: Targets) -> list[dict]:
    hierarchies = [
        {
            "code": "families",
            "source": "families",
            "labels": {"en_US": "Families"},
            "position": 0,
            "nodes": [{"code": f.code, "parent": None, "labels": f.labels} for f in families],
        }
    ]
    trees = {c.category_tree for c in t.channels if c.category_tree}
    categories = Category.objects.live().filter(connection=workflow.connection)
    if trees:
        categories = categories.filter(root_code__in=trees)
    nodes_by_root: dict[str, list[dict]] = {}
    for category in categories.order_by("root_code", "depth", "position", "code"):
        nodes_by_root.setdefault(category.root_code, []).append(
            {"code": category.code, "parent": category.parent_code or None, "labels": category.labels}
        )
    if workflow.category_hierarchies == Workflow.CategoryHierarchies.PER_ROOT:
        for root, nodes in sorted(nodes_by_root.items()):
            root_labels = next((n["labels"] for n in nodes if n["code"] == root), {})
            hierarchies.append(
                {
                    "code": root,
                    "source": "categories",
                    "labels": root_labels,
                    "position": len(hierarchies),
                    "nodes": nodes,
                }
            )
    else:
        hierarchies.append(
            {
                "code": "categories",
                "source": "categories",
                "labels": {"en_US": "Categories"},
                "position": 1,
                "nodes": [node for root in sorted(nodes_by_root) for node in nodes_by_root[root]],
            }
        )
    return hierarchies
