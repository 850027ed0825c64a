"""Workflow set-up from plain values (the sdm_workflow command and scripted set-ups)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from connector.models import AkeneoConnection

from .models import Workflow


def split_codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]


@transaction.atomic
def save_workflow(
    name: str,
    *,
    connection_name: str | None = None,
    channels: list[str] | None = None,
    locales: list[str] | None = None,
    families: list[str] | None = None,
) -> tuple[Workflow, bool]:
    """Create or update a workflow; ``None`` keeps the current value. Raises ``ValidationError``."""
    workflow = Workflow.objects.select_for_update().filter(name=name).first()
    created = workflow is None
    if connection_name is not None:
        connection = AkeneoConnection.objects.filter(name=connection_name).first()
        if connection is None:
            raise ValidationError(f"No connection named '{connection_name}'.")
    elif created:
        raise ValidationError("A new workflow needs a connection.")
    else:
        connection = workflow.connection
    if workflow is None:
        workflow = Workflow(name=name, connection=connection)
    workflow.connection = connection
    for field, value in (("channels", channels), ("locales", locales), ("families", families)):
        if value is not None:
            setattr(workflow, field, value)
    workflow.full_clean()
    workflow.save()
    return workflow, created


def find_workflow(name: str) -> Workflow:
    workflow = Workflow.objects.select_related("connection").filter(name=name).first()
    if workflow is None:
        known = ", ".join(Workflow.objects.values_list("name", flat=True)) or "none"
        raise ValidationError(f"No workflow named '{name}' (known: {known}).")
    return workflow
