"""The workflow sync: structure sync of the connection, then the project configuration rebuilt.

Only derived tables (SDM attributes, display groups, hierarchies) are written; step
configurations are read, never written (a step naming a code that no longer exists is flagged in
its own ``missing_attributes`` column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from connector.mirror_codes import unknown_codes
from connector.models import Attribute, Channel, Family, Locale

from .derive import derive
from .models import DerivedModel, DisplayGroup, Hierarchy, SdmAttribute, Workflow, WorkflowStep
from .step_config import parse_step_config


@dataclass
class ApplyResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  # rows edited by hand, now back to derived values


def _apply(model: type[DerivedModel], workflow: Workflow, rows: list[dict[str, Any]], stamp) -> ApplyResult:
    result = ApplyResult()
    existing = {row.code: row for row in model.objects.filter(workflow=workflow)}
    to_create, to_update = [], []
    for values in rows:
        code = values["code"]
        fields = {k: v for k, v in values.items() if k != "code"}
        row = existing.pop(code, None)
        if row is None:
            row = model(workflow=workflow, code=code, synced_at=stamp, **fields)
            row.derived_checksum = row.compute_checksum()
            to_create.append(row)
            result.created.append(code)
            continue
        hand_edited = row.edited_by_hand
        for name, value in fields.items():
            setattr(row, name, value)
        checksum = row.compute_checksum()
        if checksum != row.derived_checksum or hand_edited:
            if hand_edited:
                result.restored.append(code)
            else:
                result.updated.append(code)
            row.derived_checksum = checksum
            row.synced_at = stamp
            to_update.append(row)
        else:
            result.unchanged += 1
    model.objects.bulk_create(to_create, batch_size=500)
    update_fields = ["labels", "position", *model.DERIVED_FIELDS, "derived_checksum", "synced_at"]
    model.objects.bulk_update(to_update, update_fields, batch_size=500)
    result.removed = sorted(existing)
    model.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    return result


def _flag_steps(workflow: Workflow, derived_codes: set[str]) -> int:
    pim_codes = set(
        Attribute.objects.live().filter(connection=workflow.connection).values_list("code", flat=True)
    )
    known = derived_codes | pim_codes
    steps = list(workflow.steps.all())
    for step in steps:
        step.missing_attributes = sorted(
            {c for c in parse_step_config(step.config).referenced_codes() if c not in known}
        )
    # Only the flag column: the step configuration itself is never written by a sync.
    WorkflowStep.objects.bulk_update(steps, ["missing_attributes"])
    return sum(1 for step in steps if step.missing_attributes)


class EmptyScope(Exception):
    """The workflow's targets select nothing in the PIM: rebuilding would empty the project."""


def scope_warnings(workflow: Workflow) -> list[str]:
    """Targets the PIM no longer has (they were checked when saved; the PIM changes since).
    Raises ``EmptyScope`` when none of a list of targets is left."""
    warnings = []
    for noun, model, codes in (
        ("channels", Channel, workflow.channels),
        ("locales", Locale, workflow.locales),
        ("families", Family, workflow.families),
    ):
        gone = unknown_codes(workflow.connection, model, codes or [])
        if gone and len(gone) == len(codes):
            raise EmptyScope(
                f"The workflow's scope selects nothing: none of its {noun} ({', '.join(gone)}) "
                "is in the PIM. Pick others in the workflow."
            )
        if gone:
            warnings.append(f"Left out, no longer in the PIM: {noun} {', '.join(gone)}.")
    return warnings


def rebuild_project_configuration(workflow: Workflow) -> dict[str, Any]:
    derived = derive(workflow)
    if not derived.attributes:
        raise EmptyScope(
            "The workflow's scope selects no attribute (no family of its channels and families has any); "
            "the project configuration was left as it was."
        )
    stamp = timezone.now()
    with transaction.atomic():
        attributes = _apply(SdmAttribute, workflow, derived.attributes, stamp)
        groups = _apply(DisplayGroup, workflow, derived.display_groups, stamp)
        hierarchies = _apply(Hierarchy, workflow, derived.hierarchies, stamp)
        flagged = _flag_steps(workflow, {a["code"] for a in derived.attributes})
        Workflow.objects.filter(pk=workflow.pk).update(last_synced_at=stamp)
    return {
        "counts": {
            "attributes": len(derived.attributes),
            "display_groups": len(derived.display_groups),
            "hierarchies": len(derived.hierarchies),
        },
        "added": attributes.created,
        "removed": attributes.removed,
        "updated": attributes.updated,
        "restored": attributes.restored + groups.restored + hierarchies.restored,
        "display_groups": [g["code"] for g in derived.display_groups],
        "hierarchies": [h["code"] for h in derived.hierarchies],
        "attribute_codes": [a["code"] for a in derived.attributes],
        "flagged_steps": flagged,
        "unchanged": attributes.unchanged,
    }
