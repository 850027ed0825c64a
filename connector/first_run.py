"""The first-run guide on the admin index: the five steps from an empty install to a first export,
each ticked from what the database holds, each a link to the page where it is done. Gone once every
step is done.

The workflow and export-profile models are looked up by name (``apps.get_model``): connector
imports neither sdm nor sfcc_export.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from .models import AkeneoConnection, Run, RunStatus
from .tasks import STRUCTURE_SYNC


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    hint: str
    done: bool
    url: str  # empty when this user may not open the page, or when there is no page yet
    waits_for: str = ""  # the step that has to come first, while it is not done


@dataclass(frozen=True)
class FirstRunGuide:
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def next_step(self) -> Step | None:
        return next((step for step in self.steps if not step.done), None)


def _url(user, model, view: str, *args) -> str:
    opts = model._meta
    verb = {"add": "add", "changelist": "view", "change": "view"}.get(view, "view")
    allowed = user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}") or (
        verb == "view" and user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    )
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args) if allowed else ""


def first_run_guide(user) -> FirstRunGuide | None:
    """The guide for ``user``, or None once everything is set up. Five small queries."""
    workflow_model = apps.get_model("sdm", "Workflow")
    profile_model = apps.get_model("sfcc_export", "ExportProfile")
    connections = AkeneoConnection.objects.order_by("name").values_list("pk", flat=True)
    tested_pk = connections.filter(last_check_ok=True).first()
    # The first connection that passed its test is the one to go on with.
    connection_pk = tested_pk or connections.first()
    synced = Run.objects.filter(
        kind=STRUCTURE_SYNC,
        status=RunStatus.DONE,
        target_type=ContentType.objects.get_for_model(AkeneoConnection),
        target_id__in=connections,
    ).exists()
    has_workflow = workflow_model.objects.exists()
    has_profile = profile_model.objects.exists()
    if tested_pk and synced and has_workflow and has_profile:
        return None

    connection_page = _url(user, AkeneoConnection, "change", connection_pk) if connection_pk else ""
    sync_page = (
        reverse("admin:connector_akeneoconnection_sync_status", args=[connection_pk])
        if connection_page
        else ""
    )
    add_connection = _url(user, AkeneoConnection, "add")
    # Everything after step 1 is done on, or for, a connection.
    first = "" if connection_pk else "step 1"
    steps = [
        Step(
            1,
            "Add a connection to your PIM",
            "The PIM's address, and the client id, secret, user and password of an Akeneo API connection.",
            connection_pk is not None,
            connection_page if connection_pk else add_connection,
        ),
        Step(
            2,
            "Test the connection",
            "Open the connection and click Test connection: it signs in and reads the PIM's version.",
            tested_pk is not None,
            connection_page,
            waits_for=first,
        ),
        Step(
            3,
            "Synchronize the PIM structure",
            "Click Synchronize on the connection: channels, locales, attributes, families and "
            "categories are copied here.",
            synced,
            sync_page,
            waits_for=first,
        ),
        Step(
            4,
            "Create an SDM workflow",
            "A supplier data project on the connection: which channels, locales and families it covers.",
            has_workflow,
            _url(user, workflow_model, "changelist" if has_workflow else "add") if connection_pk else "",
            waits_for=first,
        ),
        Step(
            5,
            "Create an SFCC export profile",
            "What to export to Salesforce B2C Commerce, and where the site archive goes.",
            has_profile,
            _url(user, profile_model, "changelist" if has_profile else "add") if connection_pk else "",
            waits_for=first,
        ),
    ]
    return FirstRunGuide(steps)
