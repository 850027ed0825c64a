"""Subscribing a connection to the PIM's events: one subscriber and one HTTPS subscription on
Akeneo's Event Platform, created or brought up to date, and their state read back.

The admin's buttons and any command call these. Network calls happen before anything is saved,
never inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .akeneo import AkeneoError
from .akeneo.event_platform import EventPlatformClient
from .models import EventSubscription
from .models.events import SUBSCRIBED_EVENTS


class SubscriptionProblem(Exception):
    """Why the subscription could not be made or read, in words a consultant can act on."""


@dataclass(frozen=True)
class Addresses:
    events: str
    notifications: str


def addresses(subscription: EventSubscription) -> Addresses:
    base = settings.SITE_URL.rstrip("/")
    return Addresses(
        events=base + reverse("akeneo-event", args=[subscription.token]),
        notifications=base + reverse("akeneo-event-notification", args=[subscription.token]),
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_addresses(found: Addresses) -> None:
    """The platform posts only to public HTTPS addresses; a loopback address is allowed for the
    sandbox PIM, which posts from this machine."""
    parts = urlsplit(found.events)
    if parts.scheme != "https" and not _loopback(parts.hostname or ""):
        raise SubscriptionProblem(
            f"Events would be sent to {parts.scheme}://{parts.netloc}, but the Event Platform posts "
            "only to HTTPS addresses: set SITE_URL to this application's public https:// address."
        )


def _platform(subscription: EventSubscription, pim) -> EventPlatformClient:
    connection = subscription.connection
    return EventPlatformClient(
        subscription.platform_url,
        pim_url=connection.base_url,
        client_id=connection.client_id,
        access_token=pim.access_token,
    )


def _subscriber_body(subscription: EventSubscription, found: Addresses) -> dict:
    return {
        "name": f"Akeneo connector: {subscription.connection.name}"[:100],
        "contact": {
            "technical_email": subscription.technical_email,
            "notification_channels": ["email", "webhook"],
            "notification_webhook_url": found.notifications,
            "notification_webhook_secret": subscription.notification_secret,
        },
    }


def _subscription_body(subscription: EventSubscription, found: Addresses) -> dict:
    secret = {"primary": subscription.signing_secret}
    if subscription.previous_signing_secret:
        secret["secondary"] = subscription.previous_signing_secret
    return {
        "source": "pim",
        "subject": subscription.connection.base_url.rstrip("/"),
        "events": list(SUBSCRIBED_EVENTS),
        "type": "https",
        # Deletion events then name the identifier too: items exported before uuids were kept
        # are still found in the ledger.
        "send_product_identifier": True,
        "config": {"url": found.events, "secret": secret},
        "filter": subscription.event_filter,
    }


def _create_or_update(existing_id: str, update, create) -> dict:
    if existing_id:
        try:
            return update(existing_id)
        except AkeneoError as exc:
            if exc.status != 404:
                raise
    return create()


def subscribe(subscription: EventSubscription) -> str:
    """Create or update the subscriber and its subscription; resume it if it was suspended."""
    found = addresses(subscription)
    check_addresses(found)
    try:
        with (
            subscription.connection.client(interactive=True) as pim,
            _platform(subscription, pim) as platform,
        ):
            subscriber = _create_or_update(
                subscription.subscriber_id,
                lambda known: platform.update_subscriber(known, _subscriber_body(subscription, found)),
                lambda: platform.create_subscriber(_subscriber_body(subscription, found)),
            )
            subscriber_id = str(subscriber["id"])
            body = _subscription_body(subscription, found)
            known_subscription = (
                subscription.subscription_id if subscriber_id == subscription.subscriber_id else ""
            )
            state = _create_or_update(
                known_subscription,
                lambda known: platform.update_subscription(subscriber_id, known, body),
                lambda: platform.create_subscription(subscriber_id, body),
            )
            if state.get("status") == EventSubscription.Status.SUSPENDED:
                state = platform.resume(subscriber_id, str(state["id"]))
    except AkeneoError as exc:
        raise SubscriptionProblem(exc.message) from None
    _save_state(subscription, state, subscriber_id=subscriber_id, subscription_id=str(state["id"]))
    return (
        f"Subscribed: the PIM sends {len(SUBSCRIBED_EVENTS)} kinds of product and product model "
        f"events to {found.events}. The subscription is {subscription.get_status_display().lower()}; "
        "Akeneo may take a few minutes to start sending."
    )


def refresh_state(subscription: EventSubscription) -> str:
    """Ask the platform what state the subscription is in now."""
    if not (subscription.subscriber_id and subscription.subscription_id):
        raise SubscriptionProblem("Not subscribed yet: subscribe first.")
    try:
        with (
            subscription.connection.client(interactive=True) as pim,
            _platform(subscription, pim) as platform,
        ):
            state = platform.subscription(subscription.subscriber_id, subscription.subscription_id)
    except AkeneoError as exc:
        raise SubscriptionProblem(exc.message) from None
    _save_state(subscription, state)
    return f"The Event Platform says the subscription is {subscription.get_status_display().lower()}."


def _save_state(subscription: EventSubscription, state: dict, **ids: str) -> None:
    status = str(state.get("status") or "")
    subscription.status = status if status in EventSubscription.Status.values else ""
    subscription.status_reason = "" if status == EventSubscription.Status.ACTIVE else status
    subscription.status_checked_at = timezone.now()
    for name, value in ids.items():
        setattr(subscription, name, value)
    subscription.save(update_fields=["status", "status_reason", "status_checked_at", *ids])
