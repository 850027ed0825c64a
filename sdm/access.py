"""Who sees which projects and jobs: the one rule the API (and anything else) filters by.

A supplier account sees the active projects it is tied to, and among their jobs only those it
created; every other role sees what its Django permissions allow, all projects and jobs.
"""

from __future__ import annotations

from django.db.models import QuerySet

from connector.roles import SUPPLIER

from .models import SupplierJob, Workflow


def is_supplier(user) -> bool:
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    cached = getattr(user, "_is_supplier", None)
    if cached is None:
        cached = user._is_supplier = user.groups.filter(name=SUPPLIER).exists()
    return cached


def projects_for(user, projects: QuerySet | None = None) -> QuerySet:
    projects = Workflow.objects.filter(active=True) if projects is None else projects
    return projects.filter(suppliers=user) if is_supplier(user) else projects


def jobs_for(user, jobs: QuerySet | None = None) -> QuerySet:
    jobs = SupplierJob.objects.all() if jobs is None else jobs
    if is_supplier(user):
        return jobs.filter(created_by=user, workflow__suppliers=user, workflow__active=True)
    return jobs
