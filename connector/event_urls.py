from django.urls import path

from .event_views import akeneo_event, akeneo_notification

urlpatterns = [
    path("akeneo/<str:token>/", akeneo_event, name="akeneo-event"),
    path("akeneo/<str:token>/notifications/", akeneo_notification, name="akeneo-event-notification"),
]
