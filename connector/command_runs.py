"""What every management command that runs a run does: start it, say if it is busy, exit 1 on failure."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db import models

from .models import Run, RunStatus, RunTrigger
from .runs import RunAlreadyActive, start_run


def run_from_command(
    kind: str, target: models.Model, *, what: str, params: dict[str, Any] | None = None, inline: bool = True
) -> Run:
    """Start the run (inline unless told otherwise) and return it fresh from the database."""
    try:
        run = start_run(kind, target, trigger=RunTrigger.COMMAND, params=params, inline=inline)
    except RunAlreadyActive as exc:
        raise CommandError(f"{what} not started: {exc}") from None
    return Run.objects.get(pk=run.pk)


def exit_if_failed(run: Run) -> None:
    if run.status == RunStatus.FAILED:
        raise CommandError(f"Run #{run.pk} failed: {run.error}")
