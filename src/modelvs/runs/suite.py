"""Prompt suites: YAML files of prompts, with optional images, categories and reference answers.

A suite file looks like this (image paths are relative to the suite file)::

    id: my-suite
    description: what the suite tests
    prompts:
      - id: receipt-total
        category: ocr
        text: What is the total on this receipt?
        images: [receipt.png]
        reference: "$23.10"

Quote references that look like numbers: YAML would read 23.10 as the number 23.1.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelvs.runs.endpoints import describe_validation_error
from modelvs.runs.errors import SuiteError

BUNDLED_SUITES_DIR = Path(__file__).parent / "suites"
IMAGE_MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
# The Pillow format name that each media type's bytes must have.
PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}
# A guard against sending a huge file by mistake: base64 makes every request a third larger.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


class PromptSpec(BaseModel):
    """One prompt as written in the suite file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    category: str = Field(min_length=1, max_length=100)
    images: list[str] = []
    reference: str | None = None

    @field_validator("reference", mode="before")
    @classmethod
    def _reference_as_text(cls, value: Any) -> Any:
        # YAML reads "reference: 155" as a number; a reference answer is always text.
        return str(value) if isinstance(value, int | float) else value


class SuiteFile(BaseModel):
    """The whole suite file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    prompts: list[PromptSpec] = Field(min_length=1)

    @field_validator("prompts")
    @classmethod
    def _unique_ids(cls, prompts: list[PromptSpec]) -> list[PromptSpec]:
        ids = [prompt.id for prompt in prompts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"prompt ids must be unique; repeated: {', '.join(repeated)}")
        return prompts


@dataclass(frozen=True, slots=True)
class SuiteImage:
    """An image file of a prompt, read into memory."""

    name: str
    media_type: str
    data: bytes

    def data_url(self) -> str:
        encoded = base64.b64encode(self.data).decode("ascii")
        return f"data:{self.media_type};base64,{encoded}"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt ready to send, with the SHA-256 of its text and image bytes."""

    id: str
    position: int
    text: str
    category: str
    reference: str | None
    images: tuple[SuiteImage, ...]
    hash: str

    def message_content(self) -> str | list[dict[str, Any]]:
        """Return the user message content in the OpenAI chat format.

        A text-only prompt is a plain string, which text-only servers accept. A prompt with
        images is a list of content parts: the images as base64 data URLs, then the text.
        """
        if not self.images:
            return self.text
        parts: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": image.data_url()}} for image in self.images
        ]
        parts.append({"type": "text", "text": self.text})
        return parts


@dataclass(frozen=True, slots=True)
class Suite:
    """A loaded suite; ``hash`` changes when any prompt, image, category or reference does."""

    id: str
    description: str | None
    path: Path
    prompts: tuple[Prompt, ...]
    hash: str


def resolve_suite(name_or_path: str) -> Suite:
    """Load a suite from a file path, else the bundled suite of that name (such as ``default``)."""
    path = Path(name_or_path)
    if path.is_file():
        return load_suite(path)
    bundled = BUNDLED_SUITES_DIR / f"{name_or_path}.yaml"
    if "/" not in name_or_path and bundled.is_file():
        return load_suite(bundled)
    names = ", ".join(sorted(p.stem for p in BUNDLED_SUITES_DIR.glob("*.yaml")))
    raise SuiteError(
        f"suite {name_or_path!r} not found: give the path of a suite YAML file or the name of"
        f" a bundled suite ({names})"
    )


