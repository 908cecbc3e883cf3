"""Prompt suites, and the default suite's images against its reference answers."""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml
from PIL import Image

from modelvs.runs.errors import SuiteError
from modelvs.runs.suite import BUNDLED_SUITES_DIR, Prompt, load_suite, resolve_suite
from modelvs.runs.suites import make_images

MAX_IMAGE_BYTES = 60 * 1024


@pytest.fixture(scope="module")
def prompts() -> dict[str, Prompt]:
    return {prompt.id: prompt for prompt in resolve_suite("default").prompts}


def reference(prompts: dict[str, Prompt], prompt_id: str) -> str:
    text = prompts[prompt_id].reference
    assert text is not None
    return text


def test_default_suite_covers_tasks(prompts: dict[str, Prompt]) -> None:
    categories = {prompt.category for prompt in prompts.values()}
    expected = {"ocr", "chart", "diagram", "document", "counting", "reasoning", "code"}
    assert categories == expected
    assert all(prompt.reference for prompt in prompts.values())


def test_default_images_small_pngs() -> None:
    for name in make_images.IMAGES:
        path = BUNDLED_SUITES_DIR / name
        assert path.stat().st_size < MAX_IMAGE_BYTES, name
        with Image.open(path) as image:
            assert image.format == "PNG"


def test_committed_images_match_script(tmp_path: Path) -> None:
    make_images.write_images(tmp_path)
    for name in make_images.IMAGES:
        with Image.open(tmp_path / name) as made, Image.open(BUNDLED_SUITES_DIR / name) as kept:
            same = made.convert("RGB").tobytes() == kept.convert("RGB").tobytes()
        assert same, f"{name} differs from make_images.py output; rerun the script"


def test_images_drawn_deterministically(tmp_path: Path) -> None:
    first = make_images.write_images(tmp_path / "first")
    second = make_images.write_images(tmp_path / "second")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_receipt_reference_true(prompts: dict[str, Prompt]) -> None:
    text = reference(prompts, "receipt-ocr")
    for name, price in make_images.RECEIPT_ITEMS:
        assert f"{name} {price:.2f}" in text
    subtotal, tax, total = make_images.receipt_totals()
    assert subtotal == sum(price for _, price in make_images.RECEIPT_ITEMS)
    assert f"Subtotal {subtotal:.2f}" in text
    assert f"tax 5% {tax:.2f}" in text
    assert f"total {total:.2f}" in text
    assert total == subtotal + tax


def test_chart_reference_true(prompts: dict[str, Prompt]) -> None:
    text = reference(prompts, "chart-reading")
    months = {"Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April"}
    months |= {"May": "May", "Jun": "June"}
    highest = max(make_images.CHART_VALUES, key=lambda entry: entry[1])
    lowest = min(make_images.CHART_VALUES, key=lambda entry: entry[1])
    assert text.startswith(f"{months[highest[0]]} had the highest sales, {highest[1]} units")
    assert f"{months[lowest[0]]} had the lowest, {lowest[1]} units" in text


def test_chart_bars_drawn_to_scale() -> None:
    with Image.open(BUNDLED_SUITES_DIR / "chart.png") as image:
        pixels = image.convert("RGB")
    for index, (month, units) in enumerate(make_images.CHART_VALUES):
        x = make_images.chart_bar_left_px(index) + 22
        bar_px = sum(
            1
            for y in range(pixels.height)
            if pixels.getpixel((x, y)) == make_images.CHART_BAR_COLOR
        )
        expected_px = make_images.chart_bar_height_px(units)
        assert abs(bar_px - expected_px) <= 1, month


def test_circle_counts_in_pixels(prompts: dict[str, Prompt]) -> None:
    with Image.open(BUNDLED_SUITES_DIR / "circles.png") as image:
        pixels = image.convert("RGB")
    found = Counter()
    for color, rgb in make_images.CIRCLE_COLORS.items():
        found[color] = count_blobs(pixels, rgb)
    assert dict(found) == make_images.CIRCLE_COUNTS

    total = sum(make_images.CIRCLE_COUNTS.values())
    text = reference(prompts, "count-circles")
    assert text.startswith(f"{total} circles, of which {make_images.CIRCLE_COUNTS['red']} are red")


