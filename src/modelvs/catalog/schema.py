"""Pydantic schema of the catalog files under ``data/``.

A fact is stored as ``{value: ..., source: KEY}`` where ``KEY`` names an entry of the
model file's ``sources`` map. A missing fact is simply absent (or ``value: null``): it means
"not published" and is never replaced by a default.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

T = TypeVar("T")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$"
VARIANT_PATTERN = r"^[a-z0-9][a-z0-9.\-]*(/[a-z0-9][a-z0-9.\-]*)*$"
PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
# Comparison URLs join two model slugs with this separator: /compare/A-vs-B.
PAIR_SEPARATOR = "-vs-"

# Bounds that catch typos such as a missing decimal point; no real value comes near them.
EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2100, 1, 1)
MAX_PRICE_USD_PER_MTOK = 10_000
MAX_ITEMS = 100_000_000
MAX_TOKENS = 1_000_000_000

CatalogDate = Annotated[dt.date, Field(ge=EARLIEST_DATE, lt=LATEST_DATE)]
PriceUsdPerMtok = Annotated[float, Field(gt=0, lt=MAX_PRICE_USD_PER_MTOK, allow_inf_nan=False)]
ItemCount = Annotated[int, Field(gt=0, lt=MAX_ITEMS)]


def _check_partial_date(value: str) -> str:
    if not PARTIAL_DATE.match(value):
        raise ValueError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(value[:4])
    if not EARLIEST_DATE.year <= year < LATEST_DATE.year:
        raise ValueError(
            f"year {year} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year - 1}; check it"
        )
    return value


PartialDate = Annotated[str, AfterValidator(_check_partial_date)]


class Strict(BaseModel):
    """Base for catalog records: unknown keys are errors, so typos cannot hide facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    SELF_REPORTED = "self-reported"
    THIRD_PARTY = "third-party"
    MEASURED = "measured"


class Source(Strict):
    """Where a fact comes from."""

    url: HttpUrl
    title: str = Field(min_length=1, max_length=300)
    kind: SourceKind
    retrieved: CatalogDate
    publisher: str | None = Field(
        default=None,
        description="Who published the source when it differs from the model's organization.",
    )


class Fact(Strict, Generic[T]):
    """A value with the key of its source in the file's ``sources`` map."""

    value: T | None = None
    source: str | None = None
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _value_needs_source(self) -> Fact[T]:
        if self.value is not None and not self.source:
            raise ValueError("a value needs a source: add 'source: KEY' naming an entry of sources")
        return self


class ReleaseKind(StrEnum):
    WEIGHTS = "weights"
    API = "api"
    ANNOUNCEMENT = "announcement"


class Release(Strict):
    """First public availability and what it was."""

    date: CatalogDate
    marks: ReleaseKind
    source: str
    note: str | None = Field(default=None, max_length=500)


class Architecture(StrEnum):
    DENSE = "dense"
    MOE = "mixture-of-experts"


# Concrete subclasses of the generic Fact have importable names, so that loaded catalogs can
# be pickled into the cache (a parametrized generic class cannot be found by pickle).
class BillionsFact(Fact[Annotated[float, Field(gt=0, lt=100_000)]]):
    """A parameter count in billions."""


class TokensFact(Fact[Annotated[int, Field(gt=0, lt=MAX_TOKENS)]]):
    """A token count."""


class BoolFact(Fact[bool]):
    """A yes-or-no fact."""


class Parameters(Strict):
    """Parameter counts in billions. ``active_billions`` is for mixture-of-experts models."""

    total_billions: BillionsFact = BillionsFact()
    active_billions: BillionsFact = BillionsFact()


class ConflictingValue(Strict):
    """A published value that disagrees with the one the catalog uses."""

    field: str
    value: str | int | float
    source: str
    note: str | None = None


class Context(Strict):
    """Context window in tokens."""

    input_tokens: TokensFact = TokensFact()
    max_output_tokens: TokensFact = TokensFact()
    conflicts: list[ConflictingValue] = []


class Modality(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class ModalitiesFact(Fact[list[Modality]]):
    """A list of modalities."""


class Modalities(Strict):
    input: ModalitiesFact = ModalitiesFact()
    output: ModalitiesFact = ModalitiesFact()


class LicenseCategory(StrEnum):
    PERMISSIVE = "permissive"
    COPYLEFT = "copyleft"
    RESTRICTED = "restricted"
    PROPRIETARY = "proprietary"


class License(Strict):
    """One license; ``spdx`` is set only where an SPDX identifier exists."""

    name: str = Field(min_length=1)
    spdx: str | None = None
    category: LicenseCategory
    commercial_use: bool | None = Field(
        description="True when commercial use is allowed; null when the terms leave it unclear."
    )
    url: HttpUrl | None = None
    source: str
    note: str | None = Field(default=None, max_length=500)


class Licenses(Strict):
    code: License | None = None
    weights: License | None = None


class Links(Strict):
    weights: HttpUrl | None = None
    paper: HttpUrl | None = None
    model_card: HttpUrl | None = None
    api_docs: HttpUrl | None = None


class Setting(Strict):
    """How a score was obtained. ``None`` means the source does not say."""

    shots: int | None = Field(default=None, ge=0)
    chain_of_thought: bool | None = None
    thinking: bool | None = None
    judge: str | None = None
    harness: str | None = None


class Score(Strict):
    """One value on one benchmark variant, on the variant's own scale."""

    variant: str = Field(pattern=VARIANT_PATTERN)
    value: float = Field(ge=0, allow_inf_nan=False)
    setting: Setting = Setting()
    source: str
    items: ItemCount | None = Field(
        default=None, description="Items actually evaluated when fewer than the variant's."
    )
    stderr: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Standard error, same scale."
    )
    note: str | None = Field(default=None, max_length=500)


