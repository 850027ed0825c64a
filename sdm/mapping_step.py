"""The value-mapping step of a supplier job, as the admin shows it: a page of raw values at a time.

Every number here comes from a bounded number of queries whatever the job's size: one summary
query per page, one page of mappings, and option labels only for the codes the page shows.
Choices posted back become ``MappingChoice`` objects for ``save_mappings``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count

from .jobs import normalize
from .models import SupplierJob, ValueMapping
from .option_creation import label_locales, new_option_labels
from .value_mapping import (
    MappedAttribute,
    MappingChoice,
    mapped_attributes,
    option_code_for,
    option_label,
    options_of,
    unmapped,
)

PER_PAGE = 50
SEARCH_RESULTS = 30


@dataclass
class AttributeTab:
    key: str  # "attribute" or "attribute/column", as the page's filter
    title: str
    values: int
    unmapped: int


@dataclass
class StepRow:
    mapping: ValueMapping
    target: MappedAttribute | None
    option_text: str  # the chosen (or suggested) option, in words
    proposed_code: str
    labels: dict[str, str]  # what a new option would be called, per locale

    @property
    def selected(self) -> str:
        return self.mapping.option_code if not self.mapping.create_option else ""


@dataclass
class StepPage:
    tabs: list[AttributeTab]
    rows: list[StepRow]
    page: Page
    unmapped: int
    values: int


def tab_key(attribute: str, column: str = "") -> str:
    return f"{attribute}/{column}" if column else attribute


def parse_tab_key(key: str) -> tuple[str, str]:
    attribute, _, column = key.partition("/")
    return attribute, column


def step_page(
    job: SupplierJob, *, tab: str = "", only_unmapped: bool = False, page_number: int | str = 1
) -> StepPage:
    targets = mapped_attributes(job)
    summary = (
        job.value_mappings.values("pim_attribute_code", "table_column")
        .annotate(values=Count("pk"), unmapped=Count("pk", filter=unmapped()))
        .order_by("pim_attribute_code", "table_column")
    )
    tabs = []
    for row in summary:
        target = targets.get((row["pim_attribute_code"], row["table_column"]))
        title = target.title if target else row["pim_attribute_code"]
        tabs.append(
            AttributeTab(
                tab_key(row["pim_attribute_code"], row["table_column"]), title, row["values"], row["unmapped"]
            )
        )
    mappings = job.value_mappings.order_by("pim_attribute_code", "table_column", "-occurrences", "raw_value")
    if tab:
        attribute, column = parse_tab_key(tab)
        mappings = mappings.filter(pim_attribute_code=attribute, table_column=column)
    if only_unmapped:
        mappings = mappings.filter(unmapped())
    page = Paginator(mappings, PER_PAGE).get_page(page_number)
    shown = list(page.object_list)
    texts = _option_texts(job, targets, shown)
    locales = label_locales(job)
    rows = [
        StepRow(
            mapping,
            targets.get((mapping.pim_attribute_code, mapping.table_column)),
            texts.get(
                (
                    mapping.pim_attribute_code,
                    mapping.table_column,
                    mapping.option_code or mapping.suggested_code,
                ),
                "",
            ),
            mapping.option_code if mapping.create_option else option_code_for(mapping.raw_value),
            new_option_labels(mapping.raw_value, locales),
        )
        for mapping in shown
    ]
    return StepPage(
        tabs,
        rows,
        page,
        unmapped=sum(t.unmapped for t in tabs),
        values=sum(t.values for t in tabs),
    )


def _option_texts(job, targets, mappings: list[ValueMapping]) -> dict[tuple[str, str, str], str]:
    """Labels of the option codes a page shows: one query per attribute on the page, codes only."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for m in mappings:
        code = m.option_code or m.suggested_code
        if code and not m.create_option:
            wanted.setdefault((m.pim_attribute_code, m.table_column), set()).add(code)
    connection = job.workflow.connection
    texts = {}
    for key, codes in wanted.items():
        target = targets.get(key)
        if target is None:
            continue
        for code, labels in _labels(connection, target, codes).items():
            texts[(*key, code)] = f"{option_label({'code': code, 'labels': labels})} ({code})"
    return texts


def _labels(connection, target: MappedAttribute, codes: set[str]) -> dict[str, dict]:
    return {o["code"]: o["labels"] for o in options_of(connection, target, codes)}


def search_options(job: SupplierJob, tab: str, term: str, page: int = 1) -> tuple[list[dict], bool]:
    """Options of one attribute matching ``term`` in their code or any label, a page at a time."""
    attribute, column = parse_tab_key(tab)
    target = mapped_attributes(job).get((attribute, column))
    if target is None:
        return [], False
    wanted = normalize(term)
    matches = [
        option
        for option in options_of(job.workflow.connection, target)
        if not wanted
        or wanted in normalize(option["code"])
        or any(wanted in normalize(label) for label in option["labels"].values())
    ]
    start = (max(page, 1) - 1) * SEARCH_RESULTS
    chunk = matches[start : start + SEARCH_RESULTS]
    results = [{"id": o["code"], "text": f"{option_label(o)} ({o['code']})"} for o in chunk]
    return results, start + SEARCH_RESULTS < len(matches)


def choices_from_post(job: SupplierJob, post) -> list[MappingChoice]:
    """The choices a posted step page makes, for the mappings it showed (ids in ``shown``)."""
    ids = [int(i) for i in post.getlist("shown") if str(i).isdigit()]
    choices = []
    for mapping in job.value_mappings.filter(pk__in=ids):
        create = post.get(f"create-{mapping.pk}") == "on"
        option = post.get(f"code-{mapping.pk}" if create else f"option-{mapping.pk}", "")
        choices.append(
            MappingChoice(
                attribute=mapping.pim_attribute_code,
                value=mapping.raw_value,
                option=option.strip(),
                create=create,
                table_column=mapping.table_column,
            )
        )
    return choices
