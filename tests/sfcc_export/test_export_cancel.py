"""Cancelling a running export from the admin: it stops at the next page and says cancelled."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.urls import reverse

from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import OPERATOR
from connector.runs import execute_run, start_run
from connector.sandbox import FakeAkeneo
from sfcc_export.models import ExportedItem
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile
from tests.users import staff_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: a worker thread writes while the test reads (SQLite's shared cache locks)",
    ),
]
PRODUCTS = "/api/rest/v1/products-uuid"


def work(run_id: int) -> None:
    try:
        execute_run(run_id)
    finally:
        connections.close_all()  # the thread's own database connection


def test_a_running_export_cancelled_in_the_admin_stops_at_the_next_page(
    client, sandbox_catalog_factory, tmp_path, monkeypatch
):
    from django_q.conf import Conf

    with FakeAkeneo(sandbox_catalog_factory(products=1500, seed=3)) as pim:
        profile = make_profile(pim, tmp_path)
        # One call at a time, so that "the next page" is one page (side by side, each read in
        # flight stops at its own next page).
        AkeneoConnection.objects.filter(pk=profile.connection_id).update(max_concurrency=1)
        monkeypatch.setattr(Conf, "SYNC", False)  # queued: the thread below is the worker
        run = start_run(EXPORT, profile, params={"job": "master"})
        pim.faults.delay(0.2, path_prefix=PRODUCTS)  # pages arrive slowly enough to cancel between two
        worker = threading.Thread(target=work, args=(run.pk,))
        worker.start()
        deadline = time.monotonic() + 60
        while Run.objects.get(pk=run.pk).progress_done < 100:
            assert worker.is_alive() and time.monotonic() < deadline, "the export made no progress"
            worker.join(timeout=0.05)  # a pause between reads, not a timing assumption
        staff_user(OPERATOR, client=client)

        response = client.post(reverse("admin:connector_run_cancel", args=[run.pk]))
        worker.join(timeout=60)

        assert response.status_code == 302
        cancelled = Run.objects.get(pk=run.pk)
        assert cancelled.status == RunStatus.CANCELLED and cancelled.error == "Cancelled on request."
        pages = pim.count("GET", PRODUCTS)
        assert pages < 14  # ceil(~1,350 enabled / 100): it did not read on to the end
        assert not ExportedItem.objects.filter(profile=profile).exists()  # nothing recorded as exported
