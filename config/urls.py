from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Akeneo connector"
admin.site.site_title = "Akeneo connector"
admin.site.index_title = "Connections, workflows and exports"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
