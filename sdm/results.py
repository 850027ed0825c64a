"""The typed results of the SDM runs (connector.results)."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.results import RunResult


@dataclass
class WorkflowSyncResult(RunResult):
    counts: dict[str, int] = field(default_factory=dict)  # attributes, display_groups, hierarchies
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    display_groups: list[str] = field(default_factory=list)
    hierarchies: list[str] = field(default_factory=list)
    attribute_codes: list[str] = field(default_factory=list)
    flagged_steps: int = 0
    unchanged: int = 0
    structure_run: int | None = None  # the structure sync it ran or waited for


@dataclass
class JobPushResult(RunResult):
    created: int = 0
    updated: int = 0
    skipped: int = 0  # unchanged, not sent
    failed: int = 0


@dataclass
class JobImportResult(RunResult):
    job: int | None = None
    rows: int = 0
