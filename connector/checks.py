"""Check that a connection reaches its PIM with working credentials, and record the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from .akeneo import AkeneoClient, AkeneoError, AkeneoNotFound
from .models import AkeneoConnection


@dataclass
class ConnectionReport:
    ok: bool
    message: str
    facts: dict[str, str] = field(default_factory=dict)


def probe_pim(client: AkeneoClient) -> dict[str, str]:
    """What the PIM says about itself; raises ``AkeneoError`` when it cannot be reached or used."""
    facts: dict[str, str] = {}
    try:
        info = client.system_information()
    except AkeneoNotFound:
        info = {}  # PIM versions before 7 have no system-information route
    if info.get("version"):
        facts["version"] = str(info["version"])
    if info.get("edition"):
        facts["edition"] = str(info["edition"])
    channels = [c["code"] for c in client.paginate("channels")]
    locales = [loc["code"] for loc in client.paginate("locales") if loc.get("enabled")]
    currencies = [c["code"] for c in client.paginate("currencies") if c.get("enabled")]
    facts["channels"] = ", ".join(channels) or "none"
    facts["active locales"] = ", ".join(locales) or "none"
    facts["active currencies"] = ", ".join(currencies) or "none"
    return facts


def check_connection(connection: AkeneoConnection, *, interactive: bool = True) -> ConnectionReport:
    try:
        with connection.client(interactive=interactive) as client:
            facts = probe_pim(client)
    except AkeneoError as exc:
        report = ConnectionReport(False, f"Could not use the PIM at {connection.base_url}: {exc.message}")
    else:
        summary = " ".join(filter(None, [facts.get("edition"), facts.get("version")]))
        report = ConnectionReport(
            True,
            f"Connected to the PIM at {connection.base_url}" + (f" ({summary})" if summary else "") + ".",
            facts,
        )
    AkeneoConnection.objects.filter(pk=connection.pk).update(
        last_check_at=timezone.now(), last_check_ok=report.ok, last_check_message=report.message
    )
    return report
