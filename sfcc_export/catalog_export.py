"""The `master` and `storefront` jobs: one streamed pass over the PIM's products feeds both catalogs.

Full: every product in the profile's scope, page by page (search_after), each written as it arrives;
variants are noted in the spool so that their masters (the root product models) can be written at
the end with the complete variant list, variation attributes and variation groups.

Differential: products and product models updated after the watermark; a changed variant or model
re-exports its master, whose variant list is read again from the PIM. Items exported before and no
longer listed by the PIM in the profile's scope (deleted, disabled, filtered out) are set offline or
deleted, so removals reach SFCC.

Targeted (near-real-time and reconciliation, ``EventTargets``): the products and models the PIM's
events named, read by uuid and code, exported like a differential; those among them the PIM no
longer lists in scope are removed. Nothing moves the watermark: the pass did not see everything.

The watermark is the latest PIM update date seen, never the local clock, and is only trusted from
a successful run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from connector.akeneo import AkeneoClient, AkeneoError
from connector.akeneo.parallel import created_pieces, pages_of_searches
from connector.akeneo.search import Search

from .event_targets import EventTargets
from .images import ImageResolver
from .models import ExportedItem, ExportProfile, ExportWatermark, RemovalMode
from .records import RecordBuilder, linked_products
from .spool import Spool
from .structure import CatalogStructure
from .writers.catalog import CatalogWriter, ImageGroup, ImageSettings, ProductRecord
from .writers.pricebook import PricebookWriter, decimal_amount, pricebook_id

PRODUCTS = "products-uuid"
MODELS = "product-models"
CODES_PER_SEARCH = 100
COMMIT_CHUNK = 2000


@dataclass
class CatalogFiles:
    master: Path | None = None
    storefront: Path | None = None
    pricebooks: Path | None = None  # folder: one <currency>-list-prices.xml per channel currency


@dataclass
class CatalogOutcome:
    counts: dict[str, int] = field(default_factory=dict)
    watermark: datetime | None = None


def product_search(profile: ExportProfile) -> Search:
    search = Search()
    if profile.families:
        search.where("family", "IN", list(profile.families))
    if profile.categories:
        search.where("categories", "IN CHILDREN", list(profile.categories))
    if profile.only_enabled:
        search.where("enabled", "=", True)
    if profile.completeness_min is not None:
        search.where(
            "completeness",
            "GREATER OR EQUALS THAN ON ALL LOCALES",
            profile.completeness_min,
            scope=profile.channel,
            locales=list(profile.completeness_locales or profile.locale_mapping),
        )
    return search


def model_search(profile: ExportProfile) -> Search:
    search = Search()
    if profile.families:
        search.where("family", "IN", list(profile.families))
    return search


def _with(search: Search, field_name: str, operator: str, value) -> Search:
    return search.copy().where(field_name, operator, value)


def _open(stack: ExitStack, path: Path, catalog_id: str) -> CatalogWriter:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = stack.enter_context(path.open("wb"))
    return stack.enter_context(CatalogWriter(out, catalog_id))


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _updated(item: dict) -> datetime | None:
    stamp = item.get("updated")
    return datetime.fromisoformat(stamp) if stamp else None


class CatalogExport:
    """One pass; call ``run`` then, once the files are safely delivered, ``commit``; always ``close``."""

    def __init__(
        self,
        profile: ExportProfile,
        client: AkeneoClient,
        structure: CatalogStructure,
        progress,
        scratch: Path,
        *,
        since: datetime | None,
        values: bool = True,
        images: bool = False,
        static_folder: Path | None = None,
        report_total: Callable[[int | None], None] | None = None,
        targets: EventTargets | None = None,
    ):
        self.profile = profile
        self.targets = targets
        # Told how many products the main pass will read (None: the PIM did not say), once.
        self.report_total = report_total
        self.values = values  # False for the assets job alone: product elements carry images only
        self.client = client
        self.structure = structure
        self.progress = progress
        self.since = since
        self.spool = Spool(scratch)
        self.images = (
            ImageResolver(profile, client, self.spool, static_folder, progress, self.count)
            if images
            else None
        )
        self.builder = RecordBuilder(profile, structure, self.spool.identifier_of_uuid)
        self.outcome = CatalogOutcome()
        # The PIM's clock at this pass's first answer: anything updated later must stay above the
        # watermark, however late in the pass other updates were read.
        self.started_at_pim: datetime | None = None
        self.master: CatalogWriter | None = None
        self.storefront: CatalogWriter | None = None
        self.pricebooks: dict[str, PricebookWriter] = {}

    @property
    def differential(self) -> bool:
        return self.since is not None or self.targets is not None

    def close(self) -> None:
        self.spool.close()

    # ------------------------------------------------------------------ the pass
    def run(self, files: CatalogFiles) -> CatalogOutcome:
        with ExitStack() as stack:
            if files.master:
                self.master = _open(stack, files.master, self.profile.master_catalog_id)
                if self.images:
                    self.master.header(self._image_settings())
            if files.storefront:
                self.storefront = _open(stack, files.storefront, self.profile.storefront_catalog_id)
                for category in self.structure.categories:
                    self.storefront.category(category)
                self.count("categories", len(self.structure.categories))
            if files.pricebooks:
                self.pricebooks = self._open_pricebooks(stack, files.pricebooks)
            if self.targets is not None and self.targets.reconcile:
                self._find_differences()
            since_assets = None if self.targets is not None else self.since
            changed_assets = self.images.load_assets(since_assets, self._see) if self.images else []
            if self.differential:
                self._read_changed_models()
            self._export_products()
            if changed_assets:
                self._export_products_of_changed_assets(changed_assets)
            self._fetch_missing_parents()
            if self.differential:
                self._read_whole_families_of_changed_masters()
            self._write_products_waiting_for_links()
            self.spool.resolve_roots()
            if self.master or self.storefront:
                self._export_masters()
            if self.master and self.values:
                self._export_removals()
        if self.started_at_pim and self.outcome.watermark and self.outcome.watermark >= self.started_at_pim:
            # Updated while we read: the PIM's dates have whole seconds, so step back one; what
            # changed in that second is exported again next time rather than never.
            self.outcome.watermark = self.started_at_pim - timedelta(seconds=1)
        if self.builder.unresolved_links:
            self.progress.info(
                f"{self.builder.unresolved_links} associations point to products outside this export "
                "(deleted, disabled or filtered out); they are not product links in SFCC."
            )
        return self.outcome

    def _image_settings(self) -> ImageSettings:
        view_types = list(self.profile.image_view_types)
        if self.profile.images_by_url:
            return ImageSettings(view_types, base_path=None, http_url=self.profile.image_base_url)
        return ImageSettings(view_types)

    def _open_pricebooks(self, stack: ExitStack, folder: Path) -> dict[str, PricebookWriter]:
        folder.mkdir(parents=True, exist_ok=True)
        writers = {}
        for currency in self.structure.currencies:
            out = stack.enter_context((folder / f"{pricebook_id(currency)}.xml").open("wb"))
            writers[currency] = stack.enter_context(
                PricebookWriter(out, currency, {"x-default": f"{currency} list prices"})
            )
        if not writers:
            self.progress.warning(f"Channel '{self.profile.channel}' has no active currency: no pricebook.")
        return writers

    def count(self, name: str, n: int = 1) -> None:
        self.outcome.counts[name] = self.outcome.counts.get(name, 0) + n
        self.progress.count(name, n)

    def _see(self, item: dict) -> None:
        updated = _updated(item)
        if updated and (self.outcome.watermark is None or updated > self.outcome.watermark):
            self.outcome.watermark = updated

    def _pages(
        self, path: str, searches: Search | list[Search], *, counted: bool = False, **params
    ) -> Iterator[list[dict]]:
        """The pages of one search or several (read in parallel, yielded in the order given).

        ``counted``: the pass the run's progress measures (its total is the PIM's count of it);
        the other reads (models, parents, removals) are not, or the progress would pass its total.
        """
        searches = searches if isinstance(searches, list) else [searches]
        # The PIM's clock before this read's first answer (an earlier answer is safe: it only
        # lowers the watermark).
        self.started_at_pim = self.started_at_pim or self.client.last_server_date
        for items in pages_of_searches(self.client, path, searches, params):
            self.started_at_pim = self.started_at_pim or self.client.last_server_date
            yield items
            if counted:
                self.progress.advance(len(items))
            self.progress.checkpoint()

    def _count(self, path: str, search: Search) -> int | None:
        try:
            return self.client.count(path, search=search)
        except AkeneoError as exc:
            # The count feeds the progress bar and the cutting of the read: the export goes on without it.
            self.progress.info(f"The PIM did not count the products ({exc.message}).")
            return None

    def _in_pieces(self, search: Search, total: int | None) -> list[Search]:
        """The product search cut by creation date, so its pieces can be read side by side."""
        try:
            return created_pieces(self.client, PRODUCTS, search, total)
        except AkeneoError as exc:
            if not exc.permanent:
                raise
            self.progress.info(f"The PIM did not count by creation date ({exc.message}); read in one piece.")
            return [search]

    # ------------------------------------------------------------------ products
    def _product_searches(self) -> list[Search]:
        search = product_search(self.profile)
        if self.targets is not None:
            uuids = sorted(self.targets.product_uuids)
            if self.report_total is not None:
                self.report_total(len(uuids))
            return [
                _with(search, "uuid", "IN", uuids[start : start + CODES_PER_SEARCH])
                for start in range(0, len(uuids), CODES_PER_SEARCH)
            ]
        if self.differential:
            search = _with(search, "updated", ">", self.since)
        total = self._count(PRODUCTS, search)
        if self.report_total is not None:
            self.report_total(total)
        return self._in_pieces(search, total)

    def _export_products(self) -> None:
        # The pieces come back in any order: they are spooled, then written in uuid order, so the
        # files do not depend on how the read was cut or how many calls were in flight.
        for items in self._pages(PRODUCTS, self._product_searches(), counted=True):
            self.spool.add_incoming(items)
            if self.images:
                # Downloads now, beside the pieces still being read; the writing below finds them.
                self.images.prepare(items)
        for items in self.spool.incoming_pages(CODES_PER_SEARCH):
            if self.images:
                self.images.prepare(items)
            for product in items:
                self._see(product)
                self._export_product(product)

    def _export_products_of_changed_assets(self, codes: list[str]) -> None:
        """Differential assets: products whose asset collections hold an asset changed since the last run."""
        searches = [
            _with(product_search(self.profile), attribute, "IN", codes[start : start + CODES_PER_SEARCH])
            for attribute in sorted(self.images.asset_family_of)
            for start in range(0, len(codes), CODES_PER_SEARCH)
        ]
        for items in self._pages(PRODUCTS, searches):
            fresh = [p for p in items if not self.spool.was_written(self.builder.product_id(p))]
            self.images.prepare(fresh)
            for product in fresh:
                self._export_product(product)

    def _export_product(self, product: dict) -> None:
        product_id = self.builder.product_id(product)
        values = product.get("values") or {}
        online = bool(product.get("enabled", True))
        if product.get("uuid"):
            self.spool.add_uuids([(product["uuid"], product_id)])
        if self.pricebooks:
            self._price(product_id, values)
        if self.master and not self.values:
            self._write_product(product_id, product, online)
        elif self.master:
            unknown = self.spool.unknown_uuids(
                uuid for _, _, uuid in linked_products(product.get("associations")) if uuid
            )
            if unknown:  # linked by uuid to a product not seen yet: written once the stream is over
                self.spool.add_pending_uuids(unknown)
                self.spool.defer(product)
            else:
                self._write_product(product_id, product, online)
        parent = product.get("parent")
        if parent:
            self.spool.add_variant(
                product_id,
                parent,
                self.builder.axis_values(values),
                product.get("categories") or [],
                written=True,
            )
            self.count("variants")
        else:
            self.count("products")
            if self.storefront:
                self._assign(product_id, product.get("categories") or [])
        self.spool.mark_written(
            product_id,
            ExportedItem.Kind.PRODUCT,
            online,
            uuid=product.get("uuid"),
            updated=product.get("updated"),
        )

    def _price(self, product_id: str, values: dict) -> None:
        for entry in values.get(self.profile.price_attribute) or []:
            if entry.get("scope") not in (None, self.profile.channel) or entry.get("locale") is not None:
                continue
            for price in entry.get("data") or []:
                writer = self.pricebooks.get(price.get("currency"))
                amount = decimal_amount(price.get("amount"))
                if writer and amount is not None:
                    writer.price(product_id, amount)
                    self.count("price_tables")

    def _write_product(self, product_id: str, product: dict, online: bool) -> None:
        values = product.get("values") or {}
        if self.values:
            record = self.builder.record(
                product_id, values, online=online, associations=product.get("associations")
            )
        else:
            record = ProductRecord(product_id=product_id)
        self._add_images(record, values)
        self.master.product(record)

    def _add_images(self, record: ProductRecord, values: dict) -> None:
        if self.images:
            record.images = self.images.groups(values)
            self.count("images", sum(len(group.paths) for group in record.images))

    def _variation_images(
        self, model: dict, groups: list[dict], fallback: list[ImageGroup]
    ) -> list[ImageGroup]:
        """A sub-model's own images as the master's image groups for its variation values (e.g. color=red);
        the root model's images stay the fallback."""
        axes = self.structure.axes.get(model.get("family_variant") or "", [])
        same_as_root = {(g.view_type, tuple(g.paths)) for g in fallback}
        specific = []
        for group in groups:
            values = self.builder.axis_values(group.get("values") or {})
            variation = [(self.builder.attribute_id(code), values[code]) for code in axes if code in values]
            if not variation:
                continue
            for image_group in self.images.groups(group.get("values") or {}):
                if (image_group.view_type, tuple(image_group.paths)) not in same_as_root:
                    image_group.variation = variation
                    specific.append(image_group)
        self.count("images", sum(len(group.paths) for group in specific))
        return specific

    def _write_products_waiting_for_links(self) -> None:
        if not self.master:
            return
        # A full export has seen every product in scope by now; a differential one asks for the others.
        pending = self.spool.pending_uuids() if self.differential else []
        searches = [
            _with(product_search(self.profile), "uuid", "IN", pending[start : start + CODES_PER_SEARCH])
            for start in range(0, len(pending), CODES_PER_SEARCH)
        ]
        for items in self._pages(PRODUCTS, searches, attributes=self.structure.identifier):
            self.spool.add_uuids((p["uuid"], self.builder.product_id(p)) for p in items)
        for chunk in _chunks(self.spool.deferred(), CODES_PER_SEARCH):
            if self.images:
                self.images.prepare(chunk)
            for product in chunk:
                self._write_product(
                    self.builder.product_id(product), product, bool(product.get("enabled", True))
                )

    def _assign(self, product_id: str, categories) -> None:
        for category in self.structure.in_tree(sorted(set(categories))):
            self.storefront.assignment(category, product_id)
            self.count("assignments")

    # -------------------------------------------------------------------- models
    def _read_changed_models(self) -> None:
        if self.targets is not None:
            codes = sorted(self.targets.model_codes)
            searches = [
                _with(model_search(self.profile), "identifier", "IN", codes[start : start + CODES_PER_SEARCH])
                for start in range(0, len(codes), CODES_PER_SEARCH)
            ]
        else:
            searches = [_with(model_search(self.profile), "updated", ">", self.since)]
        for items in self._pages(MODELS, searches):
            for model in items:
                self._see(model)
            self._add_models(items, changed=True)

    def _add_models(self, items: list[dict], *, changed: bool) -> None:
        self.spool.add_models(items, changed=changed)
        if self.master:
            self.spool.add_pending_uuids(
                uuid for model in items for _, _, uuid in linked_products(model.get("associations")) if uuid
            )

    def _fetch_models(self, codes: list[str], *, field_name: str) -> int:
        fetched = 0
        searches = [
            Search().where(field_name, "IN", codes[start : start + CODES_PER_SEARCH])
            for start in range(0, len(codes), CODES_PER_SEARCH)
        ]
        for items in self._pages(MODELS, searches):
            self._add_models(items, changed=False)
            fetched += len(items)
        return fetched

    def _fetch_missing_parents(self) -> None:
        # Two rounds at most: variants name their parent, sub-models name the root.
        for _ in range(2):
            missing = self.spool.missing_parents()
            if not missing:
                return
            self._fetch_models(missing, field_name="identifier")

    def _read_whole_families_of_changed_masters(self) -> None:
        """A master lists all its variants, so a changed one needs its unchanged siblings' ids too."""
        self.spool.resolve_roots()
        roots = self.spool.roots(changed_only=True)
        self._fetch_models(roots, field_name="parent")
        parents = sorted({*roots, *(m["code"] for root in roots for m in self.spool.sub_models(root))})
        base = product_search(self.profile)
        searches = [
            _with(base, "parent", "IN", parents[start : start + CODES_PER_SEARCH])
            for start in range(0, len(parents), CODES_PER_SEARCH)
        ]
        attributes = ",".join(sorted({self.structure.identifier, *self.structure.all_axes}))
        for items in self._pages(PRODUCTS, searches, attributes=attributes):
            for product in items:
                self.spool.add_variant(
                    self.builder.product_id(product),
                    product["parent"],
                    self.builder.axis_values(product.get("values") or {}),
                    product.get("categories") or [],
                    written=False,
                )

    def _export_masters(self) -> None:
        for roots in _chunks(iter(self.spool.roots(changed_only=self.differential)), CODES_PER_SEARCH):
            families = []
            for root in roots:
                model, variants = self.spool.model(root), self.spool.variants_of(root)
                if model is not None and variants:
                    families.append((model, self.spool.sub_models(root), variants))
            if self.images:
                self.images.prepare([doc for model, groups, _ in families for doc in (model, *groups)])
            for model, groups, variants in families:
                self._export_master(model, groups, variants)

    def _export_master(self, model: dict, groups: list[dict], variants: list) -> None:
        root = model["code"]
        if self.master:
            if self.values:
                record = self.builder.master(model, groups, variants)
            else:
                record = ProductRecord(product_id=root)
            self._add_images(record, model.get("values") or {})
            if self.images:
                record.images += self._variation_images(model, groups, record.images)
            self.master.product(record)
            for group in groups:
                record = self.builder.group(group) if self.values else ProductRecord(product_id=group["code"])
                self._add_images(record, group.get("values") or {})
                self.master.product(record)
                self.spool.mark_written(
                    group["code"], ExportedItem.Kind.GROUP, True, updated=group.get("updated")
                )
            self.count("groups", len(groups))
        self.spool.mark_written(root, ExportedItem.Kind.MASTER, True, updated=model.get("updated"))
        self.count("masters")
        if self.storefront:
            categories = {*(model.get("categories") or [])}
            for group in groups:
                categories.update(group.get("categories") or [])
            for _, _, variant_categories in variants:
                categories.update(variant_categories)
            self._assign(root, categories)

    # ------------------------------------------------------------------ removals
    def _export_removals(self) -> None:
        if self.targets is not None:
            # Only what the events named: those the PIM did not give back in scope are gone.
            self.spool.add_previous(self.targets.previous_items(self.profile))
            self.spool.collect_gone(compare_with_written=True)
        else:
            self.spool.add_previous(
                ExportedItem.objects.filter(profile=self.profile, online=True)
                .values_list("sfcc_id", "kind", "online")
                .iterator(chunk_size=COMMIT_CHUNK)
            )
            if self.differential:
                self._list_everything_in_scope()
            self.spool.collect_gone(compare_with_written=not self.differential)
        delete = self.profile.removal_mode == RemovalMode.DELETE
        for product_id, _kind in self.spool.gone():
            self.master.product(
                ProductRecord(
                    product_id=product_id, mode="delete" if delete else None, online=None if delete else False
                )
            )
            self.count("deleted" if delete else "offline")

    def _list_everything_in_scope(self) -> None:
        """Every id the PIM still lists in the profile's scope, masters included; values left out."""
        search = product_search(self.profile)
        pieces = self._in_pieces(search, self._count(PRODUCTS, search))
        for items in self._pages(PRODUCTS, pieces, attributes=self.structure.identifier):
            self.spool.add_listed(self.builder.product_id(p) for p in items)
            self.spool.add_listed(p["parent"] for p in items if p.get("parent"))
        for items in self._pages(MODELS, model_search(self.profile), attributes=self.structure.identifier):
            self.spool.add_model_parents((m["code"], m.get("parent")) for m in items)
        self.spool.list_roots_of_listed_groups()

    # ------------------------------------------------------------ reconciliation
    def _find_differences(self) -> None:
        """What the ledger says SFCC holds against what the PIM lists in scope (identifiers and
        update dates only); every difference becomes a target. Those no pending event named are
        what the events missed."""
        targets = self.targets
        named = (set(targets.product_uuids), set(targets.item_ids) | set(targets.model_codes))
        ledger = {
            sfcc_id: (online, updated, uuid)
            for sfcc_id, online, updated, uuid in ExportedItem.objects.filter(profile=self.profile)
            .values_list("sfcc_id", "online", "pim_updated", "pim_uuid")
            .iterator(chunk_size=COMMIT_CHUNK)
        }

        def differs(sfcc_id: str, item: dict) -> bool:
            online, exported_updated, _ = ledger.get(sfcc_id, (False, None, ""))
            updated = _updated(item)
            return (
                not online or exported_updated is None or (updated is not None and updated > exported_updated)
            )

        listed: set[str] = set()
        parents: set[str] = set()
        missed = {"products": 0, "models": 0, "removals": 0}
        search = product_search(self.profile)
        pieces = self._in_pieces(search, self._count(PRODUCTS, search))
        for items in self._pages(PRODUCTS, pieces, attributes=self.structure.identifier):
            for product in items:
                product_id = self.builder.product_id(product)
                listed.add(product_id)
                if product.get("parent"):
                    parents.add(product["parent"])
                if differs(product_id, product) and product.get("uuid"):
                    missed["products"] += product["uuid"] not in named[0]
                    targets.product_uuids.add(product["uuid"])
        models: dict[str, dict] = {}
        for items in self._pages(MODELS, model_search(self.profile), attributes=self.structure.identifier):
            for model in items:
                models[model["code"]] = {"parent": model.get("parent"), "updated": model.get("updated")}
        # Masters and variation groups are in SFCC through the variants in scope below them.
        in_scope = parents | {
            models[code]["parent"] for code in parents if models.get(code, {}).get("parent")
        }
        for code in sorted(in_scope):
            if code in models and differs(code, models[code]):
                missed["models"] += code not in named[1]
                targets.model_codes.add(code)
        for sfcc_id, (online, _, uuid) in ledger.items():
            if online and sfcc_id not in listed and sfcc_id not in in_scope:
                missed["removals"] += sfcc_id not in named[1] and uuid not in named[0]
                targets.item_ids.add(sfcc_id)
        targets.missed = missed

    # -------------------------------------------------------------------- commit
    def commit(
        self,
        watermarks: dict[str, datetime] | None = None,
        run=None,
        also: Callable[[], None] | None = None,
    ) -> None:
        """Record what SFCC now holds and, with it, how far each job got (``watermarks``: job -> PIM
        update date) and ``also`` (the event cursor), in one transaction. Call only once the files
        are delivered."""
        now = timezone.now()
        delete = self.profile.removal_mode == RemovalMode.DELETE
        with transaction.atomic():
            if also is not None:
                also()
            ExportWatermark.objects.bulk_create(
                [
                    ExportWatermark(
                        profile=self.profile, job=job, reached_at=reached, run=run, recorded_at=now
                    )
                    for job, reached in (watermarks or {}).items()
                ],
                update_conflicts=True,
                unique_fields=["profile", "job"],
                update_fields=["reached_at", "run", "recorded_at"],
            )
            batch: list[ExportedItem] = []
            for sfcc_id, kind, online, uuid, updated in self.spool.written():
                batch.append(
                    ExportedItem(
                        profile=self.profile,
                        sfcc_id=sfcc_id,
                        kind=kind,
                        online=online,
                        exported_at=now,
                        pim_uuid=uuid or "",
                        pim_updated=datetime.fromisoformat(updated) if updated else None,
                    )
                )
                if len(batch) >= COMMIT_CHUNK:
                    self._upsert(batch)
                    batch = []
            self._upsert(batch)
            gone = [sfcc_id for sfcc_id, _ in self.spool.gone()]
            for start in range(0, len(gone), COMMIT_CHUNK):
                items = ExportedItem.objects.filter(
                    profile=self.profile, sfcc_id__in=gone[start : start + COMMIT_CHUNK]
                )
                if delete:
                    items.delete()
                else:
                    items.update(online=False, exported_at=now)

    @staticmethod
    def _upsert(batch: list[ExportedItem]) -> None:
        if batch:
            ExportedItem.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["profile", "sfcc_id"],
                update_fields=["kind", "online", "exported_at", "pim_uuid", "pim_updated"],
            )
