from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from . import admin_events, admin_mirror  # noqa: F401 - register their pages
from .admin_history import record
from .admin_readonly import ReadOnlyAdmin
from .admin_secrets import SecretFieldsAdmin
from .checks import check_connection
from .dashboard import row_runs
from .forms import AkeneoConnectionForm
from .models import AkeneoConnection, Run, RunLogEntry
from .params import ascii_int
from .run_views import archive_file, duration_text, run_snapshot, sync_status_page, when_text
from .runs import kind_label, queue_run_from_admin, request_cancel
from .tasks import STRUCTURE_SYNC


def run_admin_url(run: Run, admin_site_name: str = "admin") -> str:
    return reverse(f"{admin_site_name}:connector_run_change", args=[run.pk])


@admin.register(AkeneoConnection)
class AkeneoConnectionAdmin(SecretFieldsAdmin, admin.ModelAdmin):
    form = AkeneoConnectionForm
    secret_fields = ("secret", "password")
    change_form_template = "admin/connector/akeneoconnection/change_form.html"
    sync_status_template = "admin/connector/akeneoconnection/sync_status.html"
    list_display = (
        "name",
        "base_url",
        "username",
        "check_status",
        "health_note",
        "last_synced_at",
        "sync_cron",
    )
    search_fields = ("name", "base_url", "username")
    readonly_fields = ("last_synced_at", "last_check_at", "check_status", "last_check_message")
    fieldsets = (
        (None, {"fields": ("name", "base_url")}),
        ("API credentials", {"fields": ("client_id", "secret", "username", "password")}),
        (
            "Limits and schedule",
            {
                "fields": (
                    "timeout",
                    "max_requests_per_second",
                    "max_concurrency",
                    "sync_cron",
                    "alert_emails",
                )
            },
        ),
        ("Status", {"fields": ("last_synced_at", "check_status", "last_check_at", "last_check_message")}),
    )

    @admin.display(description="PIM answers", boolean=True, ordering="last_check_ok")
    def check_status(self, obj: AkeneoConnection) -> bool | None:
        """From the last Test connection or run, whichever came last (connector.health)."""
        return obj.last_check_ok

    @admin.display(description="why not")
    def health_note(self, obj: AkeneoConnection) -> str:
        return Truncator(obj.health_problem).chars(160)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_test_connection": self._can(request, "test"),
            "can_sync": self._can(request, "sync"),
            "events_url": self._events_url(request, object_id),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _events_url(self, request: HttpRequest, object_id: str) -> str:
        """The connection's PIM event subscription, or the page that sets one up."""
        from .models import EventSubscription

        if not object_id.isdigit():
            return ""
        found = (
            EventSubscription.objects.filter(connection_id=int(object_id))
            .values_list("pk", flat=True)
            .first()
        )
        if found:
            if not request.user.has_perm("connector.view_eventsubscription"):
                return ""
            return reverse(f"{self.admin_site.name}:connector_eventsubscription_change", args=[found])
        if not request.user.has_perm("connector.add_eventsubscription"):
            return ""
        return reverse(f"{self.admin_site.name}:connector_eventsubscription_add") + f"?connection={object_id}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/test/",
                wrap(self.test_connection_view),
                name="connector_akeneoconnection_test",
            ),
            path("<path:object_id>/sync/", wrap(self.sync_view), name="connector_akeneoconnection_sync"),
            path(
                "<path:object_id>/sync-status/",
                wrap(self.sync_status_view),
                name="connector_akeneoconnection_sync_status",
            ),
            *super().get_urls(),
        ]

    def _can(self, request: HttpRequest, verb: str) -> bool:
        return request.user.has_perm(f"connector.{verb}_akeneoconnection")

    def _connection_or_404(self, request: HttpRequest, object_id: str) -> AkeneoConnection:
        connection = self.get_object(request, unquote(object_id))
        if connection is None:
            raise Http404("No such connection.")
        return connection

    def _change_url(self, connection: AkeneoConnection) -> str:
        return reverse(f"{self.admin_site.name}:connector_akeneoconnection_change", args=[connection.pk])

    @method_decorator(require_POST)
    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        connection = self._connection_or_404(request, object_id)
        if not self._can(request, "test"):
            raise PermissionDenied
        report = check_connection(connection)
        if report.ok:
            details = "; ".join(f"{key}: {value}" for key, value in report.facts.items())
            messages.success(request, f"{report.message} {details}")
        else:
            messages.error(request, report.message)
        return HttpResponseRedirect(self._change_url(connection))

    @method_decorator(require_POST)
    def sync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        connection = self._connection_or_404(request, object_id)
        if not self._can(request, "sync"):
            raise PermissionDenied
        queue_run_from_admin(request, STRUCTURE_SYNC, connection)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:connector_akeneoconnection_sync_status", args=[connection.pk])
        )

    def sync_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        connection = self._connection_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, connection):
            raise PermissionDenied
        return sync_status_page(
            self,
            request,
            connection,
            STRUCTURE_SYNC,
            template=self.sync_status_template,
            can_sync=self._can(request, "sync"),
            change_url=self._change_url(connection),
            last_synced_at=connection.last_synced_at,
            never_synced_noun="connection",
        )