def count_blobs(image: Image.Image, rgb: tuple[int, int, int]) -> int:
    """Count 4-connected regions of exactly ``rgb``."""
    width, height = image.size
    data = image.load()
    assert data is not None
    seen: set[tuple[int, int]] = set()
    blobs = 0
    for y in range(height):
        for x in range(width):
            if (x, y) in seen or data[x, y] != rgb:
                continue
            blobs += 1
            stack = [(x, y)]
            seen.add((x, y))
            while stack:
                cx, cy = stack.pop()
                for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                    inside = 0 <= nx < width and 0 <= ny < height
                    if inside and (nx, ny) not in seen and data[nx, ny] == rgb:
                        seen.add((nx, ny))
                        stack.append((nx, ny))
    return blobs


def test_diagram_reference_true(prompts: dict[str, Prompt]) -> None:
    text = reference(prompts, "diagram-question")
    targets = sorted(t for s, t in make_images.DIAGRAM_ARROWS if s == "App server")
    sources = [s for s, t in make_images.DIAGRAM_ARROWS if t == "App server"]
    assert targets == ["Cache", "Database"]
    assert "The App server sends requests to the Cache and the Database." in text
    assert sources == ["Load balancer"]
    assert "The Load balancer sends requests to the App server." in text


def test_document_reference_true(prompts: dict[str, Prompt]) -> None:
    text = reference(prompts, "document-question")
    document = " ".join(make_images.DOCUMENT_LINES)
    assert "pack your desk by 25 February 2026" in document
    assert "office at 48 Canal Road, 3rd floor" in document
    assert text == "By 25 February 2026. The new office is at 48 Canal Road, 3rd floor."


def test_reasoning_reference_true(prompts: dict[str, Prompt]) -> None:
    trip = dt.datetime(2026, 1, 1, 17, 15) - dt.datetime(2026, 1, 1, 14, 40)
    moving_min = trip.total_seconds() / 60 - (7 + 5)
    assert "14:40" in prompts["train-reasoning"].text
    assert reference(prompts, "train-reasoning").startswith(f"{moving_min:.0f} minutes")


def test_code_reference_correct(prompts: dict[str, Prompt]) -> None:
    namespace: dict[str, object] = {}
    exec(reference(prompts, "merge-intervals-code"), namespace)
    merge = namespace["merge_intervals"]
    assert callable(merge)
    assert merge([(1, 3), (3, 5)]) == [(1, 5)]
    assert merge([(8, 10), (1, 3), (2, 6)]) == [(1, 6), (8, 10)]
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]
    assert merge([]) == []


def test_image_prompt_content_parts(prompts: dict[str, Prompt]) -> None:
    content = prompts["receipt-ocr"].message_content()
    assert isinstance(content, list)
    image_part, text_part = content
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    decoded = base64.b64decode(url.split(",", 1)[1])
    assert decoded == (BUNDLED_SUITES_DIR / "receipt.png").read_bytes()
    assert text_part == {"type": "text", "text": prompts["receipt-ocr"].text}


def test_text_prompt_plain_string(prompts: dict[str, Prompt]) -> None:
    assert prompts["train-reasoning"].message_content() == prompts["train-reasoning"].text


def write(folder: Path, data: object) -> Path:
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_image_relative_to_suite(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "pics" / "dot.png")
    prompt = {"id": "p", "category": "c", "text": "t", "images": ["pics/dot.png"]}
    suite = load_suite(write(tmp_path, {"id": "s", "prompts": [prompt]}))
    assert suite.prompts[0].images[0].data == (tmp_path / "pics" / "dot.png").read_bytes()


def test_suite_hash_tracks_image_bytes(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4), (0, 0, 0)).save(tmp_path / "dot.png")
    prompt = {"id": "p", "category": "c", "text": "t", "images": ["dot.png"]}
    path = write(tmp_path, {"id": "s", "prompts": [prompt]})
    before = load_suite(path)
    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "dot.png")
    after = load_suite(path)
    assert before.hash != after.hash
    assert before.prompts[0].hash != after.prompts[0].hash


def test_numeric_reference_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("id: s\nprompts:\n- {id: p, category: c, text: t, reference: 155}\n")
    assert load_suite(path).prompts[0].reference == "155"


@pytest.mark.parametrize(
    ("prompts_data", "message"),
    [
        ([{"id": "p", "category": "c", "text": "t", "images": ["missing.png"]}], "missing.png"),
        ([{"id": "p", "category": "c", "text": "t", "images": ["notes.txt"]}], "unsupported"),
        ([{"id": "p", "category": "c", "text": "t"}] * 2, "repeated: p"),
        ([{"id": "p", "category": "c"}], r"prompts\[0\]\.text: required field is missing"),
        ([], "prompts"),
    ],
)
def test_invalid_suite_rejected(tmp_path: Path, prompts_data: object, message: str) -> None:
    path = write(tmp_path, {"id": "s", "prompts": prompts_data})
    with pytest.raises(SuiteError, match=message):
        load_suite(path)


