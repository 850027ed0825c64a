"""Downloads of URLs that come from supplier files: the only way the worker fetches such a URL.

A supplier cell is hostile input. Without guards a cell pointing at the loopback, a private network
or a cloud metadata address makes the worker fetch it and publish the answer to the PIM and SFCC.
Every connection, redirects included, is checked at the moment it is opened, against the address it
actually connects to, so a DNS name that resolves (or re-resolves) to an internal address is refused.
Downloads also have a total deadline (a server dripping one byte at a time cannot hold a push), a
size cap, and the bytes must be of the type the URL declares.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import re
import socket
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import filetype
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
# Types we can recognise from their first bytes; a declared type outside this set is not checked.
GENERIC_TYPES = {"application/octet-stream", "binary/octet-stream", ""}
TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


class FetchRefused(Exception):
    """The URL, its address or its content is not acceptable; the message says why, in words."""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.SDM_MEDIA_ALLOWED_NETWORKS]


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def check_address(address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in _allowed_networks()):
        return
    if not _is_public(ip):
        raise FetchRefused(
            f"address {address} is internal (loopback, private, link-local, multicast or reserved); "
            "add it to SDM_MEDIA_ALLOWED_NETWORKS if it is a trusted media server"
        )


def checked_address(host: str, port: int) -> str:
    """The first address of ``host``, once every address it resolves to has been checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"host {host} cannot be resolved") from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        check_address(address)
    return addresses[0]


class _GuardedMixin:
    def _new_conn(self):
        # Connect to the address we checked, not to a second resolution of the name; TLS still
        # verifies the certificate against the host name.
        self._dns_host = checked_address(self._dns_host, self.port)
        return super()._new_conn()


class _GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def _pool_manager() -> urllib3.PoolManager:
    manager = urllib3.PoolManager(num_pools=4, retries=False)
    manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
    return manager


def safe_file_name(url: str) -> str:
    """A plain file name for the downloaded bytes: the URL's last segment, never a path."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", last).lstrip(".")
    return name[:120] or "download"


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https URLs are fetched, not '{parts.scheme}:'")
    if not parts.hostname:
        raise FetchRefused("the URL has no host")
    if parts.username or parts.password:
        raise FetchRefused("URLs with credentials are not fetched")


def fetch(url: str, folder: Path, *, image: bool = False) -> Path:
    """Download ``url`` into ``folder`` and check its bytes (an image when ``image``); raises
    ``FetchRefused`` with the reason."""
    deadline = time.monotonic() + settings.SDM_MEDIA_DOWNLOAD_SECONDS
    limit = settings.SDM_MEDIA_MAX_BYTES
    manager = _pool_manager()
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _check_url(current)
            response = manager.request(
                "GET",
                current,
                headers={"Accept-Encoding": "identity", "User-Agent": "akeneo-connector-media"},
                redirect=False,
                preload_content=False,
                decode_content=False,
                timeout=urllib3.Timeout(connect=_remaining(deadline, 10), read=_remaining(deadline, 10)),
            )
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                response.release_conn()
                continue
            break
        else:
            raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
        try:
            if response.status != 200:
                raise FetchRefused(f"the server answered HTTP {response.status}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise FetchRefused(f"{declared:,} bytes, over the limit of {limit:,} (SDM_MEDIA_MAX_BYTES)")
            target = folder / safe_file_name(current)
            _stream_to(response, target, deadline, limit)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        refused = _refusal_inside(exc)
        if refused is not None:
            raise refused from None
        raise FetchRefused(f"download failed ({type(exc).__name__})") from None
    finally:
        manager.clear()
    content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    check_content(target, declared_type=content_type, names=(url, current), image=image)
    return target


def _refusal_inside(exc: BaseException) -> FetchRefused | None:
    # urllib3 wraps what a connection raises; an address refusal must keep its words.
    seen = exc
    while seen is not None:
        if isinstance(seen, FetchRefused):
            return seen
        seen = seen.__context__ or getattr(seen, "reason", None)
        if seen is exc:
            break
    return None


def _remaining(deadline: float, cap: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        limit = settings.SDM_MEDIA_DOWNLOAD_SECONDS
        raise FetchRefused(f"the download took longer than {limit:g} s (SDM_MEDIA_DOWNLOAD_SECONDS)")
    return min(left, cap)


def _stream_to(response, target: Path, deadline: float, limit: int) -> None:
    size = 0
    with target.open("wb") as out:
        while True:
            # One socket read at a time, each bounded by what is left of the deadline.
            sock = getattr(response.connection, "sock", None)
            if sock is not None:
                sock.settimeout(_remaining(deadline, 10))
            block = response.read1(CHUNK)
            if not block:
                break
            size += len(block)
            if size > limit:
                raise FetchRefused(f"more than {limit:,} bytes (SDM_MEDIA_MAX_BYTES)")
            out.write(block)
            _remaining(deadline, 10)


def _type_of_name(name: str) -> str:
    guessed, _ = mimetypes.guess_type(urlsplit(name).path)
    return (guessed or "").lower()


def check_content(
    path: Path, *, declared_type: str = "", names: tuple[str, ...] = (), image: bool = False
) -> None:
    """The file is not empty and its bytes are what its declared type and the names it went by say
    (a URL and the one it redirected to; the file's own name when none are given).

    A check on the first bytes only: it catches an error page, an empty or zero-filled "image", or a
    file of another kind, not a deliberately crafted polyglot.
    """
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise FetchRefused("the file is empty")
    sniffed = filetype.guess(head)
    actual = TYPE_ALIASES.get(sniffed.mime, sniffed.mime) if sniffed else ""
    named = (_type_of_name(name) for name in (names or (path.name,)))
    claims = {TYPE_ALIASES.get(t, t) for t in (declared_type, *named)}
    claims -= GENERIC_TYPES
    for claim in claims:
        if _recognisable(claim) and claim != actual:
            raise FetchRefused(f"the content is {_describe(actual)}, not {claim} as declared")
    if image and not actual.startswith("image/"):
        raise FetchRefused(f"the content is {_describe(actual)}, not an image")


def _recognisable(mime: str) -> bool:
    return any(kind.mime == mime for kind in filetype.TYPES)


def _describe(mime: str) -> str:
    return mime or "of no recognisable type"