class RunTargetFilter(admin.SimpleListFilter):
    """Runs of one connection, workflow, export profile or supplier job."""

    title = "target"
    parameter_name = "target"

    def lookups(self, request, model_admin):
        pairs = (
            Run.objects.values_list("target_type_id", "target_id", "target_label")
            .order_by("target_label")
            .distinct()[:200]
        )
        return [(f"{type_id}-{target_id}", label) for type_id, target_id, label in pairs]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        type_id, _, target_id = self.value().partition("-")
        if not (type_id.isdigit() and target_id.isdigit()):
            return queryset.none()
        return queryset.filter(target_type_id=int(type_id), target_id=int(target_id))


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    class KindFilter(admin.SimpleListFilter):
        """Kinds by their names ("SFCC export"), not their codes."""

        title = "kind"
        parameter_name = "kind__exact"  # what the stock field filter used: links to it keep working

        def lookups(self, request, model_admin):
            kinds = Run.objects.order_by().values_list("kind", flat=True).distinct()
            return sorted(((kind, kind_label(kind)) for kind in kinds), key=lambda pair: pair[1])

        def queryset(self, request, queryset):
            return queryset.filter(kind=self.value()) if self.value() else queryset

    class RowFilter(admin.SimpleListFilter):
        """The runs one dashboard row counts (its "N failed" link): a target's own runs and its
        children's, a workflow's supplier-job pushes for one. Shown only while chosen."""

        title = "dashboard row"
        parameter_name = "row"

        def _target(self) -> tuple[int, int] | None:
            type_id, _, target_id = (self.value() or "").partition("-")
            return (int(type_id), int(target_id)) if type_id.isdigit() and target_id.isdigit() else None

        def lookups(self, request, model_admin):
            target = self._target()
            if target is None:
                return []
            try:
                model = ContentType.objects.get_for_id(target[0]).model_class()
            except ContentType.DoesNotExist:
                return []
            found = model._default_manager.filter(pk=target[1]).first() if model else None
            return [(self.value(), str(found) if found else "a deleted target")]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            target = self._target()
            return queryset.filter(row_runs(*target)) if target else queryset.none()

    change_form_template = "admin/connector/run/run_detail.html"
    list_display = (
        "id",
        "kind_text",
        "target_label",
        "status_badge",
        "progress",
        "trigger",
        "queued",
        "took",
    )
    list_filter = (
        KindFilter,
        "status",
        RunTargetFilter,
        RowFilter,
        "trigger",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("target_label", "error")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"

    @admin.display(description="kind", ordering="kind")
    def kind_text(self, run: Run) -> str:
        return kind_label(run.kind)

    @admin.display(description="status", ordering="status")
    def status_badge(self, run: Run) -> str:
        return format_html(
            '<span class="run-status run-status-{}">{}</span>', run.status, run.get_status_display()
        )

    @admin.display(description="progress")
    def progress(self, run: Run) -> str:
        percent = run.progress_percent
        return "" if percent is None else f"{percent}%"

    @admin.display(description="queued", ordering="created_at")
    def queued(self, run: Run) -> str:
        return when_text(run.created_at)

    @admin.display(description="duration")
    def took(self, run: Run) -> str:
        return duration_text(run)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/progress/", wrap(self.progress_view), name="connector_run_progress"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name="connector_run_cancel"),
            path(
                "<path:object_id>/archive/<str:name>/", wrap(self.archive_view), name="connector_run_archive"
            ),
            *super().get_urls(),
        ]

    def _run_or_404(self, request: HttpRequest, object_id: str) -> Run:
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404("No such run.")
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self._run_or_404(request, object_id)
        level = _level_param(request)
        extra_context = {
            **(extra_context or {}),
            "run": run,
            "subtitle": f"Run #{run.pk} · {kind_label(run.kind)} · {run.target_label}",
            "snapshot": run_snapshot(run, level, site=self.admin_site.name, user=request.user),
            "levels": RunLogEntry.Level.choices,
            "selected_level": level,
            "cancel_url": (
                reverse(f"{self.admin_site.name}:connector_run_cancel", args=[run.pk])
                if run.is_active and request.user.has_perm("connector.cancel_run")
                else ""
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        run = self._run_or_404(request, object_id)
        return JsonResponse(
            run_snapshot(run, _level_param(request), site=self.admin_site.name, user=request.user)
        )

    def archive_view(self, request: HttpRequest, object_id: str, name: str) -> FileResponse:
        run = self._run_or_404(request, object_id)
        path = archive_file(run, name)
        if path is None:
            raise Http404("No such archive for this run.")
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)

    @method_decorator(require_POST)
    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        run = self._run_or_404(request, object_id)
        if not request.user.has_perm("connector.cancel_run"):
            raise PermissionDenied
        if request_cancel(run):
            record(request, run, "Cancellation requested.")
            if run.target is not None:
                record(
                    request, run.target, f"Cancellation of run #{run.pk} ({kind_label(run.kind)}) requested."
                )
            messages.success(request, f"Cancellation of run #{run.pk} requested.")
        else:
            messages.warning(request, f"Run #{run.pk} is no longer running.")
        return HttpResponseRedirect(run_admin_url(run, self.admin_site.name))


def _level_param(request: HttpRequest) -> int | None:
    return ascii_int(request.GET.get("level"), maximum=100)
