"""A workflow step's ``config``: one parser for the JSON that people (or the step form) store.

``WorkflowStep.config`` is a free JSON field, so it can hold anything: ``None``, a list, a string where
a list belongs, numbers among codes, rules that are not objects or lack an attribute. The step form,
its read-only view, the sync's check for missing attributes and the locks of the attribute
configuration tab all read it; they read it here, so they all understand the same keys and forgive
the same mistakes: whatever is not valid is left out, nothing raises.

Understood keys (anything else is kept in the stored JSON but ignored):

* ``attributes``, ``required``, ``ai_sources``: lists of PIM or SDM attribute codes (non-empty strings);
* ``dependencies``: a list of rules ``{"when": code, "value": text, "require": code}``; ``when`` and
  ``require`` are needed, ``value`` may be empty or missing (= any value) and a number is read as
  its text; a rule whose value is anything else (a list, an object, true/false) is left out.

Written back (``store_step_config``), the JSON has the shape the step form has always stored, so
what is stored stays readable by older code and by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CODE_LISTS = ("attributes", "required", "ai_sources")
DEPENDENCIES = "dependencies"
KEYS = (*CODE_LISTS, DEPENDENCIES)


@dataclass(frozen=True)
class DependencyRule:
    """When attribute ``when`` has ``value`` (empty = any value), attribute ``require`` is required."""

    when: str
    require: str
    value: str = ""

    def to_json(self) -> dict[str, str]:
        # The key order and the empty ``value`` are those the step form has always stored.
        return {"when": self.when, "value": self.value, "require": self.require}

    def in_words(self) -> str:
        value = f" is {self.value}" if self.value else ""
        return f"when {self.when}{value}, require {self.require}"


@dataclass(frozen=True)
class StepConfig:
    attributes: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    ai_sources: tuple[str, ...] = ()
    dependencies: tuple[DependencyRule, ...] = ()

    def referenced_codes(self) -> list[str]:
        """Every attribute code the step names, in order, repeats included: lists, then each rule's
        ``when`` and ``require``."""
        codes = [*self.attributes, *self.required, *self.ai_sources]
        for rule in self.dependencies:
            codes += [rule.when, rule.require]
        return codes

    def to_json(self) -> dict[str, Any]:
        """The understood keys as stored JSON; a key whose value is empty is left out."""
        stored: dict[str, Any] = {name: list(getattr(self, name)) for name in CODE_LISTS}
        stored[DEPENDENCIES] = [rule.to_json() for rule in self.dependencies]
        return {name: value for name, value in stored.items() if value}


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _codes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(code for code in value if _is_code(code))


def _rule(value: Any) -> DependencyRule | None:
    if not isinstance(value, dict) or not _is_code(value.get("when")) or not _is_code(value.get("require")):
        return None
    condition = value.get("value")
    if condition is None:
        condition = ""
    elif isinstance(condition, (int, float)) and not isinstance(condition, bool):
        condition = str(condition)  # typed as JSON by hand; the form would store it as this text
    elif not isinstance(condition, str):
        return None  # a list, an object, true/false: no value the form could show or store
    return DependencyRule(when=value["when"], require=value["require"], value=condition)


def parse_step_config(raw: Any) -> StepConfig:
    """What a stored ``config`` says, keeping only what is valid (see the module docstring)."""
    if not isinstance(raw, dict):
        return StepConfig()
    rules = raw.get(DEPENDENCIES)
    return StepConfig(
        attributes=_codes(raw.get("attributes")),
        required=_codes(raw.get("required")),
        ai_sources=_codes(raw.get("ai_sources")),
        dependencies=tuple(
            rule for rule in (_rule(item) for item in (rules if isinstance(rules, list) else [])) if rule
        ),
    )


def store_step_config(stored: Any, config: StepConfig) -> dict[str, Any]:
    """``stored`` (the JSON as it is) with the understood keys replaced by ``config``'s: a key left
    empty is removed, keys this module does not understand are kept as they were."""
    merged = dict(stored) if isinstance(stored, dict) else {}
    written = config.to_json()
    for name in KEYS:
        if name in written:
            merged[name] = written[name]
        else:
            merged.pop(name, None)
    return merged
