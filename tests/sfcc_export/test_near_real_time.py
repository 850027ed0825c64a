"""Minutes, not days: the sandbox PIM's signed events reach our receiver over a real socket
(live_server), a near-real-time cycle exports what they name to the fake SFCC, and the
reconciliation catches what a dropped event missed. Cycles are driven by calling the schedule's
own entry point; nothing waits on a clock."""

from __future__ import annotations

import pytest
from django.urls import reverse
from lxml import etree

from connector.event_subscriptions import subscribe
from connector.models import EventSubscription, PimEvent, Run, RunStatus
from connector.runs import start_run
from connector.sandbox import FakeAkeneo
from sfcc_export.models import EventCursor, ExportedItem
from sfcc_export.tasks import EXPORT, scheduled_export
from tests.sfcc_helpers import make_instance_profile
from tests.users import staff_user

pytestmark = pytest.mark.django_db(transaction=True)
CATALOG = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory()) as server:
        yield server


@pytest.fixture
def profile(pim, sfcc, tmp_path, settings, live_server):
    settings.SITE_URL = live_server.url
    settings.AKENEO_EVENT_SETTLE_SECONDS = 0  # the test delivers, then runs the cycle at once
    profile = make_instance_profile(pim, tmp_path / "exports", sfcc)
    subscription = EventSubscription.objects.create(
        connection=profile.connection,
        technical_email="tech@example.com",
        platform_url=f"{pim.base_url}/event-platform/api/v1",
    )
    subscribe(subscription)
    profile.near_real_time = True
    profile.full_clean()
    profile.save()
    run = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)
    assert run.status == RunStatus.DONE, run.error
    return profile


def simple_products(pim, count: int) -> list[tuple[str, str]]:
    """(uuid, identifier) of enabled products without a parent."""
    products = pim.catalog.products
    found = [
        (key, products.raw(key).get("identifier"))
        for key in sorted(products)
        if not products.raw(key).get("parent") and products.raw(key).get("enabled")
    ]
    return found[:count]


def rename(client, product_uuid: str, name: str) -> None:
    body = {"values": {"name": [{"locale": "en_US", "scope": None, "data": name}]}}
    assert client.patch(f"products-uuid/{product_uuid}", body) in (204, 201)


def cycle(profile) -> Run | None:
    """One near-real-time cycle, as the schedule fires it; the run it made, if any."""
    before = Run.objects.filter(kind=EXPORT).count()
    scheduled_export(profile.pk, "events")
    runs = Run.objects.filter(kind=EXPORT).order_by("-pk")
    return runs.first() if runs.count() > before else None


def master_products(record) -> dict[str, etree._Element]:
    products = {}
    for name, root in record.documents.items():
        if "/catalogs/akeneo-master/" in name:
            for element in root.iter(f"{CATALOG}product"):
                products.setdefault(element.get("product-id"), []).append(element)
    return products


def display_name(element) -> str:
    for name in element.iter(f"{CATALOG}display-name"):
        if name.get(XML_LANG) == "x-default":
            return name.text
    return ""


def online_flag(element) -> str | None:
    flag = element.find(f"{CATALOG}online-flag")
    return None if flag is None else flag.text


def test_five_edits_and_a_deletion_reach_sfcc_in_one_cycle(pim, profile, sfcc):
    chosen = simple_products(pim, 6)
    imports_before = len(sfcc.imports)
    with profile.connection.client() as client:
        for index, (product_uuid, _) in enumerate(chosen[:5]):
            rename(client, product_uuid, f"Fresh name {index}")
        assert client.delete(f"products-uuid/{chosen[5][0]}") == 204
    report = pim.events.deliver()
    assert report.statuses == [200] * 6
    assert PimEvent.objects.count() == 6

    run = cycle(profile)
    assert run is not None and run.status == RunStatus.DONE, run and run.error
    assert len(sfcc.imports) == imports_before + 1
    exported = master_products(sfcc.imports[-1])
    for index, (_, identifier) in enumerate(chosen[:5]):
        assert [display_name(e) for e in exported[identifier]] == [f"Fresh name {index}"]
    deleted = chosen[5][1]
    assert [online_flag(e) for e in exported[deleted]] == ["false"]
    assert set(exported) == {identifier for _, identifier in chosen}  # nothing else was sent
    result = run.typed_result
    assert result.mode == "events"
    assert result.events["taken"] == 6 and result.events["deleted"] == 1
    assert ExportedItem.objects.get(profile=profile, sfcc_id=deleted).online is False
    assert ExportedItem.objects.get(profile=profile, sfcc_id=chosen[0][1]).pim_uuid == chosen[0][0]
    assert EventCursor.objects.get(profile=profile).last_event == PimEvent.objects.order_by("-pk")[0].pk

    # Nothing new: the schedule makes no run at all.
    assert cycle(profile) is None


