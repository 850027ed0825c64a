from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import AkeneoConnection
from .schedules import ensure_sync_schedule, remove_sync_schedule


@receiver(post_save, sender=AkeneoConnection, dispatch_uid="connector-sync-schedule-save")
def keep_sync_schedule(sender, instance: AkeneoConnection, raw: bool = False, **kwargs) -> None:
    if not raw:
        ensure_sync_schedule(instance)


@receiver(post_delete, sender=AkeneoConnection, dispatch_uid="connector-sync-schedule-delete")
def drop_sync_schedule(sender, instance: AkeneoConnection, **kwargs) -> None:
    remove_sync_schedule(instance.pk)
