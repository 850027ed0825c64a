"""Value mapping: the distinct raw values of select-like columns, matched to PIM options.

Select-like = simple and multi select, reference entity (collection) and the select columns of
table attributes. Suggestions match an option's code or any of its labels, case- and
accent-insensitively. Every choice a person makes (admin step, API, command) goes through
``save_mappings``, which checks it against the mirror: an existing code for a mapping, a code that
exists nowhere for a new option, and new options only where the attribute configuration tab allows
them. Creating the options themselves is ``sdm.option_creation``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from connector.models import Attribute, AttributeOption, ReferenceEntityRecord

from . import tables
from .cells import split_list
from .derive import record_labels
from .jobs import normalize
from .models import (
    OPTION_CREATION_TYPES,
    AttributeSelection,
    JobColumn,
    SdmAttribute,
    SupplierJob,
    ValueMapping,
)

OPTION_TYPES = {"pim_catalog_simpleselect", "pim_catalog_multiselect"}
ENTITY_TYPES = {"akeneo_reference_entity", "akeneo_reference_entity_collection"}
SELECT_LIKE = OPTION_TYPES | ENTITY_TYPES
TABLE = "pim_catalog_table"
MULTI = {"pim_catalog_multiselect", "akeneo_reference_entity_collection"}
OPTION_CODE = re.compile(r"^[A-Za-z0-9_]{1,100}$")


class OptionIndex:
    """Normalized code or label → option code, built once per option list: a suggestion costs one
    lookup, not a pass over thousands of options. A code match wins over a label match, and the
    first option wins among equals."""

    def __init__(self, allowed: list[dict]):
        by_label: dict[str, str] = {}
        by_code: dict[str, str] = {}
        for value in allowed:
            by_code.setdefault(normalize(value["code"]), value["code"])
            for label in (value.get("labels") or {}).values():
                by_label.setdefault(normalize(label), value["code"])
        self._index = {**by_label, **by_code}

    def suggest(self, raw: str) -> str | None:
        return self._index.get(normalize(raw))


def suggest(raw: str, allowed: list[dict]) -> str | None:
    return OptionIndex(allowed).suggest(raw)


def option_label(option: dict, locale: str = "en_US") -> str:
    labels = option.get("labels") or {}
    return labels.get(locale) or next(iter(labels.values()), "") or option["code"]


# ------------------------------------------------------------------ what a job maps values for
@dataclass
class MappedAttribute:
    """A select-like PIM attribute of the job (or one select column of a table attribute)."""

    code: str
    type: str
    label: str
    reference: str = ""  # the reference entity of entity attributes
    table_column: str = ""
    column_label: str = ""
    creatable: bool = False
    table_columns: list[dict] = field(default_factory=list)  # the whole table configuration
    _options: list[dict] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.table_column)

    @property
    def title(self) -> str:
        return f"{self.label} › {self.column_label}" if self.table_column else self.label

    @property
    def creates(self) -> str:
        """What a new value becomes in the PIM, in words."""
        if self.table_column:
            return "a new option of the table column"
        return "a new record" if self.type in ENTITY_TYPES else "a new option"


def mapped_attributes(job: SupplierJob) -> dict[tuple[str, str], MappedAttribute]:
    """(PIM attribute, table column) → what the job's columns map values for (a few queries)."""
    sdm_codes = set(job.columns.filter(role=JobColumn.Role.ATTRIBUTE).values_list("sdm_attribute", flat=True))
    pim_codes = set(
        SdmAttribute.objects.filter(
            workflow=job.workflow,
            code__in=sdm_codes,
            kind=SdmAttribute.Kind.VALUE,
            pim_type__in=SELECT_LIKE | {TABLE},
        ).values_list("pim_attribute_code", flat=True)
    )
    creatable = set(
        AttributeSelection.objects.filter(
            workflow=job.workflow, allow_option_creation=True, attribute_code__in=pim_codes
        ).values_list("attribute_code", flat=True)
    )
    found: dict[tuple[str, str], MappedAttribute] = {}
    for attribute in Attribute.objects.live().filter(connection=job.workflow.connection, code__in=pim_codes):
        allowed = attribute.code in creatable and attribute.type in OPTION_CREATION_TYPES
        if attribute.type != TABLE:
            mapped = MappedAttribute(
                attribute.code,
                attribute.type,
                attribute.label("en_US"),
                attribute.reference_data_name,
                creatable=allowed,
            )
            found[mapped.key] = mapped
            continue
        columns = tables.columns_of(attribute.raw)
        for column in columns:
            if column.get("data_type") != "select":
                continue
            mapped = MappedAttribute(
                attribute.code,
                attribute.type,
                attribute.label("en_US"),
                table_column=column["code"],
                column_label=option_label(column),
                creatable=allowed,
                table_columns=columns,
            )
            found[mapped.key] = mapped
    return found


