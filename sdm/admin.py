from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from connector.admin_history import record
from connector.admin_readonly import ReadableForViewers, setting_in_words
from connector.models import Channel, Family, Locale, Run, RunStatus
from connector.pickers import (
    CodeListField,
    CronWidget,
    DependencyRowsField,
    MirrorPickersForm,
    attribute_choices,
    mirror_choices,
    warn_if_mirror_empty,
    with_stored,
)
from connector.roles import SUPPLIER
from connector.run_views import sync_status_page
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
from .step_config import CODE_LISTS as STEP_CODE_LISTS
from .step_config import KEYS as STEP_KEYS
from .step_config import parse_step_config, store_step_config
from .tasks import WORKFLOW_SYNC


class WorkflowForm(MirrorPickersForm):
    """Targets are picked from the connection's mirror; an empty choice means all."""

    picker_fields = ("channels", "locales", "families")

    channels = CodeListField(noun="channels", help_text="None chosen = all channels.")
    locales = CodeListField(noun="locales", help_text="None chosen = all active locales.")
    families = CodeListField(noun="families", help_text="None chosen = all families.")

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
        widgets = {"sync_cron": CronWidget}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model, filters in (
            ("channels", Channel, {}),
            ("locales", Locale, {"enabled": True}),
            ("families", Family, {}),
        ):
            if name in self.fields:
                self.fields[name].choices = with_stored(
                    mirror_choices(model, self.mirror_connection, **filters), getattr(self.instance, name)
                )
        if "suppliers" in self.fields:  # only accounts of the Supplier role can be tied to a project
            self.fields["suppliers"].queryset = (
                get_user_model().objects.filter(groups__name=SUPPLIER).order_by("username")
            )


class WorkflowStepForm(forms.ModelForm):
    """A step's configuration as pickers; stored as the same JSON object the sync reads."""

    attributes = CodeListField(noun="shown attributes", help_text="Attributes this step shows.")
    required = CodeListField(noun="required attributes", help_text="Attributes this step requires.")
    ai_sources = CodeListField(
        noun="AI sources", label="AI sources", help_text="Attributes an AI suggestion may read from."
    )
    dependencies = DependencyRowsField(
        help_text="When an attribute has a value, another attribute becomes required."
    )

    class Meta:
        model = WorkflowStep
        fields = ["position", "name"]

    # Set once per page by WorkflowStepInline.get_formset: the same for every step of a workflow.
    attribute_choices: list[tuple[str, str]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = parse_step_config(self.instance.config)
        choices = self.attribute_choices
        for name in STEP_CODE_LISTS:
            stored = list(getattr(config, name))
            self.fields[name].choices = with_stored(choices, stored)
            self.initial.setdefault(name, stored)
        self.fields["dependencies"].widget.options = with_stored(
            choices, [code for rule in config.dependencies for code in (rule.when, rule.require)]
        )
        self.initial.setdefault("dependencies", [rule.to_json() for rule in config.dependencies])

    def save(self, commit=True):
        step = super().save(commit=False)
        picked = parse_step_config({name: self.cleaned_data.get(name) for name in STEP_KEYS})
        step.config = store_step_config(step.config, picked)
        if commit:
            step.save()
        return step


def step_attribute_choices(workflow: Workflow | None) -> list[tuple[str, str]]:
    """The PIM attributes of the workflow's connection, then its derived SDM attributes."""
    if workflow is None:
        return []
    derived = [
        (code, f"{code} · SDM attribute of {pim}")
        for code, pim in SdmAttribute.objects.filter(workflow=workflow)
        .exclude(code=F("pim_attribute_code"))
        .order_by("code")
        .values_list("code", "pim_attribute_code")
    ]
    return attribute_choices(workflow.connection) + derived


class WorkflowStepInline(admin.StackedInline):
    model = WorkflowStep
    form = WorkflowStepForm
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        choices = step_attribute_choices(obj)
        kwargs["form"] = type("WorkflowStepChoicesForm", (WorkflowStepForm,), {"attribute_choices": choices})
        return super().get_formset(request, obj, **kwargs)

    fields = (
        "position",
        "name",
        "attributes",
        "required",
        "ai_sources",
        "dependencies",
        "missing",
    )
    readonly_fields = ("missing",)

    # Shown to viewers (who get no form): the step's configuration in words.
    @admin.display(description="shown attributes")
    def attributes(self, step: WorkflowStep) -> str:
        return setting_in_words(list(parse_step_config(step.config).attributes))

    @admin.display(description="required attributes")
    def required(self, step: WorkflowStep) -> str:
        return setting_in_words(list(parse_step_config(step.config).required))

    @admin.display(description="AI sources")
    def ai_sources(self, step: WorkflowStep) -> str:
        return setting_in_words(list(parse_step_config(step.config).ai_sources))

    @admin.display(description="dependencies")
    def dependencies(self, step: WorkflowStep) -> str:
        rules = parse_step_config(step.config).dependencies
        return "\n".join(rule.in_words() for rule in rules) or "—"

    @admin.display(description="missing attributes")
    def missing(self, step: WorkflowStep) -> str:
        return ", ".join(step.missing_attributes) or "None: every attribute it names was derived."


@admin.register(Workflow)
class WorkflowAdmin(ReadableForViewers, admin.ModelAdmin):
    form = WorkflowForm
    readable_json = ("channels", "locales", "families")
    readable_cron = ("sync_cron",)
    inlines = [WorkflowStepInline]
    change_form_template = "admin/sdm/workflow/change_form.html"
    list_display = ("name", "connection", "active", "last_synced_at", "sync_cron")
    list_filter = ("connection", "active")
    list_select_related = ("connection",)
    search_fields = ("name",)
    readonly_fields = ("last_synced_at",)
    filter_horizontal = ("suppliers",)

    def render_change_form(self, request, context, *args, **kwargs):
        warn_if_mirror_empty(request, context["adminform"].form)
        return super().render_change_form(request, context, *args, **kwargs)

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
            saved = save_selection(
                workflow, set(request.POST.getlist("include")), set(request.POST.getlist("create_options"))
            )
            record(request, workflow, f"Attribute configuration saved: {saved.in_words()}.")
            messages.success(
                request,
                f"Attribute configuration saved ({saved.count} attributes). Click Synchronize to apply it.",
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
        last_done = Run.objects.for_target(workflow, WORKFLOW_SYNC).filter(status=RunStatus.DONE).first()
        return sync_status_page(
            self,
            request,
            workflow,
            WORKFLOW_SYNC,
            template="admin/sdm/workflow/sync_status.html",
            can_sync=request.user.has_perm("sdm.sync_workflow"),
            change_url=self._url("sdm_workflow_change", workflow),
            last_synced_at=workflow.last_synced_at,
            never_synced_noun="workflow",
            last_result=last_done.typed_result if last_done else None,
            counts={
                "SDM attributes": SdmAttribute.objects.filter(workflow=workflow).count(),
                "display groups": DisplayGroup.objects.filter(workflow=workflow).count(),
                "hierarchies": Hierarchy.objects.filter(workflow=workflow).count(),
            },
        )
