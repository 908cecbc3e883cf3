"""Images attached to arena prompts: validated with Pillow and stored by content hash."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from modelvs.errors import UsageError

IMAGE_DIR = Path("var") / "arena-images"
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
IMAGE_REF = re.compile(r"^[0-9a-f]{64}\.(png|jpeg|webp)$")


def store_image(data: bytes, folder: Path = IMAGE_DIR) -> str:
    """Check that ``data`` is a PNG, JPEG or WebP image and store it; return its reference."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UsageError(
            f"the image has {len(data):,} bytes; attach one of at most {MAX_IMAGE_BYTES:,}"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise UsageError(
            "the attachment is not a readable image; attach a PNG, JPEG or WebP"
        ) from None
    if kind not in FORMATS:
        raise UsageError(f"{kind or 'this'} images are not accepted; attach a PNG, JPEG or WebP")
    if width * height > MAX_IMAGE_PIXELS:
        raise UsageError(f"the image is {width}x{height} pixels; attach a smaller one")
    reference = f"{hashlib.sha256(data).hexdigest()}.{kind.lower()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / reference).write_bytes(data)
    return reference


def load_image(reference: str, folder: Path = IMAGE_DIR) -> tuple[bytes, str]:
    """Return the bytes and media type of a stored image."""
    if not IMAGE_REF.match(reference):
        raise UsageError(f"invalid image reference {reference!r}")
    path = folder / reference
    if not path.exists():
        raise UsageError(f"image {reference!r} not found")
    media_type = FORMATS[reference.rsplit(".", 1)[1].upper()]
    return path.read_bytes(), media_type


def data_url(reference: str, folder: Path = IMAGE_DIR) -> str:
    data, media_type = load_image(reference, folder)
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