def test_unknown_suite_lists_bundled() -> None:
    with pytest.raises(SuiteError, match=r"not found: .*\(default\)"):
        resolve_suite("no-such-suite")


def image_prompt_suite(folder: Path, image: str) -> Path:
    prompt = {"id": "look", "category": "c", "text": "t", "images": [image]}
    return write(folder, {"id": "s", "prompts": [prompt]})


def rejection(path: Path) -> str:
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    return str(caught.value)


def test_symlink_outside_folder_rejected(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    secret = tmp_path / "outside" / "secret.txt"
    secret.write_text("root:SECRET-HASH:19000:0:99999:7:::\n", encoding="utf-8")
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "link.png").symlink_to(secret)

    message = rejection(image_prompt_suite(tmp_path / "suite", "link.png"))

    assert "outside the suite file's folder" in message
    assert "'look'" in message
    assert "'link.png'" in message
    assert str(tmp_path / "suite" / "suite.yaml") in message
    assert "SECRET-HASH" not in message


def test_symlinked_folder_outside_rejected(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "outside" / "dot.png")
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "pics").symlink_to(tmp_path / "outside")

    message = rejection(image_prompt_suite(tmp_path / "suite", "pics/dot.png"))

    assert "outside the suite file's folder" in message


def test_symlink_inside_folder_accepted(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "dot.png")
    (tmp_path / "alias.png").symlink_to(tmp_path / "dot.png")

    suite = load_suite(image_prompt_suite(tmp_path, "alias.png"))

    assert suite.prompts[0].images[0].data == (tmp_path / "dot.png").read_bytes()


@pytest.mark.parametrize("entry", ["../dot.png", "pics/../../dot.png", "ABSOLUTE"])
def test_image_escape_rejected(tmp_path: Path, entry: str) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "dot.png")
    (tmp_path / "suite" / "pics").mkdir(parents=True)
    if entry == "ABSOLUTE":
        entry = str(tmp_path / "dot.png")

    message = rejection(image_prompt_suite(tmp_path / "suite", entry))

    assert "suite file's folder" in message
    assert repr(entry) in message


def test_image_directory_rejected(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()

    message = rejection(image_prompt_suite(tmp_path, "folder.png"))

    assert "not a regular file" in message


def test_text_named_png_rejected(tmp_path: Path) -> None:
    (tmp_path / "fake.png").write_text("PRIVATE NOTES, not an image\n", encoding="utf-8")

    message = rejection(image_prompt_suite(tmp_path, "fake.png"))

    assert "not a PNG, JPEG, WebP or GIF image" in message
    assert "'fake.png'" in message
    assert "PRIVATE NOTES" not in message


def test_image_format_must_match_extension(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "photo.png", format="JPEG")

    message = rejection(image_prompt_suite(tmp_path, "photo.png"))

    assert "is a JPEG image but its extension '.png' expects PNG" in message


def test_truncated_png_rejected(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64), (10, 20, 30)).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) - 20])

    message = rejection(image_prompt_suite(tmp_path, "cut.png"))

    assert "damaged" in message


@pytest.mark.parametrize(
    ("name", "pillow_format", "media_type"),
    [
        ("a.png", "PNG", "image/png"),
        ("a.jpg", "JPEG", "image/jpeg"),
        ("a.jpeg", "JPEG", "image/jpeg"),
        ("a.webp", "WEBP", "image/webp"),
        ("a.gif", "GIF", "image/gif"),
        ("A.PNG", "PNG", "image/png"),
    ],
)
def test_image_formats_accepted(
    tmp_path: Path, name: str, pillow_format: str, media_type: str
) -> None:
    Image.new("RGB", (8, 8), (200, 30, 30)).save(tmp_path / name, format=pillow_format)

    image = load_suite(image_prompt_suite(tmp_path, name)).prompts[0].images[0]

    assert image.media_type == media_type
    assert image.data == (tmp_path / name).read_bytes()


def test_symlink_loop_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")

    message = rejection(image_prompt_suite(tmp_path, "a.png"))

    assert "cannot read the file" in message
