"""The supplier API's views: thin, on sdm.feeds and the services the admin uses."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import authenticate
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from connector.models import RunTrigger
from connector.params import DB_MAX, ascii_int
from connector.runs import RunAlreadyActive, start_run

from .. import feeds
from ..access import jobs_for, projects_for
from ..models import JobRow, SupplierJob, SupplierUpload
from ..services import save_workflow
from ..tasks import JOB_PUSH
from ..value_mapping import auto_map_values
from . import serializers as s
from .auth import TokenEndpointThrottle
from .parsers import SafeJSONParser

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS = {
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    429: s.ErrorSerializer,
}


class Pages(PageNumberPagination):
    """Page numbers and sizes in plain digits: anything else is refused, not read as a default."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        size = ascii_int(text, minimum=1, maximum=self.max_page_size)
        if size is None:
            raise ValidationError({"page_size": f"A whole number from 1 to {self.max_page_size}."})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"type": "integer", "minimum": 1},
            self.page_size_query_param: {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"] = bounds.get(parameter["name"], parameter["schema"])
        return parameters

    def get_page_number(self, request, paginator):
        text = request.query_params.get(self.page_query_param, "1")
        if text in self.last_page_strings or ascii_int(text, minimum=1) is not None:
            return text
        raise NotFound("Invalid page: a whole number from 1.")


def feed_error(exc: feeds.FeedError) -> Response:
    return Response({"detail": exc.message, **exc.details}, status=exc.status)


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenEndpointThrottle]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            201: s.TokenSerializer,
            400: s.ErrorSerializer,
            401: s.ErrorSerializer,
            429: s.ErrorSerializer,
        },
    )
    def post(self, request):
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request, username=body.validated_data["username"], password=body.validated_data["password"]
        )
        if user is None or not user.is_active:
            return Response(
                {"detail": "Unknown user name or wrong password."}, status=status.HTTP_401_UNAUTHORIZED
            )
        token, key = feeds.issue_token(user, body.validated_data["name"])
        return Response({"key": key, "name": token.name}, status=status.HTTP_201_CREATED)


