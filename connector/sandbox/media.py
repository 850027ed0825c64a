"""Media for the sandbox PIM: deterministic PNGs, file codes shaped like the PIM's, multipart parsing."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import HTTP

_UNSAFE = re.compile(r"[^A-Za-z0-9._]")


def png_bytes(seed_text: str, size: int = 8) -> bytes:
    """A small valid PNG, one flat colour that depends on ``seed_text``."""
    pixel = hashlib.sha256(seed_text.encode()).digest()[:3]
    raw = b"".join(b"\x00" + pixel * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def media_code(name: str, filename: str) -> str:
    """A storage key like the PIM's: ``a/b/c/d/<sha1>_<file name with unsafe characters replaced>``."""
    digest = hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 - a storage path, not security
    return f"{digest[0]}/{digest[1]}/{digest[2]}/{digest[3]}/{digest}_{_UNSAFE.sub('_', filename)}"


def extension(filename: str | None) -> str:
    return filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""


class MultipartError(ValueError):
    pass


class Part:
    def __init__(self, headers: Message, content: bytes):
        self.name = headers.get_param("name", header="content-disposition")
        self.filename = headers.get_filename()
        self.content_type = headers.get_content_type() if headers.get("content-type") else None
        self.content = content

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """Split a ``multipart/form-data`` body into its named parts (bytes exactly as sent)."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not boundary:
        raise MultipartError("The multipart boundary is missing.")
    delimiter = b"--" + str(boundary).encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 3:
        raise MultipartError("The multipart body has no parts.")
    parts: dict[str, Part] = {}
    parser = BytesHeaderParser(policy=HTTP)
    for section in sections[1:]:
        if section.startswith(b"--"):
            break  # the closing delimiter
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, separator, content = section.partition(b"\r\n\r\n")
        if not separator:
            raise MultipartError("A multipart part has no header block.")
        if content.endswith(b"\r\n"):
            content = content[:-2]  # the line break belongs to the next delimiter
        part = Part(parser.parsebytes(head + b"\r\n\r\n"), content)
        if part.name:
            parts[part.name] = part
    return parts
