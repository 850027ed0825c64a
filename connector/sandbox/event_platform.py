"""The sandbox's Akeneo Event Platform: subscribers and subscriptions (the management API, under
``/event-platform/api/v1``), and signed CloudEvents posted to each subscription's URL when the
sandbox's products and product models change.

Delivery is explicit, so tests know when it happened: ``deliver()`` posts everything queued from
the calling thread (``start_delivery`` does it every half second for the demo). As on the real
platform an event that is not answered 2xx is tried again at the next delivery and dropped after
four attempts, a 404 or a redirect suspends the subscription, and events emitted while a
subscription is suspended are lost. ``faults`` sends events twice, in reverse order, not at all,
or badly signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from .protocol import ApiError, Reply, Request, empty_reply, json_reply, parse_json

PREFIX = "/event-platform/api/v1"
EVENT_TYPES = {
    f"com.akeneo.pim.v1.{entity}.{change}"
    for entity in ("product", "product-model")
    for change in ("created", "updated", "deleted", "updated.delta")
}
MAX_ATTEMPTS = 4  # the first try and the platform's three retries (5, 10 and 20 minutes later)
MAX_SUBSCRIBERS = MAX_SUBSCRIPTIONS = 20
REDACTED = "***redacted***"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Outgoing:
    subscription_id: str
    event: dict
    attempts: int = 0
    bad_signature: bool = False


@dataclass
class DeliveryReport:
    sent: list[tuple[str, str, int | str]] = field(default_factory=list)  # (event id, type, status)
    dropped: list[dict] = field(default_factory=list)

    @property
    def statuses(self) -> list[int | str]:
        return [status for _, _, status in self.sent]


class EventFaults:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.duplicates: int | None = 0  # None: every event
        self.reversed = False
        self.drop_count = 0
        self.drop_keys: set[str] = set()
        self.bad_signatures = 0

    def duplicate(self, count: int | None = None) -> None:
        """The next ``count`` events (all when None) are sent twice."""
        self.duplicates = count

    def reorder(self) -> None:
        """Each delivery sends its queue last first."""
        self.reversed = True

    def drop(self, count: int | None = None, *, uuid: str | None = None, code: str | None = None) -> None:
        """Events of that product or model, or the next ``count`` events, are never sent."""
        if uuid or code:
            self.drop_keys.add(uuid or code)
        else:
            self.drop_count = count or 1

    def bad_signature(self, count: int = 1) -> None:
        self.bad_signatures = count

    def describe(self) -> dict:
        return {
            "duplicate": self.duplicates,
            "reorder": self.reversed,
            "drop": self.drop_count,
            "drop_keys": sorted(self.drop_keys),
            "bad_signature": self.bad_signatures,
        }


class EventPlatform:
    def __init__(self, check_token: Callable[[str], None], client_id: Callable[[], str]):
        self._check_token = check_token
        self._client_id = client_id
        self.lock = threading.RLock()
        self.subscribers: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}  # id → subscription, with its secrets
        self.notification_secrets: dict[str, str] = {}
        self.outbox: list[Outgoing] = []
        self.delivered: list[dict] = []
        self.dropped: list[dict] = []
        self.notifications: list[tuple[str, int | str]] = []  # (notification type, answer)
        self.emitted = 0
        self.faults = EventFaults()
        self._session = requests.Session()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # emission ------------------------------------------------------------------------------
    def emit(self, entity: str, change: str, **names: Any) -> None:
        """The sandbox changed a product (``uuid``, ``identifier``) or a model (``code``)."""
        event_type = f"com.akeneo.pim.v1.{entity}.{change}"
        with self.lock:
            for subscription in self.subscriptions.values():
                if subscription["status"] != "active" or event_type not in subscription["events"]:
                    continue
                if entity == "product":
                    subject = {"uuid": names["uuid"]}
                    if subscription.get("send_product_identifier") and names.get("identifier"):
                        subject["identifier"] = names["identifier"]
                    data = {"product": subject}
                else:
                    data = {"product_model": {"code": names["code"]}}
                data["author"] = {"identifier": self._client_id(), "type": "api"}
                event = {
                    "specversion": "1.0",
                    "id": str(uuid.uuid4()),
                    "source": "akeneo-event-platform",
                    "type": event_type,
                    "subject": subscription["id"],
                    "datacontenttype": "application/json",
                    "dataschema": f"https://event.prd.sdk.akeneo.cloud/spec/{event_type}.schema.json",
                    "time": _now(),
                    "data": data,
                }
                self.emitted += 1
                self.outbox.append(Outgoing(subscription["id"], event))

    def pending(self) -> int:
        with self.lock:
            return len(self.outbox)

    # delivery ------------------------------------------------------------------------------
    def _take(self, report: DeliveryReport) -> list[Outgoing]:
        with self.lock:
            queue, self.outbox = self.outbox, []
            faults = self.faults
            batch = []
            for item in queue:
                names = item.event["data"].get("product") or item.event["data"].get("product_model") or {}
                key = names.get("uuid") or names.get("code")
                if item.attempts == 0 and (key in faults.drop_keys or faults.drop_count):
                    faults.drop_count = max(0, faults.drop_count - 1) if key not in faults.drop_keys else 0
                    self.dropped.append(item.event)
                    report.dropped.append(item.event)
                    continue
                if item.attempts == 0 and faults.bad_signatures:
                    faults.bad_signatures -= 1
                    item.bad_signature = True
                batch.append(item)
                if item.attempts == 0 and (faults.duplicates is None or faults.duplicates > 0):
                    if faults.duplicates is not None:
                        faults.duplicates -= 1
                    batch.append(Outgoing(item.subscription_id, item.event, bad_signature=item.bad_signature))
            if faults.reversed:
                batch.reverse()
            return batch

    def deliver(self) -> DeliveryReport:
        """Post everything queued now, one event per request; never with the catalog locked."""
        report = DeliveryReport()
        retry = []
        for item in self._take(report):
            subscription = self.subscriptions.get(item.subscription_id)
            if subscription is None or subscription["status"] != "active":
                continue  # lost, as on the platform
            status = self._post_event(subscription, item)
            report.sent.append((item.event["id"], item.event["type"], status))
            if isinstance(status, int) and 200 <= status < 300:
                with self.lock:
                    self.delivered.append(item.event)
                continue
            if status == 404 or (isinstance(status, int) and 300 <= status < 400):
                self.suspend(item.subscription_id, "system", f"The endpoint answered {status}.")
            item.attempts += 1
            if item.attempts >= MAX_ATTEMPTS:
                with self.lock:
                    self.dropped.append(item.event)
                report.dropped.append(item.event)
            else:
                retry.append(item)
        with self.lock:
            self.outbox[:0] = retry
        return report

    def _post_event(self, subscription: dict, item: Outgoing) -> int | str:
        body = json.dumps(item.event).encode()
        secrets = subscription["secrets"]
        primary = "not-the-subscription-secret" if item.bad_signature else secrets["primary"]
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "akeneo/event-platform",
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(primary, body),
        }
        if secrets.get("secondary") and not item.bad_signature:
            headers["X-AKENEO-SIGNATURE-SECONDARY"] = sign(secrets["secondary"], body)
        return self._post(subscription["config"]["url"], body, headers)

    def _post(self, url: str, body: bytes, headers: dict) -> int | str:
        try:
            return self._session.post(
                url, data=body, headers=headers, timeout=5, allow_redirects=False
            ).status_code
        except requests.RequestException as exc:
            return type(exc).__name__

    def start_delivery(self, interval: float = 0.5) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.deliver()

        self._thread = threading.Thread(target=loop, name="sandbox-events", daemon=True)
        self._thread.start()

    def stop_delivery(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None

    # status changes --------------------------------------------------------------------------
    def suspend(self, subscription_id: str, by: str = "user", reason: str = "") -> None:
        self._change(subscription_id, "suspended", f"subscription.suspended.{by}", reason)

    def resume(self, subscription_id: str) -> None:
        self._change(subscription_id, "active", "subscription.resumed", "")

    def revoke(self, subscription_id: str) -> None:
        self._change(subscription_id, "revoked", "subscription.revoked", "The connection was removed.")

    def _change(self, subscription_id: str, status: str, notification: str, reason: str) -> None:
        """The status changes, then the subscriber is told (synchronously: done when this returns)."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            if subscription["status"] == status:
                return
            subscription["status"] = status
            subscription["updated_at"] = _now()
            subscriber = self.subscribers[subscription["subscriber_id"]]
        contact = subscriber["contact"]
        if "webhook" not in (contact.get("notification_channels") or []):
            return
        body = json.dumps(
            {
                "notification_type": notification,
                "timestamp": _now(),
                "subscription_id": subscription_id,
                "subscriber_id": subscriber["id"],
                "destination": subscription["config"]["url"],
                "events": subscription["events"],
                "reason": reason,
                "subject": subscriber["subject"],
            }
        ).encode()
        secret = self.notification_secrets[subscriber["id"]]
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "akeneo/event-platform",
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(secret, body),
        }
        answer = self._post(contact["notification_webhook_url"], body, headers)
        with self.lock:
            self.notifications.append((notification, answer))

    # management API ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        headers = request.headers
        if not headers.get("X-PIM-URL") or headers.get("X-PIM-CLIENT-ID") != self._client_id():
            raise ApiError(401, "X-PIM-URL and X-PIM-CLIENT-ID must name this PIM and its connection.")
        self._check_token(f"Bearer {headers.get('X-PIM-TOKEN') or ''}")
        parts = [part for part in request.path[len(PREFIX) :].split("/") if part]
        method = request.method
        body = parse_json(request.body) if request.body else {}
        if request.body and not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object.")
        if parts[:1] != ["subscribers"]:
            raise ApiError(404, f'No route found for "{method} {request.path}"')
        if len(parts) == 1:
            if method == "GET":
                return json_reply(200, [self._public_subscriber(s) for s in self.subscribers.values()])
            if method == "POST":
                return json_reply(201, self._create_subscriber(body, headers.get("X-PIM-URL")))
        subscriber = self.subscribers.get(parts[1]) if len(parts) > 1 else None
        if subscriber is None or subscriber["status"] == "deleted":
            raise ApiError(404, "Subscriber not found.")
        if len(parts) == 2:
            return self._subscriber_route(method, subscriber, body)
        if parts[2] != "subscriptions":
            raise ApiError(404, f'No route found for "{method} {request.path}"')
        if len(parts) == 3:
            if method == "GET":
                return json_reply(200, [self._public(s) for s in self._subscriptions_of(subscriber["id"])])
            if method == "POST":
                return json_reply(201, self._create_subscription(subscriber, body))
        subscription = self.subscriptions.get(parts[3]) if len(parts) > 3 else None
        if subscription is None or subscription["subscriber_id"] != subscriber["id"]:
            raise ApiError(404, "Subscription not found.")
        if len(parts) == 5 and method == "POST" and parts[4] in ("suspend", "resume"):
            if parts[4] == "suspend":
                self.suspend(subscription["id"], "user", "Suspended through the API.")
            else:
                self.resume(subscription["id"])
            return json_reply(200, self._public(subscription))
        if len(parts) == 4:
            if method == "GET":
                return json_reply(200, self._public(subscription))
            if method == "PATCH":
                self._update_subscription(subscription, body)
                return json_reply(200, self._public(subscription))
            if method == "DELETE":
                subscription["status"] = "deleted"
                return empty_reply(204)
        raise ApiError(405, f"Method {method} is not allowed here.")

    def _subscriber_route(self, method: str, subscriber: dict, body: dict) -> Reply:
        if method == "GET":
            return json_reply(200, self._public_subscriber(subscriber))
        if method == "PATCH":
            self._apply_subscriber(subscriber, body, partial=True)
            return json_reply(200, self._public_subscriber(subscriber))
        if method == "DELETE":
            subscriber["status"] = "deleted"
            for subscription in self._subscriptions_of(subscriber["id"]):
                subscription["status"] = "deleted"
            return empty_reply(204)
        raise ApiError(405, f"Method {method} is not allowed here.")

    def _subscriptions_of(self, subscriber_id: str) -> list[dict]:
        return [
            s
            for s in self.subscriptions.values()
            if s["subscriber_id"] == subscriber_id and s["status"] != "deleted"
        ]

    def _create_subscriber(self, body: dict, subject: str) -> dict:
        live = [s for s in self.subscribers.values() if s["status"] != "deleted"]
        if len(live) >= MAX_SUBSCRIBERS:
            raise ApiError(422, f"A PIM has at most {MAX_SUBSCRIBERS} subscribers.")
        subscriber = {"id": str(uuid.uuid4()), "subject": subject, "status": "active", "created_at": _now()}
        self._apply_subscriber(subscriber, body, partial=False)
        self.subscribers[subscriber["id"]] = subscriber
        return self._public_subscriber(subscriber)

    def _apply_subscriber(self, subscriber: dict, body: dict, *, partial: bool) -> None:
        name = body.get("name", subscriber.get("name"))
        contact = {**subscriber.get("contact", {}), **(body.get("contact") or {})}
        if not isinstance(name, str) or not name:
            raise ApiError(422, "name: this value is required.")
        if not contact.get("technical_email"):
            raise ApiError(422, "contact.technical_email: this value is required.")
        channels = contact.get("notification_channels") or ["email"]
        secret = contact.pop("notification_webhook_secret", None)
        if "webhook" in channels:
            if not contact.get("notification_webhook_url"):
                raise ApiError(422, "contact.notification_webhook_url: required with the webhook channel.")
            secret = secret or self.notification_secrets.get(subscriber["id"])
            if not isinstance(secret, str) or not 16 <= len(secret) <= 256:
                raise ApiError(422, "contact.notification_webhook_secret: 16 to 256 characters.")
            self.notification_secrets[subscriber["id"]] = secret
        subscriber.update(
            name=name, contact={**contact, "notification_channels": channels}, updated_at=_now()
        )

    @staticmethod
    def _public_subscriber(subscriber: dict) -> dict:
        return dict(subscriber)

    def _create_subscription(self, subscriber: dict, body: dict) -> dict:
        if len(self._subscriptions_of(subscriber["id"])) >= MAX_SUBSCRIPTIONS:
            raise ApiError(422, f"A subscriber has at most {MAX_SUBSCRIPTIONS} subscriptions.")
        subscription = {
            "id": str(uuid.uuid4()),
            "subscriber_id": subscriber["id"],
            "source": body.get("source", "pim"),
            "subject": body.get("subject") or subscriber["subject"],
            "status": "active",
            "created_at": _now(),
            "secrets": {},
        }
        self._update_subscription(
            subscription, {"send_product_identifier": False, "filter": "", **body}, new=True
        )
        with self.lock:
            self.subscriptions[subscription["id"]] = subscription
        return self._public(subscription)

    def _update_subscription(self, subscription: dict, body: dict, *, new: bool = False) -> None:
        events = body.get("events", subscription.get("events"))
        if not isinstance(events, list) or not events or not set(events) <= EVENT_TYPES:
            raise ApiError(422, "events: a non-empty list of known event types.")
        kind = body.get("type", subscription.get("type", "https"))
        if kind != "https":
            raise ApiError(422, "type: the sandbox has only https subscriptions (no pubsub or kafka).")
        config = {**subscription.get("config", {}), **(body.get("config") or {})}
        secret = config.pop("secret", None)
        if secret is not None:
            if not isinstance(secret, dict) or not secret.get("primary"):
                raise ApiError(422, "config.secret.primary: this value is required.")
            subscription["secrets"] = {k: v for k, v in secret.items() if k in ("primary", "secondary") and v}
        if new and not subscription["secrets"]:
            raise ApiError(422, "config.secret.primary: this value is required.")
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(422, "config.url: an https URL.")
        event_filter = body.get("filter", subscription.get("filter", ""))
        if not isinstance(event_filter, str) or len(event_filter) > 500:
            raise ApiError(422, "filter: at most 500 characters.")
        subscription.update(
            events=list(events),
            type=kind,
            config=config,
            filter=event_filter,
            send_product_identifier=bool(
                body.get("send_product_identifier", subscription.get("send_product_identifier"))
            ),
            updated_at=_now(),
        )

    @staticmethod
    def _public(subscription: dict) -> dict:
        public = {key: value for key, value in subscription.items() if key != "secrets"}
        public["config"] = {
            **subscription["config"],
            "secret": {name: REDACTED for name in subscription["secrets"]},
        }
        return public

    # the demo's control route ------------------------------------------------------------------
    def control(self, request: Request) -> Reply:
        path, method = request.path.rstrip("/"), request.method
        if path == "/_sandbox/events" and method == "GET":
            return json_reply(200, self.describe())
        if path == "/_sandbox/events/deliver" and method == "POST":
            report = self.deliver()
            return json_reply(200, {"sent": len(report.sent), "dropped": len(report.dropped)})
        if path == "/_sandbox/events/faults":
            if method == "DELETE":
                self.faults.clear()
                return json_reply(200, self.faults.describe())
            if method == "POST":
                spec = parse_json(request.body)
                if not isinstance(spec, dict):
                    raise ApiError(400, "Invalid json message received")
                if "duplicate" in spec:
                    self.faults.duplicate(spec["duplicate"])
                if spec.get("reorder"):
                    self.faults.reorder()
                if spec.get("drop"):
                    self.faults.drop(int(spec["drop"]))
                return json_reply(200, self.faults.describe())
        raise ApiError(404, f'No route found for "{method} {request.path}"')

    def describe(self) -> dict:
        with self.lock:
            return {
                "queued": len(self.outbox),
                "emitted": self.emitted,
                "delivered": len(self.delivered),
                "dropped": len(self.dropped),
                "subscriptions": [self._public(s) for s in self.subscriptions.values()],
                "faults": self.faults.describe(),
            }