def load_suite(path: Path) -> Suite:
    """Read and validate a suite file and every image it names."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = SuiteFile.model_validate(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SuiteError(f"cannot read the suite file {path}: {exc}") from None
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        raise SuiteError(f"invalid suite file {path}: {problems}") from None

    prompts = tuple(
        _prompt(spec_prompt, position, path) for position, spec_prompt in enumerate(spec.prompts)
    )
    suite_hash = _sha256_json(
        {
            "id": spec.id,
            "prompts": [
                {"id": p.id, "hash": p.hash, "category": p.category, "reference": p.reference}
                for p in prompts
            ],
        }
    )
    return Suite(spec.id, spec.description, path, prompts, suite_hash)


def _prompt(spec: PromptSpec, position: int, suite_path: Path) -> Prompt:
    images = tuple(_read_image(suite_path, name, spec.id) for name in spec.images)
    prompt_hash = _sha256_json(
        {"text": spec.text, "images": [hashlib.sha256(image.data).hexdigest() for image in images]}
    )
    return Prompt(spec.id, position, spec.text, spec.category, spec.reference, images, prompt_hash)


def _read_image(suite_path: Path, name: str, prompt_id: str) -> SuiteImage:
    """Read one image entry of a prompt, after checking where it is and what it contains.

    A suite may come from someone else, so an entry must not reach files outside the suite's
    folder (through an absolute path, ``..`` or a symlink), and its bytes must be an image of
    the type its extension claims. Errors never quote the file's bytes.
    """

    def fail(rule: str) -> SuiteError:
        return SuiteError(f"suite {suite_path}: prompt {prompt_id!r}, image {name!r}: {rule}")

    media_type = IMAGE_MEDIA_TYPES.get(Path(name).suffix.lower())
    if media_type is None:
        kinds = ", ".join(IMAGE_MEDIA_TYPES)
        raise fail(f"unsupported file type; use one of {kinds}")

    path = _image_path(suite_path, name, fail)
    try:
        # Read the resolved path so that the checked file is the one read.
        with path.open("rb") as file:
            data = file.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise fail(
            f"the file has more than the {MAX_IMAGE_BYTES:,} bytes that servers accept; shrink it"
        )

    _check_image_bytes(data, Path(name).suffix, fail)
    return SuiteImage(name, media_type, data)


def _image_path(suite_path: Path, name: str, fail: Callable[[str], SuiteError]) -> Path:
    """Resolve an image entry to a regular file inside the suite file's folder."""
    if Path(name).is_absolute():
        raise fail(
            "absolute paths are not allowed; give a path relative to the suite file's folder"
        )

    folder = suite_path.parent.resolve()
    try:
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        # Python 3.11 raises RuntimeError, not OSError, for a symlink loop.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(
            f"cannot read the file: {reason}; image paths are relative to the suite file"
        ) from None
    if not path.is_relative_to(folder):
        raise fail(
            f"the path resolves to a file outside the suite file's folder {folder}; copy the"
            " image into that folder"
        )

    # A FIFO or device would block or stream forever, and a folder has no bytes to send.
    if not stat.S_ISREG(path.stat().st_mode):
        raise fail("not a regular file; name an image file")
    return path


def _check_image_bytes(data: bytes, suffix: str, fail: Callable[[str], SuiteError]) -> None:
    """Raise unless ``data`` opens in Pillow as an undamaged image of the type ``suffix`` names."""
    expected = PILLOW_FORMATS[IMAGE_MEDIA_TYPES[suffix.lower()]]
    try:
        # Only the four formats that servers take are tried, so other Pillow decoders never
        # see the bytes.
        with Image.open(io.BytesIO(data), formats=list(PILLOW_FORMATS.values())) as image:
            found = image.format
            # NOTE: verify() checks the chunk checksums of PNG files. For JPEG, WebP and GIF,
            # Pillow 13 checks little beyond the header that open() already parsed.
            image.verify()
    except UnidentifiedImageError:
        raise fail("not a PNG, JPEG, WebP or GIF image; give an image file") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # Pillow's message can quote bytes of the file, so it is left out.
        raise fail(
            "the image is damaged, truncated or too large to decode; save it again"
        ) from None

    if found != expected:
        raise fail(
            f"the file is a {found} image but its extension {suffix!r} expects {expected};"
            " rename the file or convert the image"
        )


def _sha256_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
