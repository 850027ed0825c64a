"""Product models for variant rows: which values go on the root model, the sub-model, the variant.

A supplier row with a ``parent`` is a variant product. Its models are created (or updated) first,
from the family variant's levels in the mirror: common attributes on the root model, level-1
attributes (and axes) on the sub-model of a 2-level family variant, the last level's attributes
and axes on the variant product itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.models import FamilyVariant

from .models import SupplierJob


@dataclass
class ModelPlan:
    roots: dict[str, dict[str, Any]] = field(default_factory=dict)
    subs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # variant product identifier → the model codes it depends on
    depends_on: dict[str, list[str]] = field(default_factory=dict)


class VariantSplitter:
    def __init__(self, job: SupplierJob):
        self.variants = {
            v.code: v for v in FamilyVariant.objects.live().filter(connection=job.workflow.connection)
        }

    def split(self, payload: dict, family_variant: str, root_code: str, plan: ModelPlan) -> dict:
        """Move model-level values out of a variant product's payload into the plan; return the product."""
        variant = self.variants.get(family_variant)
        if variant is None:
            raise ValueError(
                f"Unknown family variant '{family_variant}' (sync the workflow if the PIM has it)."
            )
        family = payload.get("family")
        if family and family != variant.family_code:
            raise ValueError(
                f"Family variant '{family_variant}' belongs to family '{variant.family_code}', "
                f"not '{family}': the PIM would refuse its product model."
            )
        levels = variant.levels
        missing = [
            axis
            for level in range(1, levels + 1)
            for axis in variant.axes.get(str(level), [])
            if axis not in payload["values"]
        ]
        if missing:
            raise ValueError(
                f"A variant of '{family_variant}' needs a value for its axis: {', '.join(missing)}."
            )
        product_level = {
            *variant.attributes_by_level.get(str(levels), []),
            *variant.axes.get(str(levels), []),
        }
        level_one = {*variant.attributes_by_level.get("1", []), *variant.axes.get("1", [])}
        values = payload["values"]
        product_values = {k: v for k, v in values.items() if k in product_level}
        parent = payload["parent"]
        if levels == 2:
            root = root_code or ""
            if not root:
                raise ValueError("A 2-level family variant needs a 'root model' column.")
            sub_values = {k: v for k, v in values.items() if k in level_one and k not in product_level}
            common = {k: v for k, v in values.items() if k not in product_level and k not in level_one}
            self._merge(
                plan.subs,
                parent,
                {"code": parent, "parent": root, "family_variant": family_variant},
                sub_values,
            )
            self._merge(plan.roots, root, self._root(payload, family_variant, root), common)
            plan.depends_on[payload["identifier"]] = [root, parent]
        else:
            common = {k: v for k, v in values.items() if k not in product_level}
            self._merge(plan.roots, parent, self._root(payload, family_variant, parent), common)
            plan.depends_on[payload["identifier"]] = [parent]
        product = {k: v for k, v in payload.items() if k not in ("values", "categories", "family")}
        product["values"] = product_values
        return product

    @staticmethod
    def _root(payload: dict, family_variant: str, code: str) -> dict:
        root = {"code": code, "family_variant": family_variant}
        for key in ("family", "categories"):
            if key in payload:
                root[key] = payload[key]
        return root

    @staticmethod
    def _merge(models: dict[str, dict], code: str, head: dict, values: dict) -> None:
        model = models.setdefault(code, {**head, "values": {}})
        for attribute, entries in values.items():
            model["values"].setdefault(attribute, entries)  # the first row that gives a value wins
