"""PIM products and product models → catalog records (what the catalog writer puts in a <product>)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .models import ExportProfile
from .structure import CatalogStructure
from .writers.catalog import CustomValue, ProductRecord, VariationAttribute

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def linked_products(associations: dict) -> Iterator[tuple[str, str | None, str | None]]:
    """(association type, identifier, uuid) of every associated product; one of the two is known."""
    for association_type, block in (associations or {}).items():
        for item in [*(block.get("products") or []), *(block.get("product_uuids") or [])]:
            if isinstance(item, dict):
                identifier, uuid = item.get("identifier"), item.get("uuid")
            elif UUID.match(str(item)):
                identifier, uuid = None, str(item)
            else:
                identifier, uuid = str(item), None
            if identifier or uuid:
                yield association_type, identifier, uuid


class RecordBuilder:
    def __init__(
        self,
        profile: ExportProfile,
        structure: CatalogStructure,
        identifier_of_uuid: Callable[[str], str | None] = lambda uuid: None,
    ):
        self.profile = profile
        self.structure = structure
        self.identifier_of_uuid = identifier_of_uuid
        self.unresolved_links = 0

    def product_id(self, product: dict) -> str:
        values = product.get("values") or {}
        for entry in values.get(self.structure.identifier) or []:
            if entry.get("data"):
                return str(entry["data"])
        return str(product.get("identifier") or product.get("uuid"))

    def record(self, product_id: str, values: dict, *, online: bool | None, associations: dict | None = None):
        record = ProductRecord(product_id=product_id, online=online)
        for value in self.structure.reader.read(values):
            element = self.structure.system.get(value.code)
            if element:
                record.system.setdefault(element, {})[value.locale] = ", ".join(value.texts)
                continue
            custom = self.structure.custom_ids.get(value.code)
            if custom:
                attribute_id, multiple = custom
                record.custom.append(CustomValue(attribute_id, value.locale, value.texts, multiple))
        flag = record.system.pop("online-flag", None)
        if flag and online is not None:  # a mapped PIM boolean can only take an enabled product offline
            record.online = online and next(iter(flag.values())) == "true"
        record.links = list(self._links(associations or {}))
        return record

    def _links(self, associations: dict) -> Iterator[tuple[str, str]]:
        seen = set()
        targets = []
        for association_type, identifier, uuid in linked_products(associations):
            identifier = identifier or self.identifier_of_uuid(uuid)
            if identifier:
                targets.append((identifier, self.profile.link_type(association_type)))
            else:
                self.unresolved_links += 1
        for association_type, block in associations.items():
            link_type = self.profile.link_type(association_type)
            targets.extend((str(code), link_type) for code in block.get("product_models") or [])
        for target in targets:
            if target not in seen:
                seen.add(target)
                yield target

    def axis_values(self, values: dict) -> dict[str, str]:
        """The values of every attribute that is an axis somewhere, to group variants under masters later."""
        reader, found = self.structure.reader, {}
        for code in self.structure.all_axes:
            if code in values:
                text = reader.one(values, code)
                if text is not None:
                    found[code] = text
        return found

    def master(
        self, root: dict, groups: list[dict], variants: list[tuple[str, dict, list[str]]]
    ) -> ProductRecord:
        record = self.record(
            root["code"], root.get("values") or {}, online=True, associations=root.get("associations")
        )
        axes = self.structure.axes.get(root.get("family_variant") or "", [])
        observed: dict[str, list[str]] = {code: [] for code in axes}
        for axis_values in [
            *(self.axis_values(g.get("values") or {}) for g in groups),
            *(v[1] for v in variants),
        ]:
            for code in axes:
                value = axis_values.get(code)
                if value is not None and value not in observed[code]:
                    observed[code].append(value)
        record.variation_attributes = [
            VariationAttribute(
                attribute_id=self.attribute_id(code),
                display_name=self.structure.axis_names.get(code) or {"x-default": code},
                values=[
                    (value, self.structure.option_labels.get((code, value), {})) for value in observed[code]
                ],
            )
            for code in axes
            if observed[code]
        ]
        record.variants = [variant_id for variant_id, _, _ in variants]
        record.variation_groups = [group["code"] for group in groups]
        return record

    def attribute_id(self, code: str) -> str:
        custom = self.structure.custom_ids.get(code)
        return custom[0] if custom else self.structure.system.get(code, code)

    def group(self, model: dict) -> ProductRecord:
        return self.record(
            model["code"], model.get("values") or {}, online=True, associations=model.get("associations")
        )
