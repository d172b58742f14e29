"""Checks on uploaded materials, by content and never by file name.

A file is accepted when its bytes are a PDF with at least one page, or a JPEG/PNG image that
decodes and is not blank. Everything else gets a message saying what is accepted.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from onewindow.core.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Inspected:
    content_type: str
    extension: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "ONEWINDOW_MATERIAL_MAX_BYTES", 10 * 1024 * 1024))


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_file", field_errors={field: [message]})


def inspect(data: bytes, *, field: str = "file") -> Inspected:
    """Identify ``data``; raise :class:`ValidationFailed` (field ``field``) when unusable."""
    size = len(data)
    if size == 0 or not data.strip():
        raise _fail(field, _("文件是空的，请重新选择。"))
    if size > max_bytes():
        raise _fail(field, _("文件不能超过 %(mb)d MB。") % {"mb": max_bytes() // (1024 * 1024)})
    digest = hashlib.sha256(data).hexdigest()
    head = data[:8]
    if head.startswith(b"%PDF-"):
        if b"/Page" not in data or b"%%EOF" not in data[-2048:]:
            raise _fail(field, _("PDF 文件已损坏或没有页面。"))
        return Inspected("application/pdf", "pdf", size, digest)
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff"):
        kind = ("image/png", "png") if head.startswith(b"\x89PNG") else ("image/jpeg", "jpg")
        _check_image(data, field)
        return Inspected(kind[0], kind[1], size, digest)
    raise _fail(field, _("只接受 PDF、JPG、PNG 格式的文件（按文件内容识别，改扩展名无效）。"))


def _check_image(data: bytes, field: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if img.width < 16 or img.height < 16:
                raise _fail(field, _("图片太小，无法辨认内容。"))
            if img.width * img.height > 80_000_000:
                raise _fail(field, _("图片尺寸过大。"))
            img.draft("L", (256, 256))
            extrema = img.convert("L").getextrema()
            low, high = int(extrema[0]), int(extrema[1])  # type: ignore[arg-type,index]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _fail(field, _("图片文件已损坏，无法打开。")) from exc
    if high - low < 8:
        raise _fail(field, _("图片是空白的，请拍摄或扫描材料原件。"))
