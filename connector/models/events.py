"""Akeneo Event Platform: the subscription of a connection, the events it received, the
platform's notifications about it.

Events are stored as they arrive and nothing else happens in the request (the platform wants an
answer within 5 seconds and suspends slow subscribers); exports read them later.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from ..emails import alert_emails_field
from ..secrets import EncryptedTextField
from .connection import AkeneoConnection, http_url_validator

# The events an export needs: what changed, what was created, what is gone.
PRODUCT_EVENTS = (
    "com.akeneo.pim.v1.product.created",
    "com.akeneo.pim.v1.product.updated",
    "com.akeneo.pim.v1.product.deleted",
)
MODEL_EVENTS = (
    "com.akeneo.pim.v1.product-model.created",
    "com.akeneo.pim.v1.product-model.updated",
    "com.akeneo.pim.v1.product-model.deleted",
)
SUBSCRIBED_EVENTS = (*PRODUCT_EVENTS, *MODEL_EVENTS)
# The platform's filter on who made the change (available-filters: user_type).
AUTHOR_TYPES = (
    ("user", "People in the PIM"),
    ("api", "API connections"),
    ("job", "PIM jobs (imports, mass edits, rules)"),
    ("system", "The PIM itself"),
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def default_platform_url() -> str:
    return settings.AKENEO_EVENT_PLATFORM_URL


class EventSubscription(models.Model):
    """How a connection hears of the PIM's changes: a subscriber and one HTTPS subscription on the
    Event Platform, pointed at this application's receiver."""

    class Status(models.TextChoices):
        NONE = "", "Not subscribed"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        DELETED = "deleted", "Deleted"

    connection = models.OneToOneField(
        AkeneoConnection, on_delete=models.CASCADE, related_name="event_subscription"
    )
    # The receiver's address holds this token: it finds the connection without a database scan
    # of secrets, and an address without a valid token is refused before anything is read.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    signing_secret = EncryptedTextField(
        "signing secret",
        default=new_secret,
        help_text="Signs the events (X-AKENEO-SIGNATURE-PRIMARY). Generated; set it only for a "
        "subscription made outside this application.",
    )
    previous_signing_secret = EncryptedTextField(
        "previous signing secret",
        blank=True,
        help_text="Accepted too (X-AKENEO-SIGNATURE-SECONDARY) while a new secret takes over.",
    )
    notification_secret = EncryptedTextField(
        "notification secret",
        default=new_secret,
        help_text="Signs the platform's notifications (suspended, revoked, resumed).",
    )
    platform_url = models.CharField(
        "Event Platform URL",
        max_length=300,
        default=default_platform_url,
        validators=[http_url_validator],
        help_text="Akeneo's Event Platform management API.",
    )
    technical_email = models.EmailField(
        help_text="Akeneo mails this address when the subscription is suspended or revoked."
    )
    ignored_author_types = models.JSONField(
        "ignore changes made by",
        default=list,
        blank=True,
        help_text="Changes by these authors send no event; the nightly reconciliation still finds them.",
    )
    alert_emails = alert_emails_field()
    subscriber_id = models.CharField(max_length=64, blank=True, editable=False)
    subscription_id = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, blank=True, editable=False)
    status_reason = models.TextField(blank=True, editable=False)
    status_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "PIM event subscription"
        permissions = [("subscribe_eventsubscription", "Can subscribe to the PIM's events")]

    def __str__(self) -> str:
        return f"Events of {self.connection}"

    @property
    def secrets(self) -> list[str]:
        return [secret for secret in (self.signing_secret, self.previous_signing_secret) if secret]

    @property
    def event_filter(self) -> str:
        """The platform's filter expression for the ignored authors ("" = every change)."""
        ignored = [code for code, _ in AUTHOR_TYPES if code in (self.ignored_author_types or [])]
        if not ignored:
            return ""
        return "not (user_type in [" + ", ".join(f'"{code}"' for code in ignored) + "])"


class PimEvent(models.Model):
    """One event as the platform sent it, kept until every export that reads events has used it."""

    connection = models.ForeignKey(AkeneoConnection, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64)
    type = models.CharField(max_length=80)
    time = models.DateTimeField(help_text="When the change happened in the PIM.")
    received_at = models.DateTimeField()
    product_uuid = models.CharField(max_length=36, blank=True)
    product_identifier = models.CharField(max_length=255, blank=True)
    model_code = models.CharField(max_length=255, blank=True)
    author_type = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [
            # At least once: the same event again is the same row.
            models.UniqueConstraint(fields=["connection", "event_id"], name="pim_event_once")
        ]
        indexes = [models.Index(fields=["connection", "received_at"], name="pim_event_received")]

    def __str__(self) -> str:
        return f"{self.type} {self.product_uuid or self.model_code}"

    @property
    def deleted(self) -> bool:
        return self.type.endswith(".deleted")


class EventNotification(models.Model):
    """The platform saying it suspended, revoked or resumed a subscription."""

    connection = models.ForeignKey(AkeneoConnection, on_delete=models.CASCADE, related_name="+")
    notification_type = models.CharField(max_length=60)
    subscription_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.notification_type

    @property
    def is_problem(self) -> bool:
        return not self.notification_type.endswith(".resumed")

    def get_kind_display(self) -> str:
        return {
            "subscription.suspended.system": "suspended by Akeneo",
            "subscription.suspended.user": "suspended by a user",
            "subscription.revoked": "revoked",
            "subscription.resumed": "resumed",
        }.get(self.notification_type, self.notification_type)