def attribute_options(connection, attribute: str, codes: set[str] | None = None) -> list[dict]:
    """A select attribute's options in the mirror, [{code, labels}] (only ``codes`` when given)."""
    options = AttributeOption.objects.live().filter(connection=connection, attribute_code=attribute)
    if codes is not None:
        options = options.filter(code__in=codes)
    return [{"code": code, "labels": labels or {}} for code, labels in options.values_list("code", "labels")]


def entity_records(connection, entity: str, codes: set[str] | None = None) -> list[dict]:
    """A reference entity's records in the mirror, [{code, labels}] (only ``codes`` when given)."""
    records = ReferenceEntityRecord.objects.live().filter(connection=connection, entity_code=entity)
    if codes is not None:
        records = records.filter(code__in=codes)
    return [{"code": r.code, "labels": record_labels(r)} for r in records.only("code", "raw")]


def column_options(columns: list[dict], column: str) -> list[dict]:
    """The options of one select column of a table configuration, [{code, labels}]."""
    found = next((c for c in columns if c.get("code") == column), {})
    return [
        {"code": o["code"], "labels": o.get("labels") or {}}
        for o in found.get("options") or []
        if isinstance(o, dict) and o.get("code")
    ]


def options_of(connection, mapped: MappedAttribute, codes: set[str] | None = None) -> list[dict]:
    """The options (or records) a value of ``mapped`` may be mapped to, from the mirror: [{code, labels}].

    The whole list is read once per ``mapped``; with ``codes``, only those are read.
    """
    if codes is None and mapped._options is not None:
        return mapped._options
    if mapped.table_column:
        options = column_options(mapped.table_columns, mapped.table_column)
        options = options if codes is None else [o for o in options if o["code"] in codes]
    elif mapped.type in ENTITY_TYPES:
        options = entity_records(connection, mapped.reference, codes)
    else:
        options = attribute_options(connection, mapped.code, codes)
    if codes is None:
        mapped._options = options
    return options


# ------------------------------------------------------------------------- collecting values
def _value_columns(job: SupplierJob, targets: dict[tuple[str, str], MappedAttribute]):
    """File position → what the job maps values for, for the columns of select-like attributes."""
    derived = dict(
        SdmAttribute.objects.filter(workflow=job.workflow, kind=SdmAttribute.Kind.VALUE).values_list(
            "code", "pim_attribute_code"
        )
    )
    by_code = {mapped.code: mapped for mapped in targets.values()}
    positions = {}
    for position, sdm_code in job.columns.filter(role=JobColumn.Role.ATTRIBUTE).values_list(
        "position", "sdm_attribute"
    ):
        mapped = by_code.get(derived.get(sdm_code, ""))
        if mapped is not None:
            positions[position] = mapped
    return positions


