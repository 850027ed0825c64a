"""What the PIM's events name for a profile's near-real-time export, and how far it has got.

Events arrive at least once and in any order; what they name is read again from the PIM, so only
the set of products and models matters: ten events for one product cost one export of it, and a
late "updated" after a "deleted" changes nothing (the PIM no longer lists the product either way).
``time`` orders a target's events only to say what the run did (updated or deleted).

The profile's cursor (EventCursor) is the last event its delivered exports covered. A run takes
the events after it that were received at least AKENEO_EVENT_SETTLE_SECONDS ago, so a receiver's
insert that has its number but is not committed yet is never passed over; the cursor moves with
the exported items, in one transaction, so a failed run leaves the events for the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from connector.models import PimEvent

from .models import EventCursor, ExportedItem, ExportProfile

CHUNK = 500


@dataclass
class EventTargets:
    product_uuids: set[str] = field(default_factory=set)
    # SFCC ids to check against the ledger: identifiers of deleted products (for items exported
    # before uuids were kept) and the reconciliation's items the PIM no longer lists.
    item_ids: set[str] = field(default_factory=set)
    model_codes: set[str] = field(default_factory=set)
    last_event: int = 0  # the highest event taken; 0 = none
    events: int = 0
    deletions: int = 0  # targets whose latest event is a deletion
    oldest_event_at: object = None
    reconcile: bool = False
    # The reconciliation's differences that no pending event named: what events missed.
    missed: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.product_uuids or self.item_ids or self.model_codes)

    def previous_items(self, profile: ExportProfile) -> Iterator[tuple[str, str, bool]]:
        """The ledger's online items these targets name: the ones that may have to be removed."""
        uuids, ids = sorted(self.product_uuids), sorted(self.item_ids | self.model_codes)
        online = ExportedItem.objects.filter(profile=profile, online=True)
        for start in range(0, len(uuids), CHUNK):
            yield from online.filter(pim_uuid__in=uuids[start : start + CHUNK]).values_list(
                "sfcc_id", "kind", "online"
            )
        for start in range(0, len(ids), CHUNK):
            yield from online.filter(sfcc_id__in=ids[start : start + CHUNK]).values_list(
                "sfcc_id", "kind", "online"
            )


def cursor_of(profile: ExportProfile) -> int:
    return EventCursor.objects.filter(profile=profile).values_list("last_event", flat=True).first() or 0


def settled_events(profile: ExportProfile):
    """The events after the profile's cursor that are old enough to be taken."""
    settled_before = timezone.now() - timedelta(seconds=settings.AKENEO_EVENT_SETTLE_SECONDS)
    return PimEvent.objects.filter(
        connection_id=profile.connection_id, pk__gt=cursor_of(profile), received_at__lte=settled_before
    )


def has_pending_events(profile: ExportProfile) -> bool:
    return settled_events(profile).exists()


def take_targets(profile: ExportProfile, *, reconcile: bool = False) -> EventTargets:
    """Everything the settled events name, each target once."""
    targets = EventTargets(reconcile=reconcile)
    latest: dict[tuple[str, str], tuple] = {}
    rows = (
        settled_events(profile)
        .order_by("pk")
        .values_list("pk", "type", "time", "received_at", "product_uuid", "product_identifier", "model_code")
    )
    for pk, event_type, moment, received_at, product_uuid, identifier, code in rows.iterator(chunk_size=2000):
        targets.events += 1
        targets.last_event = pk
        if targets.oldest_event_at is None or received_at < targets.oldest_event_at:
            targets.oldest_event_at = received_at
        deleted = event_type.endswith(".deleted")
        if code:
            targets.model_codes.add(code)
            key = ("model", code)
        else:
            targets.product_uuids.add(product_uuid)
            if deleted and identifier:
                targets.item_ids.add(identifier)
            key = ("product", product_uuid)
        if key not in latest or (moment, pk) > latest[key]:
            latest[key] = (moment, pk, deleted)
    targets.deletions = sum(1 for _, _, deleted in latest.values() if deleted)
    return targets


def move_cursor(profile: ExportProfile, last_event: int, run) -> None:
    """Inside the commit's transaction: the events up to ``last_event`` are delivered."""
    if last_event:
        EventCursor.objects.update_or_create(
            profile=profile,
            defaults={"last_event": last_event, "run": run, "recorded_at": timezone.now()},
        )


def prune_events(connection_id: int) -> int:
    """Remove events every near-real-time profile of the connection has delivered, once they are
    older than AKENEO_EVENTS_KEPT_DAYS (kept that long for the dashboard and for questions)."""
    profiles = ExportProfile.objects.filter(connection_id=connection_id, near_real_time=True)
    covered = EventCursor.objects.filter(profile__in=profiles).aggregate(low=Min("last_event"))["low"]
    if covered is None or EventCursor.objects.filter(profile__in=profiles).count() < profiles.count():
        return 0
    before = timezone.now() - timedelta(days=settings.AKENEO_EVENTS_KEPT_DAYS)
    deleted, _ = PimEvent.objects.filter(
        Q(connection_id=connection_id) & Q(pk__lte=covered) & Q(received_at__lt=before)
    ).delete()
    return deleted
