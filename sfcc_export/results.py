"""The typed result of an SFCC export run (connector.results): every job writes the same class,
each the fields that concern it (a refinements run its source and categories, a delivery again
the archive it sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.results import RunResult


@dataclass
class ExportResult(RunResult):
    job: str = ""
    mode: str = ""
    folder: str = ""
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    attributes: int = 0
    archive: str | None = None  # the first part
    archives: list[str] = field(default_factory=list)
    site_archive: int | None = None
    # Job -> ISO date; the PIM update date this run reached (kept in ExportWatermark).
    watermarks: dict[str, str] = field(default_factory=dict)
    progress_estimated: bool = False
    # archive_delivery.DeliveryOutcome.as_dict(): the last part's fields, "parts", "skipped", ...
    delivery: dict[str, Any] | None = None
    alert: bool = False  # done with warnings worth a mail
    redelivered: int | None = None  # the SiteArchive sent again
    source: str = ""  # refinements: the file read
    categories: list[str] = field(default_factory=list)  # refinements: the categories saved
    # events and reconcile: what the PIM's events named ("taken", "products", "models", "deleted",
    # "last_event"), and what the reconciliation found that they had missed ("products", "models",
    # "removals").
    events: dict[str, int] = field(default_factory=dict)
    reconciliation: dict[str, int] | None = None

    def produced_files(self) -> list[str]:
        recorded = self.archives or ([self.archive] if self.archive else [])
        return [path for path in recorded if isinstance(path, str)]

    def progress_is_estimate(self) -> bool:
        return bool(self.progress_estimated)

    def alert_wanted(self) -> bool:
        return bool(self.alert)