@transaction.atomic
def collect_values(job: SupplierJob) -> int:
    """List every distinct raw value per select-like attribute with its row count and a suggestion."""
    targets = mapped_attributes(job)
    positions = _value_columns(job, targets)
    seen: Counter[tuple[str, str, str]] = Counter()
    for cells in job.rows.values_list("values", flat=True).iterator(chunk_size=2000):
        in_row: set[tuple[str, str, str]] = set()
        for position, mapped in positions.items():
            raw = cells[position].strip() if position < len(cells) else ""
            if not raw:
                continue
            if mapped.type == TABLE:
                for column, value in tables.select_values(raw, mapped.table_columns):
                    in_row.add((mapped.code, column, value[:500]))
            else:
                parts = split_list(raw) if mapped.type in MULTI else [raw]
                in_row.update((mapped.code, "", part[:500]) for part in parts)
        seen.update(in_row)
    existing = {(m.pim_attribute_code, m.table_column, m.raw_value): m for m in job.value_mappings.all()}
    connection = job.workflow.connection
    indexes = {key: OptionIndex(options_of(connection, mapped)) for key, mapped in targets.items()}
    new, changed = [], []
    for (attribute, column, raw), count in seen.items():
        if (attribute, column) not in indexes:
            continue  # a table value naming a column that is not a select: the row reports it
        suggestion = indexes[(attribute, column)].suggest(raw) or ""
        mapping = existing.get((attribute, column, raw))
        if mapping is None:
            new.append(
                ValueMapping(
                    job=job,
                    pim_attribute_code=attribute,
                    table_column=column,
                    raw_value=raw,
                    suggested_code=suggestion,
                    occurrences=count,
                )
            )
        else:
            mapping.suggested_code, mapping.occurrences = suggestion, count
            changed.append(mapping)
    ValueMapping.objects.bulk_create(new, batch_size=1000)
    ValueMapping.objects.bulk_update(changed, ["suggested_code", "occurrences"], batch_size=1000)
    # Values no column holds any more (a column remapped) are not asked for; created options stay.
    stale = [m.pk for key, m in existing.items() if key not in seen and not m.created_in_pim]
    for start in range(0, len(stale), 1000):
        ValueMapping.objects.filter(pk__in=stale[start : start + 1000]).delete()
    return len(seen)


# -------------------------------------------------------------------------- people's choices
@dataclass
class MappingChoice:
    """One decision about one raw value: map it to ``option``, or create ``option`` as new."""

    attribute: str
    value: str
    option: str = ""
    create: bool = False
    table_column: str = ""


