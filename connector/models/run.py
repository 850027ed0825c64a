"""One row per long piece of work (sync, push, export), whatever its kind.

A single table with a generic link to its target (connection, workflow, export profile) lets the
runs list, stuck-run detection and cancellation work for every kind without per-kind code.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    # Ended and did its work, but what it delivered was taken only in part (an SFCC import that
    # skipped elements): somebody should look, as for a failure, without the work being redone.
    WARNINGS = "warnings", "Done with warnings"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Never started: another run held the same work (``held_by``). Recorded so that a schedule or a
    # click that lost the race leaves a trace instead of vanishing.
    SKIPPED = "skipped", "Skipped"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.IN_PROGRESS)
TERMINAL_STATUSES = (
    RunStatus.DONE,
    RunStatus.WARNINGS,
    RunStatus.FAILED,
    RunStatus.CANCELLED,
    RunStatus.SKIPPED,
)
SUCCEEDED_STATUSES = (RunStatus.DONE, RunStatus.WARNINGS)


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Admin"
    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Command"
    API = "api", "API"


class RunQuerySet(models.QuerySet):
    def active(self) -> RunQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def for_target(self, target: models.Model, kind: str | None = None) -> RunQuerySet:
        runs = self.filter(target_type=ContentType.objects.get_for_model(target), target_id=target.pk)
        return runs.filter(kind=kind) if kind else runs


class Run(models.Model):
    kind = models.CharField(max_length=50, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(max_length=200)
    # What of the target the run holds, beside its kind (an export's SFCC job): runs of one kind and
    # target with different keys may run side by side (the kind's registry entry computes it).
    lock_key = models.CharField(max_length=100, blank=True, default="")
    held_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a skipped run: the run that held the same work.",
    )
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Structured outcome, per kind of run.")
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The database, not the application, guarantees one active run per kind, target and
            # lock key: a double click, a schedule during a manual run or two workers cannot both start.
            models.UniqueConstraint(
                fields=["kind", "target_type", "target_id", "lock_key"],
                condition=Q(status__in=["queued", "in_progress"]),
                name="one_active_run_per_kind_target_and_key",
            ),
        ]
        indexes = [models.Index(fields=["target_type", "target_id", "kind", "-created_at"])]
        permissions = [("cancel_run", "Can cancel a run")]

    def __str__(self) -> str:
        from ..runs import kind_label  # the registry imports this module

        return f"Run #{self.pk} {kind_label(self.kind)} · {self.target_label}"

    @property
    def typed_result(self):
        """``result`` read through the kind's result type (connector.results); a kind without one
        reads as an empty RunResult (nothing produced, nothing estimated, no alert)."""
        from ..results import RunResult
        from ..runs import get_kind

        try:
            result_type = get_kind(self.kind).result_type or RunResult
        except LookupError:
            result_type = RunResult
        return result_type.from_json(self.result)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self):
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def progress_percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.status in SUCCEEDED_STATUSES else None
        return min(100, round(100 * self.progress_done / self.progress_total))


class RunLogEntry(models.Model):
    class Level(models.IntegerChoices):
        DEBUG = 10, "debug"
        INFO = 20, "info"
        WARNING = 30, "warning"
        ERROR = 40, "error"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="log_entries")
    created_at = models.DateTimeField(default=timezone.now)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.INFO)
    message = models.TextField()

    class Meta:
        ordering = ["run", "pk"]
        verbose_name_plural = "run log entries"

    def __str__(self) -> str:
        return f"[{self.get_level_display()}] {self.message}"
