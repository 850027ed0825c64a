from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("sdm.api.urls")),
    path("events/", include("connector.event_urls")),
]

handler400 = "sdm.api.errors.bad_request"
handler404 = "sdm.api.errors.not_found"
handler500 = "sdm.api.errors.server_error"
