"""Uploads lose their metadata: images are re-encoded without EXIF (GPS location included)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError


class BadUpload(ValueError):
    pass


@dataclass(frozen=True)
class StoredUpload:
    path: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    exif_stripped: bool


def strip_image_metadata(data: bytes, content_type: str) -> bytes:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise BadUpload("The photo could not be read.") from exc
    image = ImageOps.exif_transpose(image)  # keep the orientation the EXIF data described
    if image.mode not in ("RGB", "RGBA", "L", "LA"):  # palette and CMYK images: plain pixels first
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    # A new image from the pixels alone: no EXIF, XMP, ICC comments or other metadata survive.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
    if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(out, format=fmt)
    return out.getvalue()


def store_upload(upload: object) -> StoredUpload:
    data = upload.read()  # type: ignore[attr-defined]
    content_type = upload.content_type  # type: ignore[attr-defined]
    stripped = False
    if content_type.startswith("image/"):
        data = strip_image_metadata(data, content_type)
        stripped = True
    digest = hashlib.sha256(data).hexdigest()
    name = f"uploads/{timezone.now():%Y/%m}/{digest[:32]}"
    path = default_storage.save(name, ContentFile(data))
    return StoredUpload(path, str(upload.name)[:255], content_type, len(data), digest, stripped)  # type: ignore[attr-defined]
