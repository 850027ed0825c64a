"""A crawler for the acceptance walk of the admin (issue 16): as one signed-in user, open every admin
page reachable from the index and record what is wrong on each.

The walk starts at ``/admin/``, follows same-origin ``a[href]`` links under ``/admin/`` breadth first and
de-duplicates by URL pattern (object ids become ``<id>``), so it stays bounded: a changelist, its add
page, the change page of the first object reached and the object's own pages (attributes tab, sync
status, preview, values, finalize, runs...). One link with a query string is followed per path pattern
(a filter example, preferably from the changelist's filter sidebar). It never submits a form nor
clicks a button: it only loads pages by their links.

On every page it records:

- ``console-error``: ``console.error`` messages and failed resource loads reported in the console;
- ``page-error``: uncaught exceptions;
- ``http-status``: the page itself answering 400 or more (403 too: a role must not be shown a link it
  cannot open), ``navigation`` when it could not be loaded at all, ``login-redirect`` when a shown link
  sends the user back to the login page (a link that starts a download is noted, not a page);
- ``horizontal-overflow``: the document wider than the viewport, with the elements sticking out;
- ``dashboard-overlap``: on the index, the dashboard block overlapping another top-level block;
- ``json-textarea``: a ``<textarea>`` holding JSON; ``jsonfield-textarea``: a ``<textarea>`` bound to a
  model's JSONField on a change (or add) form, whatever it holds;
- ``foreign-request``: any request (script, style, font, image, xhr...) to another host than the server.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Paths never opened: they sign out, delete, change passwords, leave the admin or are not pages.
SKIPPED_PATH = re.compile(
    r"""^/admin/(
        logout/
      | password_change/
      | password_change/done/
      | jsi18n/
      | autocomplete/
      | r/                              # "view on site" redirects
      | .+/delete/$
      | .+/history/$
      | auth/user/[^/]+/password/$
      | .+/progress/$                   # JSON polled by the run pages
      | .+/values/options/$             # JSON for the option pickers
    )""",
    re.VERBOSE,
)
# Query parameters that only re-sort, page, pop up or carry the list's filters along.
NOISE_PARAMS = {"o", "p", "all", "_changelist_filters", "_facets"}
POPUP_PARAMS = {"_popup", "_to_field"}

KINDS = {
    "http-status": "HTTP status >= 400 for a page whose link was shown",
    "login-redirect": "a shown link sends the user back to the login page",
    "navigation": "the page could not be loaded",
    "console-error": "console error",
    "page-error": "uncaught JavaScript exception",
    "horizontal-overflow": "wider than the 1366 px viewport",
    "dashboard-overlap": "the dashboard overlaps another block",
    "json-textarea": "a <textarea> holding JSON",
    "jsonfield-textarea": "a <textarea> for a JSONField",
    "foreign-request": "a request to another host",
}

# Everything measured on a page, in one round trip once the page (and its web fonts) has loaded.
MEASURE_JS = r"""
async ({checkDashboard}) => {
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const de = document.documentElement;
  const viewport = de.clientWidth;  // the layout viewport, without a vertical scrollbar
  const describe = (el) => {
    if (!el || !el.tagName) return '';
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    const classes = (typeof el.className === 'string' ? el.className : '').trim().split(/\s+/)
      .filter(Boolean).slice(0, 3);
    if (classes.length) text += '.' + classes.join('.');
    if (el.getAttribute && el.getAttribute('name')) text += `[name=${el.getAttribute('name')}]`;
    return text;
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      parts.unshift(describe(node));
      if (node.id) break;
    }
    return parts.join(' > ');
  };
  const snippet = (el) => (el.innerText || el.value || el.textContent || '').replace(/\s+/g, ' ')
    .trim().slice(0, 60);
  const clippedWithin = (el, stop) => {
    for (let p = el.parentElement; p && p !== stop && p !== document.body && p !== de;
         p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };

  // Horizontal overflow: the elements sticking out of the viewport that no scroll box contains.
  const sticking = new Set();
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    const r = el.getBoundingClientRect();
    const beyond = r.right + window.scrollX > viewport + 1;
    if ((r.width > 0 || r.height > 0) && beyond && !clippedWithin(el, null)) {
      sticking.add(el);
    }
  }
  const roots = [...sticking].filter((el) => !sticking.has(el.parentElement)).map((el) => {
    const r = el.getBoundingClientRect();
    return {
      element: path(el),
      right: Math.round(r.right + window.scrollX),
      width: Math.round(r.width),
      text: snippet(el),
    };
  }).sort((a, b) => b.right - a.right);

  // The dashboard against the page's other top-level blocks, by what each one paints.
  let dashboard = null;
  if (checkDashboard) {
    const dash = document.querySelector('#dashboard-module');
    const painted = (el) => {
      const box = el.getBoundingClientRect();
      let [left, top, right, bottom] = [box.left, box.top, box.right, box.bottom];
      for (const child of el.querySelectorAll('*')) {
        const r = child.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (clippedWithin(child, el) || getComputedStyle(child).position === 'fixed') continue;
        left = Math.min(left, r.left); top = Math.min(top, r.top);
        right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
      }
      return {left, top, right, bottom};
    };
    if (dash) {
      const d = painted(dash);
      const selectors = '#header, nav.breadcrumbs, .breadcrumbs, .messagelist, #nav-sidebar, ' +
        '#content-main > *, #content-main > * > .module, #content-related, #content-related > *, #footer';
      const others = [...new Set(document.querySelectorAll(selectors))]
        .filter((el) => el !== dash && !dash.contains(el) && !el.contains(dash))
        .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
      const overlaps = [];
      for (const el of others) {
        const o = painted(el);
        const w = Math.min(d.right, o.right) - Math.max(d.left, o.left);
        const h = Math.min(d.bottom, o.bottom) - Math.max(d.top, o.top);
        if (w > 1 && h > 1) {
          overlaps.push({element: path(el), width: Math.round(w), height: Math.round(h),
                         other: [o.left, o.top, o.right, o.bottom].map(Math.round)});
        }
      }
      dashboard = {found: true, box: [d.left, d.top, d.right, d.bottom].map(Math.round), overlaps};
    } else {
      dashboard = {found: false};
    }
  }

  const links = [...document.querySelectorAll('a[href]')].map((a) => ({
    href: a.href,
    filter: !!a.closest('#changelist-filter'),
    text: (a.innerText || a.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40),
    where: path(a),
  }));
  const textareas = [...document.querySelectorAll('textarea')].map((t) => ({
    name: t.name || '', id: t.id || '', value: t.value || '',
    hidden: !!t.closest('.empty-form') || t.name.includes('__prefix__'),
  }));
  return {
    scrollWidth: de.scrollWidth, clientWidth: viewport, innerWidth: window.innerWidth,
    title: document.title, roots: roots.slice(0, 6), sticking: sticking.size,
    dashboard, links, textareas,
    changeForm: !!document.querySelector('body.change-form'),
    loginForm: !!document.querySelector('body.login #login-form'),
  };
}
"""


@dataclass(frozen=True)
class Violation:
    role: str
    kind: str
    pattern: str
    url: str
    detail: str


@dataclass
class Visit:
    url: str
    pattern: str
    status: int | None
    seconds: float
    title: str = ""
    load_seconds: float = 0.0
    requests: int = 0


@dataclass
class RoleWalk:
    role: str
    visits: list[Visit] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    budget_hit: bool = False
    left_over: list[str] = field(default_factory=list)
    dashboard_shown: bool | None = None
    downloads: list[str] = field(default_factory=list)
    seconds: float = 0.0


def url_pattern(path: str) -> str:
    """``/admin/sdm/supplierjob/12/values/`` → ``/admin/sdm/supplierjob/<id>/values/``."""
    parts = path.split("/")
    # ['', 'admin', app, model, object_id, ...]
    if len(parts) > 5 and parts[1] == "admin" and parts[4] not in ("add", ""):
        parts[4] = "<id>"
    return "/".join(re.sub(r"^\d+$", "<id>", part) for part in parts)


def model_of(path: str) -> tuple[str, str] | None:
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "admin":
        return parts[1], parts[2]
    return None


def walked_url(url: str) -> tuple[str, str] | None:
    """The URL without fragment and noise parameters, and its query; None when it is not walked."""
    split = urlsplit(url)
    params = parse_qsl(split.query, keep_blank_values=True)
    if {name for name, _ in params} & POPUP_PARAMS:
        return None
    kept = [(name, value) for name, value in params if name not in NOISE_PARAMS]
    if params and not kept:
        return None  # it only sorts or pages a list walked anyway
    query = urlencode(kept)
    return urlunsplit((split.scheme, split.netloc, split.path, query, "")), query


def role_tag(role: str) -> str:
    """``Business consultant`` → ``BC``, ``superuser`` → ``S``."""
    return "".join(word[0].upper() for word in role.split())


class AdminWalker:
    """Walks the admin as the user signed in on ``page``.

    ``json_fields(app_label, model_name)`` names the JSONFields a change form of that model shows (its
    inlines' too), to tell which textarea edits one. ``quota`` lets some patterns be opened more than
    once (the run page, say, for runs of each kind and outcome); every other pattern is opened once,
    and once more with a query string.
    """

    def __init__(
        self, page, base_url: str, role: str, *, json_fields, budget: int = 150, quota=None, screens=None
    ):
        self.page = page
        self.screens = screens  # a folder: one full-page screenshot per page pattern, for reviews
        self.base = base_url.rstrip("/")
        self.origin = urlsplit(self.base)[:2]
        self.role = role
        self.json_fields = json_fields
        self.budget = budget
        self.quota = dict(quota or {})
        self.result = RoleWalk(role)
        self._events: list[tuple[str, str]] = []
        self._foreign: list[str] = []
        self._requests = 0
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._events.append(("page-error", str(error).strip())))
        page.context.on("request", self._on_request)

    # -- events ---------------------------------------------------------------------------------

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text.strip()
        location = message.location or {}
        where = location.get("url") or ""
        if where and where not in text and where != self.page.url:  # a script file, not the page
            text += f" (at {self._short(where)}:{location.get('lineNumber', 0) + 1})"
        self._events.append(("console-error", text))

    def _on_request(self, request) -> None:
        self._requests += 1
        split = urlsplit(request.url)
        if split.scheme in ("http", "https") and split[:2] != self.origin:
            self._foreign.append(f"{request.resource_type} {request.url}")

    def _short(self, url: str) -> str:
        return url[len(self.base) :] if url.startswith(self.base) else url

    # -- the walk -------------------------------------------------------------------------------

    def walk(self, start: str = "/admin/") -> RoleWalk:
        began = time.monotonic()
        queue: deque[tuple[str, str]] = deque()  # (url, how it was reached)
        taken: dict[str, int] = defaultdict(int)  # pattern (with "?" for a query example) → queued
        seen_urls: set[str] = set()

        def offer(url: str, reached: str) -> None:
            cleaned = walked_url(url)
            if cleaned is None:
                return
            url, query = cleaned
            split = urlsplit(url)
            if split[:2] != self.origin or not split.path.startswith("/admin/"):
                return
            if SKIPPED_PATH.match(split.path) or url in seen_urls:
                return
            key = url_pattern(split.path) + ("?" if query else "")
            if taken[key] >= (1 if query else self.quota.get(key, 1)):
                return
            taken[key] += 1
            seen_urls.add(url)
            queue.append((url, reached))

        offer(self.base + start, "the start")
        while queue:
            if len(self.result.visits) >= self.budget:
                self.result.budget_hit = True
                self.result.left_over = [self._short(url) for url, _ in queue]
                break
            url, reached = queue.popleft()
            links = self._visit(url, reached)
            here = self._short(url)
            # Filter links first, so that the one query example of a list is one of its filters.
            for link in sorted(links, key=lambda link: not link["filter"]):
                text = f"“{link['text']}”" if link["text"] else link["where"]
                offer(urljoin(url, link["href"]), f"linked from {here} by {text} ({link['where']})")
        self.result.seconds = time.monotonic() - began
        return self.result

    def _visit(self, url: str, reached: str) -> list[dict]:
        split = urlsplit(url)
        shown = self._short(url)
        query_names = "&".join(dict.fromkeys(name for name, _ in parse_qsl(split.query)))
        pattern = url_pattern(split.path) + (f"?{query_names}" if query_names else "")
        self._events.clear()
        self._foreign.clear()
        self._requests = 0
        began = time.monotonic()
        try:
            response = self.page.goto(url, wait_until="load")
        except Exception as exc:  # noqa: BLE001 - any failure to load is what is reported
            if "Download is starting" in str(exc):
                self.result.downloads.append(shown)  # a file behind a link, not a page
                return []
            self.result.visits.append(Visit(shown, pattern, None, time.monotonic() - began))
            self._add("navigation", pattern, shown, f"{str(exc).splitlines()[0]}; {reached}")
            return []
        loaded = time.monotonic() - began
        status = response.status if response else None
        content_type = (response.headers.get("content-type", "") if response else "") or ""
        measures = None
        if "html" in content_type:
            try:
                measures = self.page.evaluate(MEASURE_JS, {"checkDashboard": split.path == "/admin/"})
            except Exception as exc:  # noqa: BLE001
                self._add("navigation", pattern, shown, f"not measurable: {str(exc).splitlines()[0]}")
            if self.screens is not None:
                self._screenshot(pattern)
        title = (measures or {}).get("title", "")
        self.result.visits.append(
            Visit(shown, pattern, status, time.monotonic() - began, title, loaded, self._requests)
        )

        if status is not None and status >= 400:
            self._add("http-status", pattern, shown, f"HTTP {status} “{title}”; {reached}")
        if measures and measures["loginForm"] and not split.path.startswith("/admin/login/"):
            self._add("login-redirect", pattern, shown, f"ended on {self._short(self.page.url)}; {reached}")
        for kind, text in dict.fromkeys(self._events):
            if status is not None and status >= 400 and f"status of {status}" in text:
                continue  # the page's own status, reported above
            self._add(kind, pattern, shown, text)
        for request in dict.fromkeys(self._foreign):
            self._add("foreign-request", pattern, shown, request)
        if not measures:
            return []
        self._check_overflow(measures, pattern, shown)
        if measures["dashboard"] is not None:
            self._check_dashboard(measures["dashboard"], pattern, shown)
        self._check_textareas(measures, split.path, pattern, shown)
        if status is not None and status >= 400:
            return []
        return measures["links"]

    # -- checks ---------------------------------------------------------------------------------

    def _screenshot(self, pattern: str) -> None:
        name = re.sub(r"[^A-Za-z0-9]+", "-", pattern).strip("-") or "index"
        path = Path(self.screens) / re.sub(r"[^A-Za-z0-9]+", "-", self.role).lower() / f"{name}.png"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)

    def _add(self, kind: str, pattern: str, url: str, detail: str) -> None:
        self.result.violations.append(Violation(self.role, kind, pattern, url, detail))

    def _check_overflow(self, m: dict, pattern: str, url: str) -> None:
        if m["scrollWidth"] <= m["clientWidth"] and not m["roots"]:
            return
        lines = [f"the document is {m['scrollWidth']} px wide in a {m['clientWidth']} px viewport"]
        if m["roots"]:
            lines[0] += f"; {m['sticking']} elements stick out, outermost first:"
            for root in m["roots"][:4]:
                text = f" “{root['text']}”" if root["text"] else ""
                lines.append(
                    f"{root['element']} (right edge at {root['right']} px, {root['width']} px wide){text}"
                )
        else:
            lines[0] += " (no element beyond the edge: a margin or a pseudo-element)"
        self._add("horizontal-overflow", pattern, url, "\n".join(lines))

    def _check_dashboard(self, dashboard: dict, pattern: str, url: str) -> None:
        self.result.dashboard_shown = dashboard["found"]
        for overlap in dashboard.get("overlaps", []):
            self._add(
                "dashboard-overlap",
                pattern,
                url,
                f"#dashboard-module {dashboard['box']} overlaps {overlap['element']} {overlap['other']} "
                f"by {overlap['width']} x {overlap['height']} px (boxes: left, top, right, bottom)",
            )

    def _check_textareas(self, m: dict, path: str, pattern: str, url: str) -> None:
        model = model_of(path)
        json_fields = self.json_fields(*model) if model and m["changeForm"] else {}
        reported: set[str] = set()
        for area in m["textareas"]:
            name = area["name"] or area["id"]
            field_name = re.sub(r"^.*-(\d+|__prefix__)-", "", name)
            label = json_fields.get(field_name) or f"textarea[name={name}]"
            if label in reported:
                continue
            value = area["value"].strip()
            holds_json = False
            if value[:1] in ("{", "["):
                try:
                    json.loads(value)
                    holds_json = True
                except ValueError:
                    pass
            where = " (in the inline's empty row, shown by “Add another”)" if area["hidden"] else ""
            if holds_json:
                reported.add(label)
                shown = value if len(value) <= 70 else value[:69] + "…"
                self._add("json-textarea", pattern, url, f"{label}{where} holds JSON: {shown}")
            elif field_name in json_fields:
                reported.add(label)
                self._add("jsonfield-textarea", pattern, url, f"{label}{where} is a JSONField edited as text")


def format_report(walks: list[RoleWalk], notes: list[str] = ()) -> str:
    """Every violation once per page pattern, kind and detail, with the roles it holds for."""
    violations = [v for walk in walks for v in walk.violations]
    roles = [walk.role for walk in walks]
    tags = {walk.role: role_tag(walk.role) for walk in walks}
    lines = ["Admin walk in Chromium at 1366 x 768", "", "Roles:"]
    for walk in walks:
        statuses = defaultdict(int)
        for visit in walk.visits:
            statuses[visit.status] += 1
        status_text = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items(), key=str))
        budget = f"; BUDGET REACHED, {len(walk.left_over)} pages not opened" if walk.budget_hit else ""
        dashboard = {True: "dashboard on the index", False: "NO dashboard on the index", None: "index unread"}
        if walk.downloads:
            budget += f"; {len(walk.downloads)} download links not opened ({', '.join(walk.downloads[:2])})"
        lines.append(
            f"  {tags[walk.role]:>3} {walk.role}: {len(walk.visits)} pages ({status_text}) in "
            f"{walk.seconds:.0f} s; {len(walk.violations)} violations; "
            f"{dashboard[walk.dashboard_shown]}{budget}"
        )
    lines += [f"  {note}" for note in notes]
    lines.append("")
    by_kind = defaultdict(int)
    for v in violations:
        by_kind[v.kind] += 1
    clean = [kind for kind in KINDS if kind not in by_kind]
    if not violations:
        lines.append("No violations.")
    else:
        lines.append(
            f"{len(violations)} violations on {len({v.pattern for v in violations})} page patterns: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items(), key=lambda item: -item[1]))
        )
        lines.append(f"Nothing found of: {', '.join(clean)}.")
        lines.append("Each finding: the roles it holds for and the first page it was seen on.")
        grouped: dict[str, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
        for v in violations:
            entry = grouped[v.pattern][v.kind].setdefault(v.detail, {"roles": [], "urls": []})
            entry["roles"] += [] if v.role in entry["roles"] else [v.role]
            entry["urls"] += [] if v.url in entry["urls"] else [v.url]
        for pattern in sorted(grouped):
            lines += ["", f"== {pattern}"]
            for kind in (kind for kind in KINDS if kind in grouped[pattern]):
                lines.append(f"  [{kind}] {KINDS[kind]}")
                for detail, entry in grouped[pattern][kind].items():
                    who = "all roles" if len(entry["roles"]) == len(roles) else ", ".join(entry["roles"])
                    more = f" (and {len(entry['urls']) - 1} more)" if len(entry["urls"]) > 1 else ""
                    first, *rest = detail.splitlines()
                    lines.append(f"    - {first}")
                    lines += [f"        {line}" for line in rest]
                    lines.append(f"      {who}: {entry['urls'][0]}{more}")
    opened: dict[str, dict[str, list[Visit]]] = defaultdict(lambda: defaultdict(list))
    for walk in walks:
        for visit in walk.visits:
            opened[visit.pattern][walk.role].append(visit)
    lines += ["", "Pages opened, by pattern (role: times opened, HTTP status if not 200):"]
    for pattern in sorted(opened):
        cells = []
        for role, visits in opened[pattern].items():
            odd = sorted({str(v.status) for v in visits if v.status != 200})
            cells.append(
                tags[role] + (f"x{len(visits)}" if len(visits) > 1 else "") + "".join(f"!{s}" for s in odd)
            )
        lines.append(f"  {pattern}  [{' '.join(cells)}]")
    slowest = sorted((v for walk in walks for v in walk.visits), key=lambda v: -v.seconds)[:5]
    lines += [
        "",
        "Slowest pages: "
        + ", ".join(
            f"{v.url} {v.seconds:.1f} s (load {v.load_seconds:.1f} s, {v.requests} requests)" for v in slowest
        ),
    ]
    return "\n".join(lines)
