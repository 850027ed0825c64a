"""Value mapping: the distinct raw values of select-like columns, matched to PIM options.

Suggestions match an option's code or any of its labels, case- and accent-insensitively. Where
the attribute configuration tab allows it, an unmatched value can become a new PIM option, created
through the API before the push at no more than 3 requests per second (the PIM's limit on options).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from connector.akeneo import AkeneoClient, AkeneoError
from connector.akeneo.ratelimit import RateLimiter

from .jobs import normalize
from .models import AttributeSelection, JobColumn, SdmAttribute, SupplierJob, ValueMapping

OPTION_TYPES = {"pim_catalog_simpleselect", "pim_catalog_multiselect"}
SELECT_LIKE = OPTION_TYPES | {"akeneo_reference_entity", "akeneo_reference_entity_collection"}
MULTI = {"pim_catalog_multiselect", "akeneo_reference_entity_collection"}
SPLIT = re.compile(r"\s*[,;|]\s*")
OPTION_WRITES_PER_SECOND = 3


def suggest(raw: str, allowed: list[dict]) -> str | None:
    wanted = normalize(raw)
    for value in allowed:
        if normalize(value["code"]) == wanted:
            return value["code"]
    for value in allowed:
        if any(normalize(label) == wanted for label in (value.get("labels") or {}).values()):
            return value["code"]
    return None


def _select_columns(job: SupplierJob) -> dict[int, SdmAttribute]:
    derived = {
        a.code: a for a in SdmAttribute.objects.filter(workflow=job.workflow, pim_type__in=SELECT_LIKE)
    }
    return {
        c.position: derived[c.sdm_attribute]
        for c in job.columns.filter(role=JobColumn.Role.ATTRIBUTE)
        if c.sdm_attribute in derived and derived[c.sdm_attribute].kind == SdmAttribute.Kind.VALUE
    }


@transaction.atomic
def collect_values(job: SupplierJob) -> int:
    """List every distinct raw value per select-like attribute, with a suggested option."""
    columns = _select_columns(job)
    seen: Counter[tuple[str, str]] = Counter()
    allowed: dict[str, list[dict]] = {}
    for cells in job.rows.values_list("values", flat=True).iterator(chunk_size=2000):
        for position, sdm in columns.items():
            raw = cells[position].strip() if position < len(cells) else ""
            if not raw:
                continue
            allowed.setdefault(sdm.pim_attribute_code, sdm.allowed_values)
            parts = SPLIT.split(raw) if sdm.pim_type in MULTI else [raw]
            for part in filter(None, parts):
                seen[(sdm.pim_attribute_code, part[:500])] += 1
    existing = {(m.pim_attribute_code, m.raw_value): m for m in job.value_mappings.all()}
    new, changed = [], []
    for (attribute, raw), count in seen.items():
        mapping = existing.get((attribute, raw))
        suggestion = suggest(raw, allowed[attribute]) or ""
        if mapping is None:
            new.append(
                ValueMapping(
                    job=job,
                    pim_attribute_code=attribute,
                    raw_value=raw,
                    suggested_code=suggestion,
                    occurrences=count,
                )
            )
        else:
            mapping.suggested_code, mapping.occurrences = suggestion, count
            changed.append(mapping)
    ValueMapping.objects.bulk_create(new)
    ValueMapping.objects.bulk_update(changed, ["suggested_code", "occurrences"])
    return len(seen)


def option_code_for(raw: str) -> str:
    code = re.sub(r"[^a-z0-9_]+", "_", normalize(raw)).strip("_")
    return code[:100] or "option"


@dataclass
class AutoMapResult:
    mapped: int = 0
    to_create: int = 0
    unmapped: int = 0


@transaction.atomic
def auto_map_values(job: SupplierJob) -> AutoMapResult:
    """Accept every suggestion; where creation is allowed, plan a new option for the rest."""
    collect_values(job)
    creatable = set(
        AttributeSelection.objects.filter(workflow=job.workflow, allow_option_creation=True).values_list(
            "attribute_code", flat=True
        )
    )
    option_attributes = set(
        SdmAttribute.objects.filter(workflow=job.workflow, pim_type__in=OPTION_TYPES).values_list(
            "pim_attribute_code", flat=True
        )
    )
    result = AutoMapResult()
    mappings = list(job.value_mappings.all())
    for mapping in mappings:
        if mapping.option_code:
            result.mapped += 1
        elif mapping.suggested_code:
            mapping.option_code = mapping.suggested_code
            result.mapped += 1
        elif mapping.pim_attribute_code in creatable and mapping.pim_attribute_code in option_attributes:
            mapping.option_code = option_code_for(mapping.raw_value)
            mapping.create_option = True
            result.to_create += 1
        else:
            result.unmapped += 1
    ValueMapping.objects.bulk_update(mappings, ["option_code", "create_option"])
    return result


def create_planned_options(job: SupplierJob, client: AkeneoClient, progress, *, sleep=None) -> int:
    """Create the options planned by the mapping, 3 requests/second at most. Returns how many."""
    planned = list(
        job.value_mappings.filter(create_option=True, created_in_pim=False).exclude(option_code="")
    )
    if not planned:
        return 0
    locales = job.workflow.locales or ["en_US"]
    limiter = RateLimiter(OPTION_WRITES_PER_SECOND, **({"sleep": sleep} if sleep else {}))
    created = []
    for mapping in planned:
        limiter.acquire()
        body = {
            "code": mapping.option_code,
            "attribute": mapping.pim_attribute_code,
            "labels": {locale: mapping.raw_value for locale in locales},
        }
        try:
            client.patch(f"attributes/{mapping.pim_attribute_code}/options/{mapping.option_code}", body)
        except AkeneoError as exc:
            if not exc.permanent:
                raise
            progress.warning(
                f"Option {mapping.option_code} of {mapping.pim_attribute_code} not created: {exc.message}"
            )
            continue
        mapping.created_in_pim = True
        created.append(mapping)
    ValueMapping.objects.bulk_update(created, ["created_in_pim"])
    if created:
        progress.info(
            f"Created {len(created)} new PIM option(s): " + ", ".join(m.option_code for m in created)
        )
    return len(created)


def mapping_table(job: SupplierJob) -> dict[tuple[str, str], str]:
    """(PIM attribute, normalized raw value) → option code, for the push."""
    table = {}
    for attribute, raw, code, create, created in job.value_mappings.exclude(option_code="").values_list(
        "pim_attribute_code", "raw_value", "option_code", "create_option", "created_in_pim"
    ):
        if create and not created:
            continue  # planned but not (yet) created in the PIM: sending it would fail the product
        table[(attribute, normalize(raw))] = code
    return table
