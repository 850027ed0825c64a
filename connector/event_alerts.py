"""A suspended or revoked subscription means changes no longer reach SFCC within minutes: it is
mailed like a failed run, to the subscription's and the connection's contacts."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from .emails import send_alert, split_emails
from .models import EventNotification, EventSubscription


def notification_recipients(subscription: EventSubscription) -> list[str]:
    contacts = [
        *split_emails(subscription.alert_emails or ""),
        *split_emails(subscription.connection.alert_emails or ""),
        *split_emails(settings.RUN_ALERT_EMAILS),
    ]
    return list(dict.fromkeys(contacts))


def mail_notification(notification_id: int) -> bool:
    notification = EventNotification.objects.filter(pk=notification_id).first()
    subscription = (
        EventSubscription.objects.select_related("connection")
        .filter(connection_id=getattr(notification, "connection_id", None))
        .first()
    )
    if notification is None or subscription is None or not notification.is_problem:
        return False
    to = notification_recipients(subscription)
    if not to:
        return False
    connection = subscription.connection
    link = settings.SITE_URL.rstrip("/") + reverse(
        "admin:connector_akeneoconnection_change", args=[connection.pk]
    )
    what = notification.get_kind_display()
    subject = f"[Akeneo connector] PIM events {what}: {connection}"
    body = (
        f"Akeneo's Event Platform says the event subscription of {connection} is {what} "
        f"({notification.notification_type}).\n\nReason: {notification.reason or 'not given'}\n\n"
        "Until it is active again, PIM changes reach SFCC only through the scheduled exports and the "
        "nightly reconciliation.\n\n"
        f"Subscription and its state: {link}\n"
    )
    return send_alert(subject, body, to, f"event notification #{notification.pk}")
