"""New PIM options from the value mapping, created before the push, without ever changing what exists.

A planned value becomes a select option (create-only POST), a reference-entity record, or an option
of a table attribute's select column. Before anything is sent, each is checked again: the attribute
configuration tab must still allow creation, and the code must exist neither in the mirror nor in the
PIM (read right before writing). A code the PIM already has is refused and left as it is; the rows
using it report why. Writes are paced at 3 per second, the PIM's limit on option writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from connector.akeneo import AkeneoClient, AkeneoError, AkeneoNotFound, AkeneoValidationError
from connector.akeneo.ratelimit import RateLimiter
from connector.models import Locale

from .models import SupplierJob, ValueMapping
from .value_mapping import ENTITY_TYPES, MappedAttribute, MappingRules

OPTION_WRITES_PER_SECOND = 3


@dataclass
class PlannedOption:
    mapping: ValueMapping
    target: MappedAttribute | None
    labels: dict[str, str]

    @property
    def what(self) -> str:
        where = self.target.title if self.target else self.mapping.pim_attribute_code
        return f"{self.mapping.option_code} of {where}"


def label_locales(job: SupplierJob) -> list[str]:
    """The locales a new option gets a label in: the workflow's, else every enabled PIM locale."""
    if job.workflow.locales:
        return list(job.workflow.locales)
    enabled = Locale.objects.live().filter(connection=job.workflow.connection, enabled=True)
    return sorted(enabled.values_list("code", flat=True)) or ["en_US"]


def new_option_labels(raw_value: str, locales: list[str]) -> dict[str, str]:
    """A new option is named after the supplier's value in every label locale."""
    return {locale: raw_value for locale in locales}


def planned_options(job: SupplierJob, rules: MappingRules | None = None) -> list[PlannedOption]:
    """What the push will create, with the labels it will send: shown before anything is sent."""
    rules = rules or MappingRules(job)
    locales = label_locales(job)
    return [
        PlannedOption(
            mapping,
            rules.targets.get((mapping.pim_attribute_code, mapping.table_column)),
            new_option_labels(mapping.raw_value, locales),
        )
        for mapping in job.value_mappings.filter(create_option=True, created_in_pim=False).exclude(
            option_code=""
        )
    ]


class _Refused(Exception):
    """This planned option is not created; the message says why (nothing was changed)."""


def create_planned_options(job: SupplierJob, client: AkeneoClient, progress, *, sleep=None) -> int:
    """Create the planned options; returns how many. Refusals are recorded on their mapping."""
    rules = MappingRules(job)
    planned = planned_options(job, rules)
    if not planned:
        return 0
    limiter = RateLimiter(OPTION_WRITES_PER_SECOND, **({"sleep": sleep} if sleep else {}))
    created, refused = [], []
    for item in planned:
        mapping = item.mapping
        try:
            _check_allowed(item, rules)
            limiter.acquire()
            _create(client, item, limiter)
        except _Refused as exc:
            mapping.creation_error = str(exc)
            refused.append(mapping)
            progress.warning(f"New option {item.what} not created: {exc}")
            continue
        except AkeneoError as exc:
            if not exc.permanent:
                raise
            mapping.creation_error = f"the PIM refused it: {exc.message}"
            refused.append(mapping)
            progress.warning(f"New option {item.what} not created: {exc.message}")
            continue
        mapping.created_in_pim, mapping.creation_error = True, ""
        created.append(mapping)
    ValueMapping.objects.bulk_update(created + refused, ["created_in_pim", "creation_error"])
    if created:
        progress.info(
            f"Created {len(created)} new PIM option(s): " + ", ".join(m.option_code for m in created)
        )
    return len(created)


def _check_allowed(item: PlannedOption, rules: MappingRules) -> None:
    target = item.target
    if target is None:
        raise _Refused("the job no longer maps values of this attribute")
    if not target.creatable:
        raise _Refused("the attribute configuration tab does not allow new options for this attribute")
    if item.mapping.option_code in rules.known_codes(target):
        raise _Refused("it already exists (as of the last sync); the existing option was not changed")


def _create(client: AkeneoClient, item: PlannedOption, limiter: RateLimiter) -> None:
    target, code = item.target, item.mapping.option_code
    if target.table_column:
        _create_table_option(client, target, code, item.labels, limiter)
    elif target.type in ENTITY_TYPES:
        _create_record(client, target, code, item.labels)
    else:
        _create_select_option(client, target, code, item.labels)


EXISTS = "it already exists in the PIM; the existing option was not changed"


def _create_select_option(client: AkeneoClient, target: MappedAttribute, code: str, labels: dict) -> None:
    path = f"attributes/{quote(target.code)}/options"
    try:
        client.post(path, {"code": code, "attribute": target.code, "labels": labels})
    except AkeneoValidationError:
        # POST only creates. A refusal because the code is taken is fine only when the option is
        # exactly ours: a retried POST whose first attempt did reach the PIM.
        existing = _get_or_none(client, f"{path}/{quote(code)}")
        if existing is None:
            raise
        if (existing.get("labels") or {}) != labels:
            raise _Refused(EXISTS) from None


def _create_record(client: AkeneoClient, target: MappedAttribute, code: str, labels: dict) -> None:
    path = f"reference-entities/{quote(target.reference)}/records/{quote(code)}"
    if _get_or_none(client, path) is not None:
        raise _Refused("a record with this code already exists in the PIM; it was not changed")
    values = {"label": [{"locale": locale, "channel": None, "data": text} for locale, text in labels.items()]}
    status = client.patch(path, {"code": code, "values": values})
    if status != 201:
        raise _Refused("the record appeared in the PIM while it was being created; nothing more was sent")


def _create_table_option(
    client: AkeneoClient, target: MappedAttribute, code: str, labels: dict, limiter: RateLimiter
) -> None:
    path = f"attributes/{quote(target.code)}"
    attribute = client.get(path, {"with_table_select_options": "true"})
    columns = attribute.get("table_configuration") or []
    column = next((c for c in columns if c.get("code") == target.table_column), None)
    if column is None:
        raise _Refused(f"the table has no column {target.table_column} any more")
    options = column.get("options") or []
    if any(o.get("code") == code for o in options):
        raise _Refused(EXISTS)
    # The whole configuration goes back as read, with one option more: nothing else can change.
    column["options"] = [*options, {"code": code, "labels": labels}]
    limiter.acquire()
    client.patch(path, {"table_configuration": columns})


def _get_or_none(client: AkeneoClient, path: str) -> dict | None:
    try:
        return client.get(path)
    except AkeneoNotFound:
        return None
