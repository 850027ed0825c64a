from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from connector.akeneo import AkeneoError
from connector.models import Run
from connector.run_views import run_snapshot
from connector.runs import queue_run_from_admin

from .attribute_config import attribute_tab, save_selection
from .jobs import import_uploaded_file
from .models import (
    ApiToken,
    DisplayGroup,
    Hierarchy,
    JobColumn,
    JobRow,
    SdmAttribute,
    SupplierJob,
    ValueMapping,
    Workflow,
    WorkflowStep,
)
from .preview import preview_job
from .supplier_files import SupplierFileError
from .tasks import JOB_PUSH, WORKFLOW_SYNC

STEP_KEYS = {"attributes", "required", "ai_sources", "dependencies"}


class CodeListField(forms.CharField):
    """Comma-separated codes in the form, a JSON list in the model."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        return [code.strip() for code in (value or "").split(",") if code.strip()]


class WorkflowForm(forms.ModelForm):
    channels = CodeListField(required=False, help_text="Channel codes, comma-separated; empty = all.")
    locales = CodeListField(required=False, help_text="Locale codes, comma-separated; empty = all active.")
    families = CodeListField(required=False, help_text="Family codes, comma-separated; empty = all.")

    class Meta:
        model = Workflow
        fields = [
            "name",
            "connection",
            "channels",
            "locales",
            "families",
            "category_hierarchies",
            "metric_mode",
            "identifier_mode",
            "sync_cron",
            "alert_emails",
            "active",
        ]


class WorkflowStepForm(forms.ModelForm):
    class Meta:
        model = WorkflowStep
        fields = ["position", "name", "config"]

    def clean_config(self):
        config = self.cleaned_data.get("config") or {}
        if not isinstance(config, dict):
            raise forms.ValidationError("The step configuration must be a JSON object.")
        unknown = set(config) - STEP_KEYS
        if unknown:
            raise forms.ValidationError(
                f"Unknown keys: {', '.join(sorted(unknown))}. Known: {', '.join(sorted(STEP_KEYS))}."
            )
        for key in ("attributes", "required", "ai_sources"):
            value = config.get(key, [])
            if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
                raise forms.ValidationError(f'"{key}" must be a list of attribute codes.')
        for dependency in config.get("dependencies", []):
            if not isinstance(dependency, dict) or not {"when", "require"} <= set(dependency):
                raise forms.ValidationError('Each dependency needs "when", "value" and "require".')
        return config


class WorkflowStepInline(admin.TabularInline):
    model = WorkflowStep
    form = WorkflowStepForm
    extra = 0
    fields = ("position", "name", "config", "missing_attributes")
    readonly_fields = ("missing_attributes",)


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    inlines = [WorkflowStepInline]
    change_form_template = "admin/sdm/workflow/change_form.html"
    list_display = ("name", "connection", "active", "last_synced_at", "sync_cron")
    list_filter = ("connection", "active")
    list_select_related = ("connection",)
    search_fields = ("name",)
    readonly_fields = ("last_synced_at",)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/attributes/", wrap(self.attributes_view), name="sdm_workflow_attributes"),
            path("<path:object_id>/sync/", wrap(self.sync_view), name="sdm_workflow_sync"),
            path(
                "<path:object_id>/sync-status/", wrap(self.sync_status_view), name="sdm_workflow_sync_status"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_sync": request.user.has_perm("sdm.sync_workflow"),
            "can_configure": request.user.has_perm("sdm.configure_attributes_workflow"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _workflow_or_404(self, request: HttpRequest, object_id: str) -> Workflow:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404("No such workflow.")
        return workflow

    def _url(self, name: str, workflow: Workflow) -> str:
        return reverse(f"{self.admin_site.name}:{name}", args=[workflow.pk])

    def attributes_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self._workflow_or_404(request, object_id)
        can_configure = request.user.has_perm("sdm.configure_attributes_workflow")
        if not (can_configure or self.has_view_permission(request, workflow)):
            raise PermissionDenied
        if request.method == "POST":
            if not can_configure:
                raise PermissionDenied
            count = save_selection(
                workflow, set(request.POST.getlist("include")), set(request.POST.getlist("create_options"))
            )
            messages.success(
                request, f"Attribute configuration saved ({count} attributes). Click Synchronize to apply it."
            )
            return HttpResponseRedirect(self._url("sdm_workflow_attributes", workflow))
        groups = attribute_tab(workflow)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "workflow": workflow,
            "title": f"Attribute configuration of {workflow}",
            "groups": groups,
            "attribute_count": sum(len(g.attributes) for g in groups),
            "can_configure": can_configure,
            "can_sync": request.user.has_perm("sdm.sync_workflow"),
        }
        return TemplateResponse(request, "admin/sdm/workflow/attributes.html", context)

    @method_decorator(require_POST)
    def sync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self._workflow_or_404(request, object_id)
        if not request.user.has_perm("sdm.sync_workflow"):
            raise PermissionDenied
        queue_run_from_admin(request, WORKFLOW_SYNC, workflow)
        return HttpResponseRedirect(self._url("sdm_workflow_sync_status", workflow))

    def sync_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self._workflow_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, workflow):
            raise PermissionDenied
        runs = list(Run.objects.for_target(workflow, WORKFLOW_SYNC)[:10])
        current = runs[0] if runs else None
        last_done = next((r for r in runs if r.status == "done"), None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "workflow": workflow,
            "title": f"Synchronization of {workflow}",
            "current": current,
            "snapshot": run_snapshot(current) if current else None,
            "last_result": last_done.result if last_done else {},
            "counts": {
                "SDM attributes": SdmAttribute.objects.filter(workflow=workflow).count(),
                "display groups": DisplayGroup.objects.filter(workflow=workflow).count(),
                "hierarchies": Hierarchy.objects.filter(workflow=workflow).count(),
            },
            "recent_runs": runs,
            "can_sync": request.user.has_perm("sdm.sync_workflow"),
            "change_url": self._url("sdm_workflow_change", workflow),
        }
        return TemplateResponse(request, "admin/sdm/workflow/sync_status.html", context)


class DerivedAdmin(admin.ModelAdmin):
    """Derived rows may be edited by hand, but the next sync overwrites them; the admin says so."""

    list_filter = ("workflow",)
    search_fields = ("code",)
    readonly_fields = ("sync_note", "synced_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="edited by hand")
    def hand_edit_flag(self, obj) -> str:
        if obj.edited_by_hand:
            return format_html(
                '<strong class="errornote">{}</strong>', "edited by hand: the next sync overwrites it"
            )
        return ""

    @admin.display(description="note")
    def sync_note(self, obj) -> str:
        if obj.pk and obj.edited_by_hand:
            return "This row was edited by hand; the next workflow sync overwrites it with the PIM's values."
        return "Derived from the PIM by the workflow sync: manual changes are overwritten at the next sync."


@admin.register(SdmAttribute)
class SdmAttributeAdmin(DerivedAdmin):
    list_display = (
        "code",
        "pim_attribute_code",
        "channel",
        "locale",
        "sdm_type",
        "display_group",
        "hand_edit_flag",
    )
    list_filter = ("workflow", "sdm_type", "display_group", "kind", "channel", "locale")
    search_fields = ("code", "pim_attribute_code")
    list_select_related = ("workflow",)
    fields = (
        "sync_note",
        "workflow",
        "code",
        "labels",
        *SdmAttribute.DERIVED_FIELDS,
        "position",
        "synced_at",
    )


@admin.register(DisplayGroup)
class DisplayGroupAdmin(DerivedAdmin):
    list_display = ("code", "workflow", "position", "hand_edit_flag")
    fields = ("sync_note", "workflow", "code", "labels", "position", "synced_at")


@admin.register(Hierarchy)
class HierarchyAdmin(DerivedAdmin):
    list_display = ("code", "workflow", "source", "node_count", "hand_edit_flag")
    fields = ("sync_note", "workflow", "code", "source", "labels", "nodes", "position", "synced_at")

    @admin.display(description="nodes")
    def node_count(self, obj) -> int:
        return len(obj.nodes)


class SupplierFileForm(forms.Form):
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.filter(active=True))
    file = forms.FileField(
        help_text="CSV (any common delimiter and encoding) or XLSX; first row = column names."
    )
    name = forms.CharField(required=False, max_length=200, help_text="Default: the file name.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        return upload


class JobColumnInline(admin.TabularInline):
    model = JobColumn
    extra = 0
    fields = ("position", "header", "role", "sdm_attribute", "auto_mapped")
    readonly_fields = ("position", "header", "auto_mapped")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupplierJob)
class SupplierJobAdmin(admin.ModelAdmin):
    inlines = [JobColumnInline]
    change_form_template = "admin/sdm/supplierjob/change_form.html"
    list_display = ("id", "name", "workflow", "status", "row_count", "created_at")
    list_filter = ("workflow", "status")
    list_select_related = ("workflow",)
    search_fields = ("name", "source_filename")
    readonly_fields = ("workflow", "source_filename", "status", "row_count", "created_at", "outcomes")
    fields = ("name", "workflow", "source_filename", "status", "row_count", "outcomes", "created_at")

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a job means uploading a supplier file: it is imported at once, columns auto-mapped."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SupplierFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = import_uploaded_file(
                    form.cleaned_data["workflow"], form.cleaned_data["file"], form.cleaned_data["name"]
                )
            except SupplierFileError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request, f"Imported {job.row_count} rows into {job}. Check the column mapping."
                )
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:sdm_supplierjob_change", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Upload a supplier file",
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/upload.html", context)

    @admin.display(description="rows by outcome")
    def outcomes(self, job: SupplierJob) -> str:
        counts = dict(
            job.rows.values_list("outcome").annotate(n=models.Count("pk")).values_list("outcome", "n")
        )
        url = reverse("admin:sdm_jobrow_changelist") + f"?job__id__exact={job.pk}"
        parts = [
            format_html(
                '<a href="{}&outcome__exact={}">{} {}</a>', url, key, counts.get(key, 0), label.lower()
            )
            for key, label in JobRow.Outcome.choices
        ]
        return format_html_join(" · ", "{}", ((part,) for part in parts))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/finalize/", wrap(self.finalize_view), name="sdm_supplierjob_finalize"),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="sdm_supplierjob_preview"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_finalize": request.user.has_perm("sdm.finalize_supplierjob"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        error = ""
        try:
            with job.workflow.connection.client(interactive=True) as client:
                previews = preview_job(job, client)
        except AkeneoError as exc:
            previews, error = [], f"The PIM could not be read for the preview: {exc.message}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "job": job,
            "previews": previews,
            "error": error,
            "title": f"Preview of {job}",
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/preview.html", context)

    def finalize_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        if not request.user.has_perm("sdm.finalize_supplierjob"):
            raise PermissionDenied
        pending = job.rows.exclude(outcome__in=[JobRow.Outcome.CREATED, JobRow.Outcome.UPDATED]).count()
        if request.method == "POST":
            run = queue_run_from_admin(request, JOB_PUSH, job)
            target = run or Run.objects.for_target(job, JOB_PUSH).active().first()
            if target:
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:connector_run_change", args=[target.pk])
                )
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:sdm_supplierjob_change", args=[job.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "job": job,
            "pending": pending,
            "title": f"Finalize {job}",
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/finalize.html", context)


@admin.register(JobRow)
class JobRowAdmin(admin.ModelAdmin):
    list_display = ("line", "identifier", "outcome", "message", "pushed_at", "job")
    list_filter = ("outcome", "job")
    search_fields = ("identifier", "message")
    list_select_related = ("job",)
    readonly_fields = ("job", "line", "identifier", "values", "outcome", "message", "pushed_at")
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed rows (push them again)", permissions=["finalize"])
    def retry_failed(self, request, queryset):
        jobs = {row.job for row in queryset.filter(outcome=JobRow.Outcome.FAILED).select_related("job")}
        for job in jobs:
            queue_run_from_admin(request, JOB_PUSH, job)
        if not jobs:
            self.message_user(request, "None of the selected rows failed.", level=messages.WARNING)

    def has_finalize_permission(self, request) -> bool:
        return request.user.has_perm("sdm.finalize_supplierjob")


@admin.register(ValueMapping)
class ValueMappingAdmin(admin.ModelAdmin):
    list_display = (
        "raw_value",
        "pim_attribute_code",
        "occurrences",
        "suggested_code",
        "option_code",
        "create_option",
        "created_in_pim",
        "job",
    )
    list_editable = ("option_code", "create_option")
    list_filter = ("job", "pim_attribute_code", "create_option")
    search_fields = ("raw_value", "option_code")
    list_select_related = ("job",)
    readonly_fields = (
        "job",
        "pim_attribute_code",
        "raw_value",
        "suggested_code",
        "occurrences",
        "created_in_pim",
    )

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made through the API (POST /api/v1/auth/token/); here they are listed and revoked."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("user",)
    search_fields = ("name", "user__username", "prefix")
    fields = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        count, _ = queryset.delete()
        self.message_user(request, f"{count} tokens revoked.")
