"""The Event Platform's addresses, through a real socket (live_server): signed events stored once,
everything else refused with a reason and nothing stored; notifications recorded and mailed."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from django.core import mail

from connector.event_receiver import signature
from connector.models import AkeneoConnection, EventNotification, EventSubscription, PimEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def subscription():
    connection = AkeneoConnection.objects.create(
        name="pim",
        base_url="https://pim.example.com",
        client_id="c",
        secret="s",
        username="u",
        password="p",
        alert_emails="pim-team@example.com",
    )
    return EventSubscription.objects.create(
        connection=connection, technical_email="tech@example.com", alert_emails="events@example.com"
    )


def event(product_uuid: str | None = None, *, event_id: str | None = None, kind="product.updated") -> dict:
    data = (
        {"product_model": {"code": "jacket"}}
        if "product-model" in kind
        else {"product": {"uuid": product_uuid or str(uuid.uuid4()), "identifier": "sku-1"}}
    )
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "akeneo-event-platform",
        "type": f"com.akeneo.pim.v1.{kind}",
        "subject": "sub-1",
        "time": "2026-12-02T10:00:00Z",
        "data": {**data, "author": {"identifier": "someone", "type": "api"}},
    }


def post(url: str, body: bytes, secret: str | None, header="X-AKENEO-SIGNATURE-PRIMARY"):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[header] = signature(secret, body)
    return requests.post(url, data=body, headers=headers, timeout=10)


def address(live_server, subscription, suffix="") -> str:
    return f"{live_server.url}/events/akeneo/{subscription.token}/{suffix}"


def test_a_signed_event_is_stored_once_however_often_it_comes(live_server, subscription):
    body = json.dumps(event(event_id="evt-1")).encode()
    for _ in range(3):  # at least once: the platform may send it again
        answer = post(address(live_server, subscription), body, subscription.signing_secret)
        assert answer.status_code == 200, answer.text
    stored = PimEvent.objects.get()
    assert (stored.event_id, stored.type, stored.product_identifier) == (
        "evt-1",
        "com.akeneo.pim.v1.product.updated",
        "sku-1",
    )
    assert stored.time.isoformat() == "2026-12-02T10:00:00+00:00"


def test_the_previous_secret_still_signs_while_a_new_one_takes_over(live_server, subscription):
    subscription.previous_signing_secret = "the-old-secret-of-this-subscription"
    subscription.save()
    body = json.dumps(event()).encode()
    answer = post(
        address(live_server, subscription),
        body,
        "the-old-secret-of-this-subscription",
        header="X-AKENEO-SIGNATURE-SECONDARY",
    )
    assert answer.status_code == 200
    assert PimEvent.objects.count() == 1


def test_a_bad_signature_gets_401_and_stores_nothing(live_server, subscription):
    body = json.dumps(event()).encode()
    for secret in (None, "not-the-secret"):
        answer = post(address(live_server, subscription), body, secret)
        assert answer.status_code == 401
        assert "signature" in answer.json()["message"]
    # Signed, then changed on the way: the signature no longer matches.
    signed = signature(subscription.signing_secret, body)
    tampered = body.replace(b"sku-1", b"sku-2")
    answer = requests.post(
        address(live_server, subscription),
        data=tampered,
        headers={"X-AKENEO-SIGNATURE-PRIMARY": signed},
        timeout=10,
    )
    assert answer.status_code == 401
    assert PimEvent.objects.count() == 0


def test_hostile_requests_get_a_reason_and_store_nothing(live_server, subscription, settings):
    url = address(live_server, subscription)
    secret = subscription.signing_secret
    assert post(f"{live_server.url}/events/akeneo/no-such-token/", b"{}", secret).status_code == 404
    assert post(url, b"not json", secret).status_code == 400
    assert post(url, b"[1, 2]", secret).status_code == 400
    broken = event()
    broken["data"]["product"]["uuid"] = "../../etc/passwd"
    assert post(url, json.dumps(broken).encode(), secret).status_code == 400
    late = event()
    late["time"] = "yesterday"
    assert post(url, json.dumps(late).encode(), secret).status_code == 400
    huge = json.dumps({**event(), "padding": "x" * settings.AKENEO_EVENT_MAX_BYTES}).encode()
    answer = post(url, huge, secret)
    assert answer.status_code == 413 and "at most" in answer.json()["message"]
    assert requests.get(url, timeout=10).status_code == 405
    # A kind of event no export reads: acknowledged (or the platform counts failures), not stored.
    other = {**event(), "type": "com.akeneo.pim.v1.category.updated"}
    assert post(url, json.dumps(other).encode(), secret).status_code == 200
    assert PimEvent.objects.count() == 0


def test_model_and_deletion_events_keep_what_they_name(live_server, subscription):
    url = address(live_server, subscription)
    gone = str(uuid.uuid4())
    for document in (event(gone, kind="product.deleted"), event(kind="product-model.updated")):
        assert post(url, json.dumps(document).encode(), subscription.signing_secret).status_code == 200
    deleted = PimEvent.objects.get(type__endswith="product.deleted")
    assert deleted.deleted and deleted.product_uuid == gone
    assert PimEvent.objects.get(type__endswith="product-model.updated").model_code == "jacket"


def test_a_suspension_notice_is_recorded_and_mailed_and_a_resume_clears_it(live_server, subscription):
    url = address(live_server, subscription, "notifications/")
    notice = {
        "notification_type": "subscription.suspended.system",
        "timestamp": "2026-12-02T12:34:56Z",
        "subscription_id": "sub-1",
        "subscriber_id": "subscriber-1",
        "destination": "https://example.com/events",
        "events": ["com.akeneo.pim.v1.product.updated"],
        "reason": "Success rate dropped below 90%",
        "subject": "https://pim.example.com",
    }
    body = json.dumps(notice).encode()
    assert post(url, body, subscription.signing_secret).status_code == 401  # not the notification secret
    assert post(url, body, subscription.notification_secret).status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == EventSubscription.Status.SUSPENDED
    assert subscription.status_reason == "Success rate dropped below 90%"
    assert EventNotification.objects.get().is_problem
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "suspended by Akeneo" in sent.subject and "below 90%" in sent.body
    assert set(sent.to) == {"events@example.com", "pim-team@example.com"}
    assert subscription.notification_secret not in sent.body

    resumed = json.dumps({**notice, "notification_type": "subscription.resumed", "reason": ""}).encode()
    assert post(url, resumed, subscription.notification_secret).status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == EventSubscription.Status.ACTIVE
    assert len(mail.outbox) == 1  # a resume is good news: no alarm