def test_duplicated_and_reordered_events_export_each_product_once_with_its_latest_values(pim, profile, sfcc):
    (first_uuid, first), (second_uuid, second) = simple_products(pim, 2)
    pim.events.faults.duplicate()
    pim.events.faults.reorder()
    with profile.connection.client() as client:
        for version in range(3):
            rename(client, first_uuid, f"Version {version}")
        rename(client, second_uuid, "Only once")
    report = pim.events.deliver()
    assert len(report.sent) == 8  # every event twice, last first
    assert PimEvent.objects.count() == 4  # stored once each

    run = cycle(profile)
    assert run.status == RunStatus.DONE, run.error
    exported = master_products(sfcc.imports[-1])
    assert [display_name(e) for e in exported[first]] == ["Version 2"]
    assert [display_name(e) for e in exported[second]] == ["Only once"]
    assert run.typed_result.events["products"] == 2


def test_a_dropped_event_is_caught_by_the_next_reconciliation(pim, profile, sfcc):
    (lost_uuid, lost), (heard_uuid, heard) = simple_products(pim, 2)
    pim.events.faults.drop(uuid=lost_uuid)
    with profile.connection.client() as client:
        rename(client, lost_uuid, "Never announced")
        rename(client, heard_uuid, "Announced")
    report = pim.events.deliver()
    assert len(report.dropped) == 1 and len(report.sent) == 1

    run = cycle(profile)
    assert run.status == RunStatus.DONE, run.error
    assert set(master_products(sfcc.imports[-1])) == {heard}

    scheduled_export(profile.pk, "reconcile")
    reconciliation = Run.objects.filter(kind=EXPORT, params__job="reconcile").get()
    assert reconciliation.status == RunStatus.DONE, reconciliation.error
    exported = master_products(sfcc.imports[-1])
    assert set(exported) == {lost}
    assert [display_name(e) for e in exported[lost]] == ["Never announced"]
    assert reconciliation.typed_result.reconciliation == {"products": 1, "models": 0, "removals": 0}
    assert "events had missed 1 products" in " ".join(
        reconciliation.log_entries.values_list("message", flat=True)
    )

    # Everything agrees now: the next reconciliation finds nothing and sends nothing.
    imports = len(sfcc.imports)
    scheduled_export(profile.pk, "reconcile")
    latest = Run.objects.filter(kind=EXPORT, params__job="reconcile").order_by("-pk")[0]
    assert latest.status == RunStatus.DONE, latest.error
    assert latest.typed_result.reconciliation == {"products": 0, "models": 0, "removals": 0}
    assert len(sfcc.imports) == imports


def test_a_failed_delivery_keeps_the_events_for_the_next_cycle(pim, profile, sfcc):
    (product_uuid, identifier), *_ = simple_products(pim, 1)
    with profile.connection.client() as client:
        rename(client, product_uuid, "After the outage")
    pim.events.deliver()
    sfcc.reject_imports_after(0, "ERROR: the catalog import failed")
    failed = cycle(profile)
    assert failed.status == RunStatus.FAILED
    assert "the catalog import failed" in failed.error
    assert not EventCursor.objects.filter(profile=profile).exists()
    run = cycle(profile)
    assert run.status == RunStatus.DONE, run.error
    assert [display_name(e) for e in master_products(sfcc.imports[-1])[identifier]] == ["After the outage"]


