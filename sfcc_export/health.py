"""Whether an export profile's PIM and SFCC instance answered its last run (connector.health).

The PIM side is the profile's connection's, as for every run. The SFCC side is the profile's own:
a run that ends on SFCC refusing the API client or not answering at all marks it, a run that
delivered marks it healthy again; a run that delivered nothing says nothing of SFCC.
"""

from __future__ import annotations

from django.utils import timezone

from connector import health
from connector.models import Run

from .delivery import SfccAuthError, SfccError
from .models import ExportProfile


def sfcc_problem(exc: BaseException | None) -> str | None:
    for cause in health.causes(exc):
        if isinstance(cause, SfccAuthError):
            return f"SFCC refused the API client: {cause.message}"
        if isinstance(cause, SfccError) and cause.transient and cause.status is None:
            return f"SFCC could not be reached: {cause.message}"
    return None


def after_export(run: Run, status: str, exc: BaseException | None) -> None:
    profile = ExportProfile.objects.filter(pk=run.target_id).values("connection_id").first()
    if profile is None:
        return
    health.record(profile["connection_id"], run, status, health.problem_in(exc))
    delivered = status in health.SUCCEEDED_STATUSES and (
        Run.objects.filter(pk=run.pk, result__has_key="delivery").exists()
    )
    said = health.verdict(run, sfcc_problem(exc), delivered, "delivered to SFCC")
    if said is None:
        return
    ok, message = said
    ExportProfile.objects.filter(pk=run.target_id).update(
        delivery_check_at=timezone.now(), delivery_check_ok=ok, delivery_check_message=message
    )
