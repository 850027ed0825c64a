"""Codes a consultant picks, checked against the mirror of the connection they belong to.

One check serves the admin forms (through the models' ``clean``), the commands and any API that
saves configuration, so an unknown channel, locale, family, attribute or category is refused
everywhere with the same message, naming each code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model

from .models import AkeneoConnection, Channel

# Shown in full when a PIM has few of them; beyond this the message only names the unknown codes.
KNOWN_CODES_SHOWN = 12


def mirror_is_empty(connection: AkeneoConnection) -> bool:
    """Nothing has been synchronized yet: every code would be unknown."""
    return not Channel.objects.filter(connection=connection).exists()


def empty_mirror_message(connection: AkeneoConnection) -> str:
    return (
        f"The mirror of connection '{connection}' is empty, so there is nothing to pick from yet: "
        "open the connection, click Test connection, then Synchronize."
    )


def unknown_codes(
    connection: AkeneoConnection, model: type[Model], codes: Iterable[str], **filters
) -> list[str]:
    """The codes, in their order, that the mirror does not hold live (missing or deleted in the PIM)."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    known = set(
        model.objects.live()
        .filter(connection=connection, code__in=wanted, **filters)
        .values_list("code", flat=True)
    )
    return [code for code in wanted if code not in known]


@dataclass
class CodeCheck:
    """Collects the refusals of one configuration, per form field, then raises them together."""

    connection: AkeneoConnection
    errors: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.empty = mirror_is_empty(self.connection)

    def codes(self, field_name: str, model: type[Model], codes: Iterable[str], noun: str, **filters) -> None:
        codes = [code for code in codes if code]
        if not codes:
            return
        if self.empty:  # said once for the whole form, not under every field
            if NON_FIELD_ERRORS not in self.errors:
                self.add(NON_FIELD_ERRORS, empty_mirror_message(self.connection))
            return
        unknown = unknown_codes(self.connection, model, codes, **filters)
        if unknown:
            self.add(field_name, self._unknown_message(model, noun, unknown, filters))

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def _unknown_message(self, model: type[Model], noun: str, unknown: list[str], filters: dict) -> str:
        plural = noun if len(unknown) == 1 else f"{noun}s"
        message = f"Unknown {plural} in the PIM of '{self.connection}': {', '.join(unknown)}."
        known = list(
            model.objects.live()
            .filter(connection=self.connection, **filters)
            .order_by("code")
            .values_list("code", flat=True)[: KNOWN_CODES_SHOWN + 1]
        )
        if not known:
            return f"{message} It has none that fit."
        if len(known) <= KNOWN_CODES_SHOWN:
            return f"{message} Known: {', '.join(known)}."
        return message
