"""Each role can do what it should and gets 403 for the rest, by direct POSTs to every custom admin URL
and to the change forms: permissions are enforced by the views, not only hidden in templates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from connector.models import Run, RunStatus
from connector.roles import BUSINESS_CONSULTANT, OPERATOR, SDM_ADMIN
from connector.tasks import STRUCTURE_SYNC
from sdm.jobs import import_supplier_file
from sfcc_export.models import ExportProfile
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.users import staff_user

pytestmark = pytest.mark.django_db
BC, SDM, OP = BUSINESS_CONSULTANT, SDM_ADMIN, OPERATOR


@pytest.fixture
def objects(fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    supplier = tmp_path / "supplier.csv"
    supplier.write_text("sku,family,name-en_US\nROLE-1,accessories,Bag\n", encoding="utf-8")
    job = import_supplier_file(workflow, supplier)
    profile = ExportProfile.objects.create(
        name="shop",
        connection=workflow.connection,
        channel="ecommerce",
        master_catalog_id="m",
        storefront_catalog_id="s",
        locale_mapping={"en_US": "x-default"},
        output_dir=str(tmp_path / "exports"),
    )
    run = Run.objects.create(
        kind=STRUCTURE_SYNC,
        target=workflow.connection,
        target_label="sandbox",
        status=RunStatus.IN_PROGRESS,
    )
    return {
        "connection": workflow.connection,
        "workflow": workflow,
        "job": job,
        "profile": profile,
        "run": run,
    }


def post_as(client, role: str, url: str, data: dict | None = None):
    staff_user(role, f"user-{User.objects.count()}", client=client)
    return client.post(url, data or {})


# (what, URL name, object, POST data, roles allowed)
ACTIONS = [
    ("test a connection", "admin:connector_akeneoconnection_test", "connection", {}, {BC, SDM, OP}),
    ("sync a connection", "admin:connector_akeneoconnection_sync", "connection", {}, {BC, SDM, OP}),
    ("change a connection", "admin:connector_akeneoconnection_change", "connection", {"name": "x"}, {BC}),
    ("configure attributes", "admin:sdm_workflow_attributes", "workflow", {"include": ["name"]}, {SDM}),
    ("sync a workflow", "admin:sdm_workflow_sync", "workflow", {}, {BC, SDM, OP}),
    ("change a workflow", "admin:sdm_workflow_change", "workflow", {"name": "x"}, {BC}),
    ("finalize a supplier job", "admin:sdm_supplierjob_finalize", "job", {}, {SDM}),
    ("change an export profile", "admin:sfcc_export_exportprofile_change", "profile", {"name": "x"}, {BC}),
    ("run an export", "admin:sfcc_export_exportprofile_export", "profile", {"job": "attributes"}, {BC, OP}),
    ("cancel a run", "admin:connector_run_cancel", "run", {}, {BC, SDM, OP}),
]


@pytest.mark.parametrize(("what", "url_name", "key", "data", "allowed"), ACTIONS, ids=[a[0] for a in ACTIONS])
@pytest.mark.parametrize("role", [BC, SDM, OP])
def test_each_role_may_do_its_actions_and_gets_403_for_the_others(
    client, objects, role, what, url_name, key, data, allowed
):
    response = post_as(client, role, reverse(url_name, args=[objects[key].pk]), data)
    if role in allowed:
        assert response.status_code in (200, 302), f"{role} should be able to {what}"
    else:
        assert response.status_code == 403, f"{role} must not {what}"


@pytest.mark.parametrize(
    "url_name",
    ["admin:connector_akeneoconnection_add", "admin:sdm_workflow_add", "admin:sfcc_export_exportprofile_add"],
)
def test_the_operator_cannot_add_configuration(client, url_name):
    assert post_as(client, OP, reverse(url_name), {"name": "x"}).status_code == 403
