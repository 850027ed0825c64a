"""The attribute configuration tab's rules: what is included, what may create options, what is locked."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from connector.labels import attribute_type_label
from connector.models import Attribute, AttributeGroup, FamilyVariant

from .models import OPTION_CREATION_TYPES, AttributeSelection, SdmAttribute, Workflow
from .step_config import parse_step_config


def targeted_family_variants(workflow: Workflow):
    variants = FamilyVariant.objects.live().filter(connection=workflow.connection)
    if workflow.families:
        variants = variants.filter(family_code__in=workflow.families)
    return variants


def _resolve(workflow: Workflow, codes: list[str], pim_codes: set[str]) -> dict[str, str]:
    """Step configurations may name PIM attributes or derived SDM attributes: map both to PIM codes."""
    unknown = [c for c in codes if c not in pim_codes]
    derived = dict(
        SdmAttribute.objects.filter(workflow=workflow, code__in=unknown).values_list(
            "code", "pim_attribute_code"
        )
    )
    return {code: (code if code in pim_codes else derived.get(code, "")) for code in codes}


def locked_attributes(workflow: Workflow) -> dict[str, str]:
    """PIM attribute code → why it cannot be excluded."""
    attributes = Attribute.objects.live().filter(connection=workflow.connection)
    pim_codes = set(attributes.values_list("code", flat=True))
    locks: dict[str, str] = {}
    for code in attributes.filter(type="pim_catalog_identifier").values_list("code", flat=True):
        locks[code] = "Identifier"
    for variant in targeted_family_variants(workflow).only("code", "axes"):
        for axes in variant.axes.values():
            for code in axes:
                locks.setdefault(code, f"Variant axis ({variant.code})")
    for step in workflow.steps.all():
        config = parse_step_config(step.config)
        for pim in _resolve(workflow, list(config.ai_sources), pim_codes).values():
            if pim:
                locks.setdefault(pim, f"AI source (step '{step.name}')")
        triggers = [rule.when for rule in config.dependencies]
        for pim in _resolve(workflow, triggers, pim_codes).values():
            if pim:
                locks.setdefault(pim, f"Dependency trigger (step '{step.name}')")
    return locks


@dataclass(frozen=True)
class AttributeChoice:
    code: str
    label: str
    type: str
    group: str
    included: bool
    allow_option_creation: bool
    can_create_options: bool
    lock: str | None

    @property
    def type_label(self) -> str:
        return attribute_type_label(self.type)


@dataclass
class GroupChoices:
    code: str
    label: str
    attributes: list[AttributeChoice]

    @property
    def all_included(self) -> bool:
        return all(a.included for a in self.attributes)


def selection_state(workflow: Workflow) -> dict[str, tuple[bool, bool]]:
    return {
        code: (included, allow)
        for code, included, allow in workflow.attribute_selections.values_list(
            "attribute_code", "included", "allow_option_creation"
        )
    }


def attribute_tab(workflow: Workflow) -> list[GroupChoices]:
    """Every live PIM attribute, grouped by attribute group, with its current choice and lock."""
    connection = workflow.connection
    locks = locked_attributes(workflow)
    state = selection_state(workflow)
    groups = {
        g.code: GroupChoices(g.code, g.label("en_US"), [])
        for g in AttributeGroup.objects.live().filter(connection=connection)
    }
    for attribute in (
        Attribute.objects.live()
        .filter(connection=connection)
        .only("code", "labels", "type", "group_code", "sort_order")
    ):
        included, allow = state.get(attribute.code, (True, False))
        lock = locks.get(attribute.code)
        group = groups.setdefault(
            attribute.group_code, GroupChoices(attribute.group_code, attribute.group_code or "(no group)", [])
        )
        group.attributes.append(
            AttributeChoice(
                code=attribute.code,
                label=attribute.label("en_US"),
                type=attribute.type,
                group=attribute.group_code,
                included=included or lock is not None,
                allow_option_creation=allow and attribute.type in OPTION_CREATION_TYPES,
                can_create_options=attribute.type in OPTION_CREATION_TYPES,
                lock=lock,
            )
        )
    return [g for g in groups.values() if g.attributes]


def included_attribute_codes(workflow: Workflow) -> set[str]:
    excluded = set(
        workflow.attribute_selections.filter(included=False).values_list("attribute_code", flat=True)
    )
    excluded -= set(locked_attributes(workflow))
    live = set(Attribute.objects.live().filter(connection=workflow.connection).values_list("code", flat=True))
    return live - excluded


@dataclass(frozen=True)
class SelectionSaved:
    """What a save of the attribute tab changed, for its message and the admin history."""

    count: int
    included: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    options_allowed: tuple[str, ...] = ()
    options_refused: tuple[str, ...] = ()

    def in_words(self, shown: int = 20) -> str:
        parts = [
            f"{what}: {', '.join(codes[:shown])}{' …' if len(codes) > shown else ''}"
            for what, codes in (
                ("included", self.included),
                ("excluded", self.excluded),
                ("new options allowed", self.options_allowed),
                ("new options no longer allowed", self.options_refused),
            )
            if codes
        ]
        return "; ".join(parts) or "nothing changed"


@transaction.atomic  # the tab is replaced whole: never half of it
def save_selection(workflow: Workflow, included: set[str], allow_option_creation: set[str]) -> SelectionSaved:
    """Store the whole tab: every live attribute gets a row. Locked attributes stay included."""
    before = selection_state(workflow)
    locks = locked_attributes(workflow)
    attributes = Attribute.objects.live().filter(connection=workflow.connection).values_list("code", "type")
    rows = [
        AttributeSelection(
            workflow=workflow,
            attribute_code=code,
            included=code in included or code in locks,
            allow_option_creation=code in allow_option_creation and kind in OPTION_CREATION_TYPES,
        )
        for code, kind in attributes
    ]
    AttributeSelection.objects.filter(workflow=workflow).delete()
    AttributeSelection.objects.bulk_create(rows, batch_size=500)
    # An attribute without a row was included, without new options (attribute_tab's default).
    now = {row.attribute_code: (row.included, row.allow_option_creation) for row in rows}

    def turned(flag: int, on: bool) -> tuple[str, ...]:
        return tuple(
            sorted(
                code
                for code, state in now.items()
                if state[flag] == on and before.get(code, (True, False))[flag] != on
            )
        )

    return SelectionSaved(
        count=len(rows),
        included=turned(0, True),
        excluded=turned(0, False),
        options_allowed=turned(1, True),
        options_refused=turned(1, False),
    )


def _codes_in_groups(workflow: Workflow, groups: list[str]) -> set[str]:
    return set(
        Attribute.objects.live()
        .filter(connection=workflow.connection, group_code__in=groups)
        .values_list("code", flat=True)
    )


def _check_known(workflow: Workflow, attributes: list[str], groups: list[str]) -> None:
    live_attributes = set(
        Attribute.objects.live().filter(connection=workflow.connection).values_list("code", flat=True)
    )
    live_groups = set(
        AttributeGroup.objects.live().filter(connection=workflow.connection).values_list("code", flat=True)
    )
    errors = [f"unknown attribute '{a}'" for a in attributes if a not in live_attributes]
    errors += [f"unknown attribute group '{g}'" for g in groups if g not in live_groups]
    if errors:
        raise ValidationError("; ".join(errors) + " (run a sync if the PIM has them).")


@transaction.atomic
def set_included(
    workflow: Workflow, *, include: bool, attributes: list[str] = (), groups: list[str] = ()
) -> tuple[set[str], dict[str, str]]:
    """Include or exclude attributes and whole groups.

    Naming a locked attribute for exclusion is refused with its reason; locked members of an
    excluded group simply stay included. Returns (changed codes, locked codes kept with reasons).
    """
    attributes, groups = list(attributes), list(groups)
    _check_known(workflow, attributes, groups)
    locks = locked_attributes(workflow)
    if not include:
        refused = {code: locks[code] for code in attributes if code in locks}
        if refused:
            raise ValidationError(
                "; ".join(
                    f"'{code}' cannot be excluded: {reason}" for code, reason in sorted(refused.items())
                )
            )
    targets = set(attributes) | _codes_in_groups(workflow, groups)
    kept = {code: locks[code] for code in targets if code in locks} if not include else {}
    targets -= set(kept)
    existing = {s.attribute_code: s for s in workflow.attribute_selections.filter(attribute_code__in=targets)}
    changed = {code for code in targets if (existing[code].included if code in existing else True) != include}
    to_update = [existing[code] for code in targets if code in existing]
    for selection in to_update:
        selection.included = include
    AttributeSelection.objects.bulk_update(to_update, ["included"])
    AttributeSelection.objects.bulk_create(
        [
            AttributeSelection(workflow=workflow, attribute_code=c, included=include)
            for c in targets - set(existing)
        ]
    )
    return changed, kept