class ProjectList(generics.ListAPIView):
    serializer_class = s.ProjectSerializer
    pagination_class = Pages
    required_perms = {"GET": ("sdm.view_workflow",)}

    def get_queryset(self):
        return projects_for(self.request.user).order_by("name")

    @extend_schema(responses={200: s.ProjectSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def drf_errors(exc: DjangoValidationError) -> dict | list:
    """A model's refusal in the API's error shape: per field, the form-wide ones as non_field_errors."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    return {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}


class ProjectDetail(generics.RetrieveAPIView):
    serializer_class = s.ProjectDetailSerializer
    parser_classes = [SafeJSONParser]
    required_perms = {"GET": ("sdm.view_workflow",), "PATCH": ("sdm.change_workflow",)}

    def get_queryset(self):
        return projects_for(self.request.user)

    @extend_schema(responses={200: s.ProjectDetailSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        project = self.get_object()
        project.attribute_codes = feeds.project_columns(project)
        return Response(s.ProjectDetailSerializer(project).data)

    @extend_schema(
        request=s.ProjectTargetsSerializer,
        responses={200: s.ProjectDetailSerializer, **ERRORS},
        description="Changes the project's channels, locales or families. Codes the PIM does not have "
        "are refused with 400, naming each; nothing is saved then. Synchronize the project to apply.",
    )
    def patch(self, request, *args, **kwargs):
        project = self.get_object()
        body = s.ProjectTargetsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            save_workflow(project.name, **body.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(drf_errors(exc)) from None
        return self.get(request, *args, **kwargs)


class ProjectTemplate(APIView):
    required_perms = {"GET": ("sdm.view_workflow",)}

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"], description="default csv")],
        responses={(200, CSV): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk: int):
        project = get_object_or_404(projects_for(request.user), pk=pk)
        kind = _file_format(request)
        body = (feeds.as_xlsx if kind == "xlsx" else feeds.as_csv)(feeds.project_columns(project), [])
        return _attachment(body, kind, f"{project.name}-template")


class FileCreate(APIView):
    parser_classes = [MultiPartParser, SafeJSONParser]
    required_perms = {"POST": ("sdm.add_supplierjob",)}

    @extend_schema(
        request={"multipart/form-data": s.FileUploadSerializer, "application/json": s.FileJsonSerializer},
        responses={201: s.FileSerializer, **ERRORS, 413: s.ErrorSerializer},
    )
    def post(self, request):
        try:
            if "file" in request.FILES:
                upload = feeds.save_uploaded_file(request.user, request.FILES["file"])
            elif isinstance(request.data, dict) and "data" in request.data:
                upload = feeds.save_json_rows(request.user, request.data["data"])
            else:
                raise feeds.FeedError(
                    'Send a multipart "file", or JSON {"data": [{"column": "value"}, ...]}.'
                )
        except feeds.FeedError as exc:
            return feed_error(exc)
        return Response(s.FileSerializer(upload).data, status=status.HTTP_201_CREATED)


class JobList(generics.ListCreateAPIView):
    serializer_class = s.JobSerializer
    pagination_class = Pages
    parser_classes = [SafeJSONParser]
    required_perms = {"GET": ("sdm.view_supplierjob",), "POST": ("sdm.add_supplierjob", "sdm.view_workflow")}

    def get_queryset(self):
        jobs = feeds.with_states(jobs_for(self.request.user).select_related("workflow")).order_by(
            "-created_at", "-pk"
        )
        query = self.request.query_params
        if "status" in query:
            if query["status"] not in ("pending", "running", "done", "error"):
                raise ValidationError({"status": "One of pending, running, done, error."})
            jobs = jobs.filter(api_status=query["status"])
        if "project" in query:
            project = ascii_int(query["project"], minimum=1)
            if project is None:
                raise ValidationError({"project": "A project id."})
            jobs = jobs.filter(workflow_id=project)
        for name, lookup in (("created_after", "created_at__gte"), ("created_before", "created_at__lt")):
            if name in query:
                jobs = jobs.filter(**{lookup: _datetime(name, query[name])})
        return jobs

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_job_data(job) for job in page])

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["pending", "running", "done", "error"]),
            OpenApiParameter("project", {"type": "integer", "minimum": 1, "maximum": DB_MAX}),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
        responses={200: s.JobSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.JobCreateSerializer, responses={201: s.JobCreatedSerializer, **ERRORS})
    def post(self, request, *args, **kwargs):
        body = s.JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = SupplierUpload.objects.filter(pk=data["file_id"], user=request.user).first()
        if upload is None:
            return Response({"detail": "No such file among yours."}, status=status.HTTP_404_NOT_FOUND)
        project = projects_for(request.user).filter(pk=data["project"]).first()
        if project is None:
            return Response({"detail": "No such project among yours."}, status=status.HTTP_404_NOT_FOUND)
        try:
            job = feeds.create_job(upload, project, data["name"], created_by=request.user)
        except feeds.FeedError as exc:
            return feed_error(exc)
        return Response({"id": str(job.public_id)}, status=status.HTTP_201_CREATED)


def _job(request, job_id) -> SupplierJob:
    """The job, if this user may see it; another supplier's job is "not found", as if it did not exist."""
    return get_object_or_404(feeds.with_states(jobs_for(request.user)), public_id=job_id)


def _job_data(job: SupplierJob) -> dict:
    state = feeds.job_state(job)
    job.step, job.message = state.step, state.message
    data = s.JobSerializer(job).data
    data["status"] = state.status
    return data


class JobDetail(APIView):
    required_perms = {"GET": ("sdm.view_supplierjob",)}

    @extend_schema(responses={200: s.JobSerializer, **ERRORS})
    def get(self, request, job_id):
        return Response(_job_data(_job(request, job_id)))


class JobMappings(APIView):
    parser_classes = [SafeJSONParser]
    required_perms = {"GET": ("sdm.view_supplierjob",), "POST": ("sdm.change_valuemapping",)}

    @extend_schema(responses={200: s.ValueMappingSerializer(many=True), **ERRORS})
    def get(self, request, job_id):
        job = _job(request, job_id)
        return Response(s.ValueMappingSerializer(job.value_mappings.all(), many=True).data)

    @extend_schema(
        request=s.MappingRequestSerializer,
        responses={200: s.ValueMappingSerializer(many=True), **ERRORS, 409: s.ErrorSerializer},
        description="A mapping that names a value this job does not have, or an option the attribute "
        "does not have, is refused with 409 and the reasons; nothing is saved then.",
    )
    def post(self, request, job_id):
        job = _job(request, job_id)
        body = s.MappingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["auto"]:
            auto_map_values(job)
        try:
            if body.validated_data["mappings"]:
                feeds.apply_mappings(job, body.validated_data["mappings"])
        except feeds.FeedError as exc:
            return feed_error(exc)
        return Response(s.ValueMappingSerializer(job.value_mappings.all(), many=True).data)


class JobFinalize(APIView):
    required_perms = {"POST": ("sdm.finalize_supplierjob",)}

    @extend_schema(request=None, responses={202: s.JobSerializer, 409: s.ErrorSerializer, **ERRORS})
    def post(self, request, job_id):
        job = _job(request, job_id)
        if not job.rows_ready:
            state = feeds.job_state(job)
            return Response({"detail": f"Not finalized: {state.message}"}, status=status.HTTP_409_CONFLICT)
        try:
            start_run(JOB_PUSH, job, user=request.user, trigger=RunTrigger.API)
        except RunAlreadyActive as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(_job_data(_job(request, job_id)), status=status.HTTP_202_ACCEPTED)


class JobResults(generics.ListAPIView):
    serializer_class = s.ResultSerializer
    pagination_class = Pages
    required_perms = {"GET": ("sdm.view_supplierjob",)}

    def get_queryset(self):
        job = _job(self.request, self.kwargs["job_id"])
        return JobRow.objects.filter(job=job).order_by("line")

    @extend_schema(responses={200: s.ResultSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class JobDownload(APIView):
    required_perms = {"GET": ("sdm.view_supplierjob",)}

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"], description="default csv")],
        responses={(200, CSV): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, job_id):
        job = _job(request, job_id)
        kind = _file_format(request)
        body = (feeds.as_xlsx if kind == "xlsx" else feeds.as_csv)(*feeds.mapped_rows(job))
        return _attachment(body, kind, f"job-{job.public_id}")


def _file_format(request) -> str:
    kind = request.query_params.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        raise ValidationError({"format": "csv or xlsx."})
    return kind


def _attachment(body: bytes, kind: str, stem: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX if kind == "xlsx" else f"{CSV}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response


def _datetime(name: str, text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC moment (a date alone is its midnight in the
    server's zone). In UTC because PostgreSQL refuses offsets Python accepts (+20:30)."""
    try:
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError({name: "An ISO 8601 date or date-time."}) from None
