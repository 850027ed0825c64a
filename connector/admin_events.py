"""The admin page of a connection's PIM event subscription: set up, subscribe, see its state."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from .admin_history import record
from .admin_secrets import SecretFieldsAdmin
from .event_subscriptions import SubscriptionProblem, addresses, refresh_state, subscribe
from .forms import WriteOnlySecretsForm
from .models import EventNotification, EventSubscription
from .models.events import AUTHOR_TYPES
from .run_views import when_text


class EventSubscriptionForm(WriteOnlySecretsForm):
    write_only = ("signing_secret", "previous_signing_secret", "notification_secret")
    ignored_author_types = forms.MultipleChoiceField(
        label="Ignore changes made by",
        choices=AUTHOR_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their changes send no event; the nightly reconciliation still finds them.",
    )

    class Meta:
        model = EventSubscription
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        for name in ("signing_secret", "notification_secret"):
            # Blank on a new subscription: the generated secret stays (nobody has to invent one).
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        secret = cleaned.get("notification_secret") or ""
        if not 16 <= len(secret) <= 256:
            self.add_error("notification_secret", "The Event Platform wants 16 to 256 characters.")
        return cleaned


@admin.register(EventSubscription)
class EventSubscriptionAdmin(SecretFieldsAdmin, admin.ModelAdmin):
    form = EventSubscriptionForm
    secret_fields = EventSubscriptionForm.write_only
    change_form_template = "admin/connector/eventsubscription/change_form.html"
    list_display = ("connection", "status_text", "status_checked_at", "technical_email")
    readonly_fields = (
        "events_address",
        "status_text",
        "status_reason",
        "status_checked_at",
        "recent_notifications",
    )
    fieldsets = (
        (None, {"fields": ("connection", "technical_email", "ignored_author_types", "alert_emails")}),
        ("Signing", {"fields": ("signing_secret", "previous_signing_secret", "notification_secret")}),
        (
            "On the Event Platform",
            {
                "fields": (
                    "platform_url",
                    "events_address",
                    "status_text",
                    "status_reason",
                    "status_checked_at",
                    "recent_notifications",
                )
            },
        ),
    )

    @admin.display(description="state")
    def status_text(self, obj: EventSubscription) -> str:
        return obj.get_status_display() if obj.pk else "Not subscribed"

    @admin.display(description="events are sent to")
    def events_address(self, obj: EventSubscription) -> str:
        return addresses(obj).events if obj.pk else "Saved first, then shown here."

    @admin.display(description="the platform said")
    def recent_notifications(self, obj: EventSubscription) -> str:
        if not obj.pk:
            return "-"
        notes = EventNotification.objects.filter(connection_id=obj.connection_id)[:5]
        return (
            "; ".join(
                f"{when_text(note.received_at)}: {note.get_kind_display()}"
                + (f" ({note.reason})" if note.reason else "")
                for note in notes
            )
            or "Nothing yet."
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if request.GET.get("connection", "").isdigit():
            initial["connection"] = int(request.GET["connection"])
        return initial

    def _can_subscribe(self, request: HttpRequest) -> bool:
        return request.user.has_perm("connector.subscribe_eventsubscription")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_subscribe": self._can_subscribe(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/subscribe/",
                wrap(self.subscribe_view),
                name="connector_eventsubscription_subscribe",
            ),
            path("<path:object_id>/state/", wrap(self.state_view), name="connector_eventsubscription_state"),
            *super().get_urls(),
        ]

    def _subscription_or_404(self, request: HttpRequest, object_id: str) -> EventSubscription:
        subscription = self.get_object(request, unquote(object_id))
        if subscription is None:
            raise Http404("No such event subscription.")
        if not self._can_subscribe(request):
            raise PermissionDenied
        return subscription

    def _act(self, request: HttpRequest, object_id: str, action, history: str) -> HttpResponse:
        subscription = self._subscription_or_404(request, object_id)
        try:
            messages.success(request, action(subscription))
        except SubscriptionProblem as problem:
            messages.error(request, f"{history} failed: {problem}")
        else:
            record(request, subscription, history)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:connector_eventsubscription_change", args=[subscription.pk])
        )

    @method_decorator(require_POST)
    def subscribe_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._act(request, object_id, subscribe, "Subscribe on the Event Platform")

    @method_decorator(require_POST)
    def state_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._act(request, object_id, refresh_state, "Check the subscription's state")
