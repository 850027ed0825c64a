"""Supplier rows → PIM product payloads, with every problem of a row found at once.

Rules: empty cells are never sent (they never erase a PIM value); columns whose SDM attribute the
last sync does not know are never sent; select-like values go through the job's value mapping,
else an exact code or label match. ``build`` raises ``RowProblems`` listing each problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.models import Attribute, Category, Channel, Family

from . import cells, tables
from .jobs import normalize
from .media import MediaCell
from .models import JobColumn, SdmAttribute, SupplierJob
from .value_mapping import (
    MULTI,
    SELECT_LIKE,
    TABLE,
    OptionIndex,
    column_options,
    entity_records,
    mapping_table,
)
from .variants import ModelPlan, VariantSplitter

CellError = cells.CellError


class RowProblems(ValueError):
    """Everything that keeps a row from being sent, each in words naming its column."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Target:
    """Where one mapped column goes in the PIM."""

    header: str
    sdm: SdmAttribute
    decimals_allowed: bool | None
    default_unit: str
    reference: str = ""  # the asset family or reference entity the attribute points to
    table_columns: tuple = ()


class ProductBuilder:
    """Builds payloads for one job. ``planned_options_exist``: treat options still to be created by
    the push as existing (the preview, before the push creates them)."""

    def __init__(self, job: SupplierJob, *, planned_options_exist: bool = False):
        workflow = job.workflow
        connection = workflow.connection
        self.planned_options_exist = planned_options_exist
        self.value_map = mapping_table(job)
        self.splitter = VariantSplitter(job)
        self.plan_models: ModelPlan | None = None
        self.columns = list(job.columns.all())
        self._role_positions = {c.role: c.position for c in reversed(self.columns)}
        derived = {a.code: a for a in SdmAttribute.objects.filter(workflow=workflow)}
        mapped_codes = {c.sdm_attribute for c in self.columns if c.role == JobColumn.Role.ATTRIBUTE}
        mirror = {
            a.code: a
            for a in Attribute.objects.live().filter(
                connection=connection,
                code__in={d.pim_attribute_code for code, d in derived.items() if code in mapped_codes},
            )
        }
        self.targets: dict[int, Target] = {}
        self.ignored_unknown: list[str] = []
        for column in self.columns:
            if column.role != JobColumn.Role.ATTRIBUTE:
                continue
            sdm = derived.get(column.sdm_attribute)
            if sdm is None:
                # Not in the configuration of the last sync: never sent.
                self.ignored_unknown.append(column.header)
                continue
            pim = mirror.get(sdm.pim_attribute_code)
            self.targets[column.position] = Target(
                column.header,
                sdm,
                pim.decimals_allowed if pim else None,
                pim.default_metric_unit if pim else "",
                pim.reference_data_name if pim else "",
                tuple(tables.columns_of(pim.raw)) if pim and pim.type == TABLE else (),
            )
        self.identifier_position = next(
            (p for p, t in self.targets.items() if t.sdm.pim_type == "pim_catalog_identifier"), None
        )
        currencies = []
        for channel in Channel.objects.live().filter(connection=connection, code__in=workflow.channels or []):
            currencies += [c for c in channel.currencies if c not in currencies]
        self.default_currency = currencies[0] if currencies else "EUR"
        self.families = set(
            Family.objects.live().filter(connection=connection).values_list("code", flat=True)
        )
        self.categories = set(
            Category.objects.live().filter(connection=connection).values_list("code", flat=True)
        )
        self._connection = connection
        self._indexes: dict[str, OptionIndex] = {}

    def _index(self, key: str, load) -> OptionIndex:
        """One suggestion index per option list for the whole job: ``load`` runs once, rows reuse it."""
        if key not in self._indexes:
            self._indexes[key] = OptionIndex(load())
        return self._indexes[key]

    # ------------------------------------------------------------------------------ cells
    def role_cell(self, values: list[str], role: str) -> str:
        position = self._role_positions.get(role)
        return values[position].strip() if position is not None and position < len(values) else ""

    def build(self, values: list[str]) -> dict[str, Any]:
        """The product payload for one row (raises ``RowProblems`` with every problem found)."""
        if self.identifier_position is None:
            raise RowProblems(["No column is mapped to the identifier attribute."])
        identifier = values[self.identifier_position].strip()
        if not identifier:
            raise RowProblems(["The identifier cell is empty."])
        problems: list[str] = []
        payload: dict[str, Any] = {"identifier": identifier, "values": {}}
        if family := self.role_cell(values, JobColumn.Role.FAMILY):
            payload["family"] = family
            if family not in self.families:
                problems.append(f"Family '{family}' does not exist in the PIM (as of the last sync).")
        if categories := self.role_cell(values, JobColumn.Role.CATEGORIES):
            payload["categories"] = cells.split_list(categories)
            unknown = [c for c in payload["categories"] if c not in self.categories]
            if unknown:
                problems.append(f"Unknown categories (as of the last sync): {', '.join(unknown)}.")
        if parent := self.role_cell(values, JobColumn.Role.PARENT):
            payload["parent"] = parent
        units = self._units(values, problems)
        for position, target in self.targets.items():
            sdm = target.sdm
            raw = values[position].strip() if position < len(values) else ""
            if not raw or sdm.kind == SdmAttribute.Kind.UNIT or sdm.pim_type == "pim_catalog_identifier":
                continue  # empty cells are never sent: they must not erase a PIM value
            if sdm.pim_type in ("pim_catalog_image", "pim_catalog_file"):
                # Media go through the media files endpoint once the product exists.
                payload.setdefault("_media", []).append(
                    MediaCell(
                        sdm.pim_attribute_code,
                        sdm.channel or None,
                        sdm.locale or None,
                        raw,
                        image=sdm.pim_type == "pim_catalog_image",
                    )
                )
                continue
            if sdm.pim_type == "pim_catalog_asset_collection":
                payload.setdefault("_assets", []).append((target, raw))
                continue
            try:
                data = self.convert(target, raw, units.get((sdm.pim_attribute_code, sdm.channel, sdm.locale)))
            except CellError as exc:
                problems.append(str(exc))
                continue
            payload["values"].setdefault(sdm.pim_attribute_code, []).append(
                {"locale": sdm.locale or None, "scope": sdm.channel or None, "data": data}
            )
        if problems:
            raise RowProblems(problems)
        return payload

    def _units(self, values: list[str], problems: list[str]) -> dict[tuple[str, str, str], str]:
        units = {}
        for position, target in self.targets.items():
            raw = values[position].strip() if position < len(values) else ""
            if raw and target.sdm.kind == SdmAttribute.Kind.UNIT:
                known = target.sdm.allowed_values
                code = self._index(target.sdm.code, lambda known=known: known).suggest(raw)
                if code is None:
                    problems.append(f"Column '{target.header}': unknown unit '{raw}'.")
                    continue
                units[(target.sdm.pim_attribute_code, target.sdm.channel, target.sdm.locale)] = code
        return units

    def as_variant(self, payload: dict, values: list[str], plan: ModelPlan | None = None) -> dict:
        """For a variant row, the product payload without its models' values (collected in ``plan``)."""
        if "parent" not in payload:
            return payload
        family_variant = self.role_cell(values, JobColumn.Role.FAMILY_VARIANT)
        root = self.role_cell(values, JobColumn.Role.ROOT_MODEL)
        if not family_variant:
            return payload  # the models exist in the PIM already: attach by parent code only
        return self.splitter.split(payload, family_variant, root, plan if plan is not None else ModelPlan())

    def models_of(self, payload: dict) -> list[str]:
        return self.plan_models.depends_on.get(payload["identifier"], []) if self.plan_models else []

    # --------------------------------------------------------------------------- values
    def option(self, raw: str, target: Target, where: str, column: str = "", allowed=None) -> str:
        """The value mapping decides first; otherwise an exact code or label match among the SDM
        attribute's allowed values, or among ``allowed()`` (a table column's options)."""
        attribute = target.sdm.pim_attribute_code
        mapped = self.value_map.get((attribute, column, normalize(raw)))
        if mapped is not None:
            if not mapped.planned or self.planned_options_exist:
                return mapped.code
            reason = mapped.creation_error or "it was not created"
            raise CellError(
                f"{where}: '{raw}' maps to the new option '{mapped.code}' of {attribute}, but {reason}."
            )
        code = self._index(
            f"{target.sdm.code}/{column}", lambda: target.sdm.allowed_values if allowed is None else allowed()
        ).suggest(raw)
        if code is None:
            of = f"{attribute} column {column}" if column else attribute
            raise CellError(f"{where}: '{raw}' is not an option of {of} (map it first).")
        return code

    def convert(self, target: Target, raw: str, unit: str | None) -> Any:
        kind = target.sdm.pim_type
        where = f"Column '{target.header}'"
        if kind in ("pim_catalog_text", "pim_catalog_textarea"):
            return raw
        if kind == "pim_catalog_number":
            return cells.number(raw, target.decimals_allowed, where)
        if kind == "pim_catalog_metric":
            return {"amount": cells.number(raw, True, where), "unit": unit or target.default_unit}
        if kind == "pim_catalog_price_collection":
            return cells.prices(raw, self.default_currency, where)
        if kind == "pim_catalog_boolean":
            return cells.boolean(raw, where)
        if kind == "pim_catalog_date":
            return cells.date(raw, where)
        if kind in MULTI:
            return self._each(cells.split_list(raw), lambda part: self.option(part, target, where))
        if kind in SELECT_LIKE:
            return self.option(raw, target, where)
        if kind == TABLE:
            return self._table(target, raw, where)
        return raw

    @staticmethod
    def _each(parts: list[str], convert) -> list[str]:
        """Every part converted, or one ``CellError`` naming every part that is not."""
        converted, problems = [], []
        for part in parts:
            try:
                converted.append(convert(part))
            except CellError as exc:
                problems.append(str(exc))
        if problems:
            raise CellError(" ".join(problems))
        return converted

    def _table(self, target: Target, raw: str, where: str) -> list[dict]:
        columns = list(target.table_columns)
        by_code = {c["code"]: c for c in columns}

        def select(column: str, value: str, at: str) -> str:
            return self.option(value, target, at, column, allowed=lambda: column_options(columns, column))

        def record(column: str, value: str, at: str) -> str:
            entity = by_code[column].get("reference_entity_identifier") or ""
            code = self._index(f"entity:{entity}", lambda: entity_records(self._connection, entity)).suggest(
                value
            )
            if code is None:
                raise CellError(f"{at}: '{value}' is not a record of {entity}.")
            return code

        return tables.convert(raw, columns, select, record, where)
