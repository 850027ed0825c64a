"""What the Event Platform posts to us: events and notifications, checked and stored, nothing more.

The platform wants an answer within 5 seconds and suspends a subscriber that fails 10 % of an
hour's deliveries, so a request here never calls the PIM or exports: it verifies the signature
(HMAC-SHA256 of the raw body, hex), stores one row and answers. The body is someone else's: its
size is bounded before it is read, and nothing unsigned is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from .models import EventNotification, EventSubscription, PimEvent
from .models.events import SUBSCRIBED_EVENTS

logger = logging.getLogger(__name__)

PRIMARY = "X-AKENEO-SIGNATURE-PRIMARY"
SECONDARY = "X-AKENEO-SIGNATURE-SECONDARY"
NOTIFICATION_TYPES = {
    "subscription.suspended.system": EventSubscription.Status.SUSPENDED,
    "subscription.suspended.user": EventSubscription.Status.SUSPENDED,
    "subscription.revoked": EventSubscription.Status.REVOKED,
    "subscription.resumed": EventSubscription.Status.ACTIVE,
}


@dataclass(frozen=True)
class Answer:
    status: int
    message: str


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.answer = Answer(status, message)


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_by(body: bytes, given: list[str], secrets: list[str]) -> bool:
    """Any given signature made with any of our secrets (rotation: the old one still counts)."""
    expected = [signature(secret, body) for secret in secrets]
    return any(
        hmac.compare_digest(candidate.strip().lower(), wanted)
        for candidate in given
        if candidate
        for wanted in expected
    )


def subscription_of(token: str) -> EventSubscription:
    subscription = (
        EventSubscription.objects.filter(token=token)
        .only(
            "pk",
            "connection_id",
            "signing_secret",
            "previous_signing_secret",
            "notification_secret",
            "status",
        )
        .first()
    )
    if subscription is None:
        raise Refused(404, "No PIM event subscription has this address.")
    return subscription


def checked_body(body: bytes) -> None:
    if len(body) > settings.AKENEO_EVENT_MAX_BYTES:
        raise Refused(413, f"An event is at most {settings.AKENEO_EVENT_MAX_BYTES} bytes.")


def _parsed(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "The body is not JSON.") from None
    if not isinstance(document, dict):
        raise Refused(400, "The body is not a JSON object.")
    return document


def _text(value, what: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise Refused(400, f"'{what}' must be a text of at most {limit} characters.")
    return value


def _moment(value, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value, what, 40).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, f"'{what}' is not an RFC 3339 date.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_row(connection_id: int, document: dict, received_at: datetime) -> PimEvent | None:
    """The row for a CloudEvent, or None for an event type no export reads."""
    event_type = _text(document.get("type"), "type", 80)
    if event_type not in SUBSCRIBED_EVENTS:
        return None
    data = document.get("data")
    if not isinstance(data, dict):
        raise Refused(400, "'data' must be an object.")
    product, model = data.get("product"), data.get("product_model")
    product_uuid = identifier = code = ""
    if ".product-model." in event_type:
        if not isinstance(model, dict):
            raise Refused(400, "A product model event names its model in 'data.product_model'.")
        code = _text(model.get("code"), "data.product_model.code", 255)
    else:
        if not isinstance(product, dict):
            raise Refused(400, "A product event names its product in 'data.product'.")
        product_uuid = _text(product.get("uuid"), "data.product.uuid", 36)
        try:
            product_uuid = str(uuid.UUID(product_uuid))
        except ValueError:
            raise Refused(400, "'data.product.uuid' is not a uuid.") from None
        identifier = _text(product.get("identifier"), "data.product.identifier", 255, required=False)
    author = data.get("author") if isinstance(data.get("author"), dict) else {}
    return PimEvent(
        connection_id=connection_id,
        event_id=_text(document.get("id"), "id", 64),
        type=event_type,
        time=_moment(document.get("time"), "time"),
        received_at=received_at,
        product_uuid=product_uuid,
        product_identifier=identifier,
        model_code=code,
        author_type=str(author.get("type") or "")[:30],
    )


def receive_event(token: str, body: bytes, headers) -> Answer:
    """Store one signed event; the same event again (at least once delivery) changes nothing."""
    try:
        checked_body(body)
        subscription = subscription_of(token)
        if not signed_by(body, [headers.get(PRIMARY, ""), headers.get(SECONDARY, "")], subscription.secrets):
            raise Refused(401, "The event's signature does not match the subscription's secrets.")
        row = event_row(subscription.connection_id, _parsed(body), timezone.now())
    except Refused as refused:
        return refused.answer
    if row is None:
        return Answer(200, "Not an event the exports read; ignored.")
    PimEvent.objects.bulk_create([row], ignore_conflicts=True)
    return Answer(200, "Stored.")


def receive_notification(token: str, body: bytes, headers) -> Answer:
    """The platform changed the subscription's status: record it, and raise the alarm unless it
    resumed."""
    try:
        checked_body(body)
        subscription = subscription_of(token)
        if not signed_by(body, [headers.get(PRIMARY, "")], [subscription.notification_secret]):
            raise Refused(401, "The notification's signature does not match the notification secret.")
        document = _parsed(body)
        kind = _text(document.get("notification_type"), "notification_type", 60)
        if kind not in NOTIFICATION_TYPES:
            raise Refused(400, f"Unknown notification type '{kind}'.")
        sent_at = _moment(document["timestamp"], "timestamp") if document.get("timestamp") else None
        reason = _text(document.get("reason"), "reason", 2000, required=False)
        subscription_id = _text(document.get("subscription_id"), "subscription_id", 64, required=False)
    except Refused as refused:
        return refused.answer
    now = timezone.now()
    notification = EventNotification.objects.create(
        connection_id=subscription.connection_id,
        notification_type=kind,
        subscription_id=subscription_id,
        reason=reason,
        sent_at=sent_at,
        received_at=now,
    )
    EventSubscription.objects.filter(pk=subscription.pk).update(
        status=NOTIFICATION_TYPES[kind], status_reason=reason or kind, status_checked_at=now
    )
    if notification.is_problem:
        from django_q.tasks import async_task

        # Mailed by a worker: an SMTP server's delay must not make the platform's call time out.
        async_task("connector.event_alerts.mail_notification", notification.pk)
        logger.warning("The Event Platform says %s for connection #%s", kind, subscription.connection_id)
    return Answer(200, "Recorded.")
