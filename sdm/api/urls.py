from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from . import views

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="api-token"),
    path("v1/projects/", views.ProjectList.as_view(), name="api-projects"),
    path("v1/projects/<int:pk>/", views.ProjectDetail.as_view(), name="api-project"),
    path("v1/projects/<int:pk>/template/", views.ProjectTemplate.as_view(), name="api-project-template"),
    path("v1/files/", views.FileCreate.as_view(), name="api-files"),
    path("v1/jobs/", views.JobList.as_view(), name="api-jobs"),
    path("v1/jobs/<uuid:job_id>/", views.JobDetail.as_view(), name="api-job"),
    path("v1/jobs/<uuid:job_id>/mappings/", views.JobMappings.as_view(), name="api-job-mappings"),
    path("v1/jobs/<uuid:job_id>/finalize/", views.JobFinalize.as_view(), name="api-job-finalize"),
    path("v1/jobs/<uuid:job_id>/results/", views.JobResults.as_view(), name="api-job-results"),
    path("v1/jobs/<uuid:job_id>/download/", views.JobDownload.as_view(), name="api-job-download"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="sdm/api_docs.html"),
        name="api-docs",
    ),
]
