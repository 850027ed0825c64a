"""Each role in a real browser: a business consultant sets up a connection and a workflow, an SDM admin
excludes a group and synchronizes until Done, an operator reads the dashboard and a run and is refused
a configuration change. The screenshots in README come from here."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import BUSINESS_CONSULTANT, OPERATOR, SDM_ADMIN
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC
from sdm.models import SdmAttribute, Workflow
from sfcc_export.models import ExportProfile
from sfcc_export.tasks import EXPORT
from tests.browser import fill_connection_form, logged_in_page
from tests.paths import ROOT
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.users import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def login_as(browser, live_server):
    pages = []

    def login(role: str):
        name = role.lower().replace(" ", "-")
        staff_user(role, name)
        page = logged_in_page(
            browser, live_server.url, name, "pw-" + name, viewport={"width": 1280, "height": 900}
        )
        pages.append(page)
        return page

    yield login
    for page in pages:
        page.context.close()


def test_a_business_consultant_creates_a_connection_and_a_workflow(login_as, fake_akeneo):
    page = login_as(BUSINESS_CONSULTANT)

    fill_connection_form(page, "shop-pim", fake_akeneo.base_url)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("shop-pim")
    connection = AkeneoConnection.objects.get(name="shop-pim")
    assert connection.secret == SANDBOX_CREDENTIALS["secret"]

    page.goto("/admin/sdm/workflow/add/")
    expect(page.locator(".messagelist .warning")).to_contain_text(
        "The mirror of connection 'shop-pim' is empty"
    )
    # What the connection's Synchronize button queues, run here: the pickers show the mirror after it.
    assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE

    page.goto("/admin/sdm/workflow/add/")
    page.fill("#id_name", "spring-suppliers")
    page.select_option("#id_connection", str(connection.pk))
    page.fill("#id_channels_input", "ecomm")  # the picker's search box
    page.select_option("#id_channels_from", "ecommerce")
    page.click("#id_channels_add")
    page.select_option("#id_locales_from", ["en_US", "fr_FR"])
    page.click("#id_locales_add")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("spring-suppliers")
    workflow = Workflow.objects.get(name="spring-suppliers")
    assert (workflow.connection, workflow.channels, workflow.locales) == (
        connection,
        ["ecommerce"],
        ["en_US", "fr_FR"],
    )


def test_an_sdm_admin_excludes_a_group_and_synchronizes_until_done(login_as, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    before = SdmAttribute.objects.filter(workflow=workflow).count()
    page = login_as(SDM_ADMIN)

    page.goto(f"/admin/sdm/workflow/{workflow.pk}/change/")
    page.click("#attribute-configuration")
    page.uncheck("#group-marketing")
    page.click("#save-attributes")
    expect(page.locator(".messagelist .success")).to_contain_text("Attribute configuration saved")
    page.click("#synchronize")

    expect(page.locator('[data-field="status_label"]')).to_have_text("Done")
    assert SdmAttribute.objects.filter(workflow=workflow).count() < before
    assert not SdmAttribute.objects.filter(workflow=workflow, pim_attribute_code="name").exists()


def test_an_operator_reads_the_dashboard_and_a_run_and_cannot_change_configuration(
    login_as, fake_akeneo, tmp_path, settings
):
    settings.AKENEO_MAX_RETRIES = 1
    workflow = make_workflow(fake_akeneo, alert_emails="ops@example.com")
    assert sync_workflow(workflow).status == RunStatus.DONE
    run = Run.objects.filter(status=RunStatus.DONE).order_by("-pk").first()
    profile = ExportProfile.objects.create(
        name="shop",
        connection=workflow.connection,
        channel="ecommerce",
        master_catalog_id="akeneo-master",
        storefront_catalog_id="akeneo-storefront",
        locale_mapping={"en_US": "x-default", "fr_FR": "fr-FR"},
        output_dir=str(tmp_path),
    )
    assert start_run(EXPORT, profile, params={"job": "all"}, inline=True).status == RunStatus.DONE
    fake_akeneo.faults.every_nth(1, status=503, path_prefix="/api/rest/v1/products-uuid")
    assert start_run(EXPORT, profile, params={"job": "master"}, inline=True).status == RunStatus.FAILED
    fake_akeneo.faults.clear()
    page = login_as(OPERATOR)

    page.goto("/admin/dashboard/")
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_contain_text("sandbox")
    expect(dashboard).to_contain_text(workflow.name)
    expect(dashboard.locator("a.failures")).to_have_text("1 failed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.locator(f'#dashboard a.run-link[href$="/run/{run.pk}/change/"]').first.click()
    expect(page.locator('[data-field="status_label"]')).to_have_text("Done")
    expect(page.locator(".run-log")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "run.png"), full_page=True)

    page.goto(f"/admin/connector/akeneoconnection/{workflow.connection.pk}/change/")
    expect(page.locator("input[name=_save]")).to_have_count(0)  # a view-only page
    expect(page.locator("#id_secret")).to_have_count(0)
    response = page.goto("/admin/sdm/workflow/add/")
    assert response.status == 403
    refused = page.request.post(
        f"/admin/sdm/workflow/{workflow.pk}/attributes/",
        form={"include": "name", "csrfmiddlewaretoken": _csrf(page)},
        headers={"Referer": page.url, "X-CSRFToken": _csrf(page)},
    )
    assert refused.status == 403


def _csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
