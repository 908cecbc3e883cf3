"""Draw the images of the default prompt suite with Pillow.

Usage: python src/modelvs/runs/suites/make_images.py [--output-dir DIR]

The images are drawn from the constants below, which the reference answers in default.yaml
restate; tests/test_runs_suite.py checks both against each other and the drawn pixels. Text uses
Pillow's built-in font (Aileron), so no system font is needed. The circle layout comes from a
seeded random generator, so every run draws the same images.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SUITE_DIR = Path(__file__).parent
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (200, 200, 200)

RECEIPT_STORE = "CORNER MARKET"
RECEIPT_ITEMS = (
    ("Apples 1.5 kg", Decimal("4.20")),
    ("Whole milk 2 L", Decimal("2.65")),
    ("Sourdough bread", Decimal("3.80")),
    ("Coffee beans 250 g", Decimal("7.95")),
    ("Eggs (12)", Decimal("3.40")),
)
RECEIPT_TAX_RATE = Decimal("0.05")

CHART_TITLE = "Monthly sales (units)"
CHART_VALUES = (("Jan", 42), ("Feb", 57), ("Mar", 35), ("Apr", 68), ("May", 51), ("Jun", 60))
CHART_BAR_COLOR = (52, 101, 164)
CHART_TOP_UNITS = 80
CHART_PLOT_TOP_PX = 60
CHART_PLOT_BOTTOM_PX = 300

DIAGRAM_BOXES = {
    "Browser": (20, 50),
    "Load balancer": (200, 50),
    "App server": (380, 50),
    "Cache": (560, 50),
    "Database": (380, 200),
}
DIAGRAM_ARROWS = (
    ("Browser", "Load balancer"),
    ("Load balancer", "App server"),
    ("App server", "Database"),
    ("App server", "Cache"),
)
DIAGRAM_BOX_SIZE_PX = (130, 60)

DOCUMENT_LINES = (
    "MEMORANDUM",
    "",
    "To: All project staff",
    "From: Dana Whitfield, Operations",
    "Date: 3 February 2026",
    "Subject: Office move",
    "",
    "The Riverside office will close on Friday 27 February 2026.",
    "From Monday 2 March 2026, all teams will work from the new",
    "office at 48 Canal Road, 3rd floor.",
    "",
    "Please pack your desk by 25 February 2026. Boxes are",
    "available in room 2.14. IT will move the computers over",
    "the weekend of 28 February.",
    "",
    "Questions go to the facilities desk, extension 4410.",
)

CIRCLE_COLORS = {"red": (214, 39, 40), "blue": (31, 119, 180), "green": (44, 160, 44)}
CIRCLE_COUNTS = {"red": 4, "blue": 3, "green": 2}
CIRCLE_RADIUS_PX = 26
CIRCLE_SEED = 20261204
CIRCLE_CANVAS_PX = (480, 320)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def receipt_totals() -> tuple[Decimal, Decimal, Decimal]:
    """Return the subtotal, tax and total of the receipt, rounded to cents."""
    subtotal = sum((price for _, price in RECEIPT_ITEMS), Decimal("0"))
    tax = (subtotal * RECEIPT_TAX_RATE).quantize(Decimal("0.01"))
    return subtotal, tax, subtotal + tax


def draw_receipt() -> Image.Image:
    image = Image.new("L", (360, 470), 255)
    draw = ImageDraw.Draw(image)
    left, right = 24, 336
    draw.text((180, 24), RECEIPT_STORE, font=font(24), fill=0, anchor="mt")
    draw.text((180, 58), "12 Harbor Street", font=font(16), fill=0, anchor="mt")
    draw.text((180, 80), "2026-03-14  10:42", font=font(16), fill=0, anchor="mt")
    y = 116
    draw.line((left, y, right, y), fill=0, width=1)
    y += 14
    for name, price in RECEIPT_ITEMS:
        draw.text((left, y), name, font=font(18), fill=0)
        draw.text((right, y), f"{price:.2f}", font=font(18), fill=0, anchor="ra")
        y += 30
    draw.line((left, y, right, y), fill=0, width=1)
    y += 14
    subtotal, tax, total = receipt_totals()
    rows = (
        ("Subtotal", subtotal, 18),
        (f"Tax {RECEIPT_TAX_RATE * 100:.0f}%", tax, 18),
        ("TOTAL", total, 22),
    )
    for label, amount, size in rows:
        draw.text((left, y), label, font=font(size), fill=0)
        draw.text((right, y), f"{amount:.2f}", font=font(size), fill=0, anchor="ra")
        y += 32
    draw.text((180, y + 16), "Paid by card. Thank you!", font=font(16), fill=0, anchor="mt")
    return image


def chart_bar_height_px(units: int) -> int:
    plot_height_px = CHART_PLOT_BOTTOM_PX - CHART_PLOT_TOP_PX
    return round(units * plot_height_px / CHART_TOP_UNITS)


def chart_bar_left_px(index: int) -> int:
    return 80 + index * 70


def draw_chart() -> Image.Image:
    image = Image.new("RGB", (520, 360), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((260, 18), CHART_TITLE, font=font(20), fill=BLACK, anchor="mt")
    for units in range(0, CHART_TOP_UNITS + 1, 20):
        y = CHART_PLOT_BOTTOM_PX - chart_bar_height_px(units)
        draw.line((60, y, 500, y), fill=GREY, width=1)
        draw.text((52, y), str(units), font=font(14), fill=BLACK, anchor="rm")
    for index, (month, units) in enumerate(CHART_VALUES):
        x = chart_bar_left_px(index)
        top = CHART_PLOT_BOTTOM_PX - chart_bar_height_px(units)
        draw.rectangle((x, top, x + 44, CHART_PLOT_BOTTOM_PX - 1), fill=CHART_BAR_COLOR)
        draw.text((x + 22, top - 4), str(units), font=font(14), fill=BLACK, anchor="mb")
        draw.text(
            (x + 22, CHART_PLOT_BOTTOM_PX + 10), month, font=font(16), fill=BLACK, anchor="mt"
        )
    draw.line((60, CHART_PLOT_BOTTOM_PX, 500, CHART_PLOT_BOTTOM_PX), fill=BLACK, width=2)
    return image


def _box_center(name: str) -> tuple[int, int]:
    x, y = DIAGRAM_BOXES[name]
    width, height = DIAGRAM_BOX_SIZE_PX
    return x + width // 2, y + height // 2


def _arrow(draw: ImageDraw.ImageDraw, source: str, target: str) -> None:
    """Draw an arrow between the facing edges of two boxes in the same row or column."""
    (sx, sy), (tx, ty) = _box_center(source), _box_center(target)
    half_width, half_height = DIAGRAM_BOX_SIZE_PX[0] // 2, DIAGRAM_BOX_SIZE_PX[1] // 2
    if sy == ty:
        step = 1 if tx > sx else -1
        start, end = (sx + step * half_width, sy), (tx - step * half_width, ty)
        head = [end, (end[0] - step * 12, end[1] - 7), (end[0] - step * 12, end[1] + 7)]
    elif sx == tx:
        step = 1 if ty > sy else -1
        start, end = (sx, sy + step * half_height), (tx, ty - step * half_height)
        head = [end, (end[0] - 7, end[1] - step * 12), (end[0] + 7, end[1] - step * 12)]
    else:
        raise ValueError(f"boxes {source!r} and {target!r} share no row or column")
    draw.line((start, end), fill=BLACK, width=3)
    draw.polygon(head, fill=BLACK)


def draw_diagram() -> Image.Image:
    image = Image.new("RGB", (710, 290), WHITE)
    draw = ImageDraw.Draw(image)
    width, height = DIAGRAM_BOX_SIZE_PX
    for name, (x, y) in DIAGRAM_BOXES.items():
        draw.rectangle((x, y, x + width, y + height), fill=(235, 242, 250), outline=BLACK, width=2)
        draw.text(_box_center(name), name, font=font(17), fill=BLACK, anchor="mm")
    for source, target in DIAGRAM_ARROWS:
        _arrow(draw, source, target)
    return image


def draw_document() -> Image.Image:
    image = Image.new("L", (560, 520), 255)
    draw = ImageDraw.Draw(image)
    y = 36
    for index, line in enumerate(DOCUMENT_LINES):
        size = 24 if index == 0 else 16
        draw.text((40, y), line, font=font(size), fill=0)
        y += 36 if index == 0 else 26
    draw.line((40, 70, 520, 70), fill=0, width=1)
    draw.text((280, 490), "Page 1 of 1", font=font(13), fill=90, anchor="mt")
    return image


@dataclass(frozen=True, slots=True)
class Circle:
    color: str
    center_px: tuple[int, int]


def circle_layout() -> list[Circle]:
    """Place the circles on a 6 x 4 grid of cells, in seeded random cells with seeded offsets.

    Cells are 80 px apart and offsets at most 8 px, so circles of radius 26 px never touch.
    """
    rng = random.Random(CIRCLE_SEED)
    cells = [(column, row) for row in range(4) for column in range(6)]
    colors = [color for color, count in CIRCLE_COUNTS.items() for _ in range(count)]
    chosen = rng.sample(cells, len(colors))
    rng.shuffle(colors)
    circles = []
    for (column, row), color in zip(chosen, colors, strict=True):
        x = 40 + column * 80 + rng.randint(-8, 8)
        y = 40 + row * 80 + rng.randint(-8, 8)
        circles.append(Circle(color, (x, y)))
    return circles


def draw_circles() -> Image.Image:
    image = Image.new("RGB", CIRCLE_CANVAS_PX, WHITE)
    draw = ImageDraw.Draw(image)
    radius = CIRCLE_RADIUS_PX
    for circle in circle_layout():
        x, y = circle.center_px
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=CIRCLE_COLORS[circle.color]
        )
    return image


IMAGES = {
    "receipt.png": draw_receipt,
    "chart.png": draw_chart,
    "diagram.png": draw_diagram,
    "document.png": draw_document,
    "circles.png": draw_circles,
}


def write_images(folder: Path) -> list[Path]:
    """Draw every image into ``folder`` and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in IMAGES.items():
        image = draw()
        # A 32-colour palette keeps each PNG small; the drawings use only a few colours plus
        # the grey levels of anti-aliased text.
        if image.mode == "RGB":
            image = image.quantize(
                colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
        path = folder / name
        image.save(path, format="PNG", optimize=True)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=SUITE_DIR,
        help="Folder to write the PNG files to (default: next to this script).",
    )
    args = parser.parse_args()
    for path in write_images(args.output_dir):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
