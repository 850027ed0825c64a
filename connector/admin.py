from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from .checks import check_connection
from .forms import AkeneoConnectionForm
from .models import AkeneoConnection

sensitive_secrets = method_decorator(sensitive_post_parameters("secret", "password"))


@admin.register(AkeneoConnection)
class AkeneoConnectionAdmin(admin.ModelAdmin):
    form = AkeneoConnectionForm
    change_form_template = "admin/connector/akeneoconnection/change_form.html"
    list_display = ("name", "base_url", "username", "check_status", "last_check_at")
    search_fields = ("name", "base_url", "username")
    readonly_fields = ("last_check_at", "check_status", "last_check_message")
    fieldsets = (
        (None, {"fields": ("name", "base_url")}),
        ("API credentials", {"fields": ("client_id", "secret", "username", "password")}),
        ("Limits", {"fields": ("timeout", "max_requests_per_second")}),
        ("Last connection test", {"fields": ("check_status", "last_check_at", "last_check_message")}),
    )

    @admin.display(description="connection test", boolean=True, ordering="last_check_ok")
    def check_status(self, obj: AkeneoConnection) -> bool | None:
        return obj.last_check_ok

    @sensitive_secrets
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    @sensitive_secrets
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_test_connection": self._can_test(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_connection_view),
                name="connector_akeneoconnection_test",
            ),
            *super().get_urls(),
        ]

    def _can_test(self, request: HttpRequest) -> bool:
        return request.user.has_perm("connector.test_akeneoconnection")

    @method_decorator(require_POST)
    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        connection = self.get_object(request, unquote(object_id))
        if connection is None:
            raise Http404("No such connection.")
        if not self._can_test(request):
            raise PermissionDenied
        report = check_connection(connection)
        if report.ok:
            details = "; ".join(f"{key}: {value}" for key, value in report.facts.items())
            messages.success(request, f"{report.message} {details}")
        else:
            messages.error(request, report.message)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:connector_akeneoconnection_change", args=[connection.pk])
        )