class MappingRefused(ValueError):
    """Some choices break the rules; nothing was saved. ``errors`` says which and why."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


def option_code_for(raw: str) -> str:
    code = re.sub(r"[^a-z0-9_]+", "_", normalize(raw)).strip("_")
    return code[:100] or "option"


class MappingRules:
    """The checks every saved choice passes, with the mirror read once per attribute."""

    def __init__(self, job: SupplierJob):
        self.job = job
        self.targets = mapped_attributes(job)
        self._codes: dict[tuple[str, str], set[str]] = {}

    def known_codes(self, mapped: MappedAttribute) -> set[str]:
        if mapped.key not in self._codes:
            self._codes[mapped.key] = {o["code"] for o in options_of(self.job.workflow.connection, mapped)}
        return self._codes[mapped.key]

    def problem(self, choice: MappingChoice, planned: set[tuple[str, str, str]]) -> str | None:
        """Why ``choice`` cannot be saved, or None. ``planned``: (attribute, column, code) to be created."""
        where = f"Value '{choice.value}' of {choice.attribute}" + (
            f" (column {choice.table_column})" if choice.table_column else ""
        )
        mapped = self.targets.get((choice.attribute, choice.table_column))
        if mapped is None:
            return f"{where}: this job maps no values of that attribute."
        code = choice.option.strip()
        if not code:
            return f"{where}: a new option needs a code." if choice.create else None
        if choice.create:
            if not mapped.creatable:
                return (
                    f"{where}: new options cannot be created for {mapped.title}; the attribute "
                    "configuration tab does not allow it. Map the value to an existing option."
                )
            if not OPTION_CODE.match(code):
                return f"{where}: '{code}' is not a valid code (letters, digits and _, at most 100)."
            if code in self.known_codes(mapped):
                return (
                    f"{where}: '{code}' already exists in {mapped.title}. Choose it instead of creating it "
                    "(an existing option is never changed)."
                )
            return None
        if (
            code not in self.known_codes(mapped)
            and (choice.attribute, choice.table_column, code) not in planned
        ):
            return f"{where}: '{code}' is not an option of {mapped.title} (as of the last sync)."
        return None


def save_mappings(job: SupplierJob, choices: list[MappingChoice]) -> int:
    """Store choices after checking every one (all or nothing). Returns how many changed."""
    rules = MappingRules(job)
    with transaction.atomic():
        mappings = {
            (m.pim_attribute_code, m.table_column, m.raw_value): m
            for m in job.value_mappings.select_for_update().filter(raw_value__in={c.value for c in choices})
        }
        planned = {
            (m.pim_attribute_code, m.table_column, m.option_code)
            for m in job.value_mappings.filter(create_option=True).exclude(option_code="")
        }
        planned |= {(c.attribute, c.table_column, c.option.strip()) for c in choices if c.create}
        errors, changed = [], []
        for choice in choices:
            mapping = mappings.get((choice.attribute, choice.table_column, choice.value))
            if mapping is None:
                errors.append(f"No value '{choice.value}' of attribute '{choice.attribute}' in this job.")
                continue
            if mapping.created_in_pim:
                if (choice.option.strip(), choice.create) != (mapping.option_code, True):
                    errors.append(
                        f"Value '{choice.value}' of {choice.attribute}: its new option "
                        f"'{mapping.option_code}' is already created in the PIM; it stays mapped to it."
                    )
                continue
            problem = rules.problem(choice, planned)
            if problem:
                errors.append(problem)
                continue
            mapping.option_code = choice.option.strip()
            mapping.create_option = bool(choice.create and mapping.option_code)
            mapping.creation_error = ""
            changed.append(mapping)
        if errors:
            raise MappingRefused(errors)
        ValueMapping.objects.bulk_update(changed, ["option_code", "create_option", "creation_error"])
    return len(changed)


@dataclass
class AutoMapResult:
    mapped: int = 0
    to_create: int = 0
    unmapped: int = 0


@transaction.atomic
def auto_map_values(job: SupplierJob, *, plan_new_options: bool = True) -> AutoMapResult:
    """Accept every suggestion; where creation is allowed (and asked), plan a new option for the rest.

    A planned code never exists in the mirror: a clash gets a numbered code instead. The values
    were collected when the job was made (and again when its columns were remapped).
    """
    rules = MappingRules(job)
    result = AutoMapResult()
    mappings = list(job.value_mappings.all())
    taken = {(m.pim_attribute_code, m.table_column, m.option_code) for m in mappings if m.create_option}
    changed = []
    for mapping in mappings:
        mapped = rules.targets.get((mapping.pim_attribute_code, mapping.table_column))
        if mapping.option_code:
            result.mapped += 1
        elif mapping.suggested_code:
            mapping.option_code = mapping.suggested_code
            changed.append(mapping)
            result.mapped += 1
        elif plan_new_options and mapped is not None and mapped.creatable:
            known = rules.known_codes(mapped)
            base = option_code_for(mapping.raw_value)
            code, n = base, 1
            while code in known or (mapped.code, mapped.table_column, code) in taken:
                n += 1
                code = f"{base[:95]}_{n}"
            taken.add((mapped.code, mapped.table_column, code))
            mapping.option_code, mapping.create_option = code, True
            changed.append(mapping)
            result.to_create += 1
        else:
            result.unmapped += 1
    ValueMapping.objects.bulk_update(changed, ["option_code", "create_option"], batch_size=1000)
    return result


# ------------------------------------------------------------------------------- for the push
@dataclass(frozen=True)
class MappedValue:
    code: str
    planned: bool = False  # a new option not created (yet)
    creation_error: str = ""


def mapping_table(job: SupplierJob) -> dict[tuple[str, str, str], MappedValue]:
    """(PIM attribute, table column, normalized raw value) → the option it means."""
    table = {}
    for attribute, column, raw, code, create, created, error in job.value_mappings.exclude(
        option_code=""
    ).values_list(
        "pim_attribute_code",
        "table_column",
        "raw_value",
        "option_code",
        "create_option",
        "created_in_pim",
        "creation_error",
    ):
        table[(attribute, column, normalize(raw))] = MappedValue(code, create and not created, error)
    return table


def unmapped(prefix: str = "") -> Q:
    """Values with neither a chosen option nor a suggestion: the rows using them are refused.

    A suggestion counts as a mapping (the push uses it), so it needs no click; ``prefix`` reaches
    the mappings through a relation (``value_mappings__``).
    """
    return Q(**{f"{prefix}option_code": "", f"{prefix}suggested_code": ""})


def unmapped_count(job: SupplierJob) -> int:
    return job.value_mappings.filter(unmapped()).count()
