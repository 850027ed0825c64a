"""Our admin site: Django's, with the operations dashboard on the index page and at /admin/dashboard/."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path


class ConnectorAdminSite(admin.AdminSite):
    site_header = "Akeneo connector"
    site_title = "Akeneo connector"
    index_title = "Connections, workflows and exports"

    def get_urls(self):
        return [
            path("dashboard/", self.admin_view(self.dashboard_view), name="dashboard"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from connector.dashboard import dashboard_rows

        extra_context = {**(extra_context or {}), "dashboard_rows": dashboard_rows(request.user)}
        return super().index(request, extra_context)

    def dashboard_view(self, request):
        from connector.dashboard import dashboard_rows

        context = {
            **self.each_context(request),
            "title": "Operations dashboard",
            "dashboard_rows": dashboard_rows(request.user),
        }
        return TemplateResponse(request, "admin/dashboard.html", context)