def test_the_subscription_page_subscribes_and_shows_the_state_without_secrets(pim, profile, client):
    subscription = EventSubscription.objects.get(connection=profile.connection)
    staff_user("Business consultant", client=client)
    page = client.get(reverse("admin:connector_akeneoconnection_change", args=[profile.connection.pk]))
    assert reverse("admin:connector_eventsubscription_change", args=[subscription.pk]) in page.text
    answer = client.post(
        reverse("admin:connector_eventsubscription_subscribe", args=[subscription.pk]), follow=True
    )
    assert "Subscribed" in answer.text
    page = client.get(reverse("admin:connector_eventsubscription_change", args=[subscription.pk]))
    assert "Active" in page.text and f"/events/akeneo/{subscription.token}/" in page.text
    for secret in (subscription.signing_secret, subscription.notification_secret):
        assert secret not in page.text
    platform = pim.events.subscriptions[subscription.subscription_id]
    assert platform["config"]["url"].endswith(f"/events/akeneo/{subscription.token}/")
    assert platform["send_product_identifier"] is True
    assert len(pim.events.subscriptions) == 1  # updated in place, not subscribed twice

    pim.events.suspend(subscription.subscription_id, "system", "Success rate dropped below 90%")
    subscription.refresh_from_db()
    assert subscription.status == EventSubscription.Status.SUSPENDED
    page = client.get(reverse("admin:connector_eventsubscription_change", args=[subscription.pk]))
    assert "below 90%" in page.text


def test_the_dashboard_shows_the_lag_the_events_per_hour_and_the_last_reconciliation(pim, profile, client):
    (product_uuid, _), *_ = simple_products(pim, 1)
    with profile.connection.client() as pim_client:
        rename(pim_client, product_uuid, "Waiting")
    pim.events.deliver()
    staff_user("Operator", client=client)

    def panel() -> str:
        page = client.get(reverse("admin:dashboard"))
        assert page.status_code == 200
        return page.text[page.text.index('id="event-panel"') :]

    waiting = panel()
    assert '<td class="events-last-hour">1</td>' in waiting
    assert "none waiting" not in waiting and "since" in waiting
    assert "not run yet" in waiting and "Active" in waiting

    cycle(profile)
    scheduled_export(profile.pk, "reconcile")
    caught_up = panel()
    assert "none waiting" in caught_up
    assert "events had missed 0 products, 0 models, 0 removals" in caught_up


def test_badly_signed_events_from_the_platform_get_401_are_retried_then_dropped(pim, profile):
    (product_uuid, _), *_ = simple_products(pim, 1)
    pim.events.faults.bad_signature()
    with profile.connection.client() as client:
        rename(client, product_uuid, "Signed wrongly")
    statuses = [status for _ in range(4) for status in pim.events.deliver().statuses]
    # The platform's first attempt and its three retries, each refused; then the event is dropped.
    assert statuses == [401, 401, 401, 401]
    assert len(pim.events.dropped) == 1 and pim.events.pending() == 0
    assert PimEvent.objects.count() == 0


def test_the_sandbox_platform_refuses_calls_without_the_pims_token(pim, profile):
    import requests

    url = f"{pim.base_url}/event-platform/api/v1/subscribers"
    assert requests.get(url, timeout=10).status_code == 401
    headers = {"X-PIM-URL": pim.base_url, "X-PIM-CLIENT-ID": "sandbox_client", "X-PIM-TOKEN": "forged"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 401
    with profile.connection.client() as client:
        headers["X-PIM-TOKEN"] = client.access_token()
    listed = requests.get(url, headers=headers, timeout=10)
    assert listed.status_code == 200 and len(listed.json()) == 1
    subscriber = listed.json()[0]["id"]
    subscriptions = requests.get(f"{url}/{subscriber}/subscriptions", headers=headers, timeout=10).json()
    assert subscriptions[0]["config"]["secret"] == {"primary": "***redacted***"}
    refused = requests.post(
        f"{url}/{subscriber}/subscriptions", json={"events": []}, headers=headers, timeout=10
    )
    assert refused.status_code == 422 and "events" in refused.json()["message"]