class PriceState(StrEnum):
    PAID = "paid"
    FREE = "free"
    VARIES = "varies"


class Price(Strict):
    """A provider's list price in USD per 1M tokens on a date."""

    provider: Slug
    state: PriceState = PriceState.PAID
    input_usd_per_mtok: PriceUsdPerMtok | None = None
    output_usd_per_mtok: PriceUsdPerMtok | None = None
    date: CatalogDate
    source: str
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _paid_needs_prices(self) -> Price:
        has_price = self.input_usd_per_mtok is not None or self.output_usd_per_mtok is not None
        if self.state is PriceState.PAID and not has_price:
            raise ValueError("a paid price needs input_usd_per_mtok or output_usd_per_mtok")
        if self.state is not PriceState.PAID and has_price:
            raise ValueError(f"a {self.state.value!r} price carries no amounts; remove them")
        return self


class ArchitectureFact(Fact[Architecture]):
    """Dense or mixture-of-experts."""


class PartialDateFact(Fact[PartialDate]):
    """A date given as YYYY, YYYY-MM or YYYY-MM-DD."""


class Model(Strict):
    """One model file, ``data/models/<organization>/<slug>.yaml``."""

    slug: Slug
    name: str = Field(min_length=1, max_length=120)
    aliases: list[str] = []
    organization: Slug
    family: Slug | None = None
    description: str | None = Field(default=None, max_length=600)
    sources: dict[str, Source]
    release: Release | None = None
    architecture: ArchitectureFact = ArchitectureFact()
    parameters: Parameters = Parameters()
    context: Context = Context()
    modalities: Modalities = Modalities()
    license: Licenses = Licenses()
    open_weights: BoolFact = BoolFact()
    knowledge_cutoff: PartialDateFact = PartialDateFact()
    links: Links = Links()
    scores: list[Score] = []
    prices: list[Price] = []

    @field_validator("slug")
    @classmethod
    def _slug_fits_compare_urls(cls, slug: str) -> str:
        # "a-vs" would make "/compare/a-vs-vs-b" split as "a" and "vs-b".
        if PAIR_SEPARATOR in slug or slug.endswith(PAIR_SEPARATOR.rstrip("-")):
            raise ValueError(
                f"{slug!r} contains {PAIR_SEPARATOR!r} or ends in '-vs', which breaks comparison"
                " URLs (/compare/A-vs-B); rename it, for example with 'versus'"
            )
        return slug

    @model_validator(mode="after")
    def _moe_active_not_total(self) -> Model:
        total = self.parameters.total_billions.value
        active = self.parameters.active_billions.value
        if total is not None and active is not None and active > total:
            raise ValueError(f"active parameters ({active} B) exceed total ({total} B)")
        return self


class Organization(Strict):
    slug: Slug
    name: str
    url: HttpUrl
    aliases: list[str] = []


class Provider(Strict):
    slug: Slug
    name: str
    url: HttpUrl


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Variant(Strict):
    """One comparable form of a benchmark.

    ``split: unspecified`` records scores whose source does not name the split; such scores
    are shown but never counted as equal to each other.
    """

    id: str = Field(pattern=VARIANT_PATTERN)
    version: str | None = None
    split: str | None = None
    language: str | None = None
    subset: str | None = None
    metric: str
    scale_max: float = Field(
        gt=0, allow_inf_nan=False, description="Maximum raw value: 100, 1000 for OCRBench v1."
    )
    direction: Direction = Direction.HIGHER
    items: ItemCount | None = None
    items_source: HttpUrl | None = None
    per_item_mean: bool = Field(
        default=True,
        description="True when the score is a mean of per-item values in [0, 1] (accuracy,"
        " ANLS); False for sums of sub-scores such as MME, where no binomial interval exists.",
    )
    aliases: list[str] = []

    @model_validator(mode="after")
    def _items_need_source(self) -> Variant:
        if self.items is not None and self.items_source is None:
            raise ValueError("items needs items_source: the URL that states the item count")
        return self


Category = Literal[
    "general-vqa",
    "ocr-documents",
    "charts-diagrams",
    "math-reasoning",
    "multidisciplinary",
    "hallucination",
    "real-world",
    "knowledge",
    "coding",
    "instruction-following",
]


class Benchmark(Strict):
    slug: Slug
    name: str
    aliases: list[str] = []
    category: Category
    description: str = Field(min_length=20, max_length=600)
    home_url: HttpUrl
    paper_url: HttpUrl | None = None
    variants: list[Variant] = Field(min_length=1)


class OrganizationsFile(Strict):
    organizations: list[Organization]


class ProvidersFile(Strict):
    providers: list[Provider]


class BenchmarksFile(Strict):
    benchmarks: list[Benchmark]
