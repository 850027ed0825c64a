from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from connector.models import Run
from connector.roles import SUPPLIER
from connector.run_views import run_snapshot
from connector.runs import queue_run_from_admin

from . import admin_derived, admin_jobs, admin_tokens  # noqa: F401 - registers their pages
from .attribute_config import attribute_tab, save_selection
from .models import (
    DisplayGroup,
    Hierarchy,
    SdmAttribute,
    Workflow,
    WorkflowStep,
)
from .tasks import WORKFLOW_SYNC

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
            "suppliers",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "suppliers" in self.fields:  # only accounts of the Supplier role can be tied to a project
            self.fields["suppliers"].queryset = (
                get_user_model().objects.filter(groups__name=SUPPLIER).order_by("username")
            )


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
    filter_horizontal = ("suppliers",)

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
