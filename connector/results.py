"""Typed run results: what a run of each kind records in ``Run.result``, as one dataclass per kind.

The handler writes it (``RunContext.set_result``) and commands, pages and the API read it back
(``Run.typed_result``) through the same class, so a key is spelled once. Reading is forgiving (a
run written by an older version lacks newer keys and gets the defaults); writing is strict (a key
the class does not know is a bug, raised where it is written). A field that is None is left out
of the stored JSON, so that "has a delivery" stays "the key is there".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Self


@dataclass
class RunResult:
    @classmethod
    def from_json(cls, data: Any) -> Self:
        data = data if isinstance(data, dict) else {}
        names = {spec.name for spec in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in names})

    @classmethod
    def checked(cls, data: dict[str, Any]) -> Self:
        unknown = sorted(set(data) - {spec.name for spec in fields(cls)})
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        return cls(**data)

    # What the run pages and alerts ask of any run, whatever its kind; kinds override what applies.
    def produced_files(self) -> list[str]:
        """Paths of the files the run made for download (its archives)."""
        return []

    def progress_is_estimate(self) -> bool:
        """The progress total is a guess (from an earlier run), not a count."""
        return False

    def alert_wanted(self) -> bool:
        """A run done with warnings that deserves a mail, as a failure does."""
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            spec.name: getattr(self, spec.name)
            for spec in fields(self)
            if getattr(self, spec.name) is not None
        }


@dataclass
class StructureSyncResult(RunResult):
    # Per object type: {"created", "updated", "unchanged", "deleted"}.
    per_type: dict[str, dict[str, int]] = field(default_factory=dict)
    # Live objects per type in the mirror once the sync was applied.
    mirror_counts: dict[str, int] = field(default_factory=dict)
