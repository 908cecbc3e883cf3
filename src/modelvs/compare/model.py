"""The ``Comparison`` object: every section of a comparison page, computed once.

Every renderer (terminal, Markdown, JSON, HTML, the web API) reads this object and nothing else,
so they cannot disagree. Unknown values are ``None`` and render as "not published".
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(frozen=True)


class SourceRef(Section):
    """A citation shown beside a fact."""

    url: str
    title: str
    kind: str
    retrieved: dt.date


class Cell(Section):
    """One model's value for one field: display text plus its source (``None`` when unknown)."""

    text: str
    known: bool
    source: SourceRef | None = None


class ModelSummary(Section):
    slug: str
    name: str
    organization: str
    family: str | None
    open_weights: bool | None
    description: str | None


class Strength(StrEnum):
    DECISIVE = "decisive"
    CLEAR = "clear"
    SLIGHT = "slight"
    EVEN = "even"
    INSUFFICIENT = "insufficient evidence"


class Verdict(Section):
    """The headline conclusion of one pair, only as strong as its evidence."""

    model_a: str
    model_b: str
    leader: str | None
    strength: Strength
    headline: str
    wins_a: int
    wins_b: int
    tested: int
    shared: int
    caveats: list[str]


class ScoreValue(Section):
    """A raw score on its variant's scale, its 0-100 display value and 95% interval.

    The interval bounds are on the 0-100 display scale; ``None`` when the item count is unknown
    or the metric is not a mean of per-item results.
    """

    raw: float
    display: float
    low: float | None
    high: float | None
    text: str
    setting: str
    source: SourceRef


class SharedScore(Section):
    """One variant both models have, under comparable settings."""

    variant: str
    benchmark: str
    category: str
    metric: str
    a: ScoreValue
    b: ScoreValue
    difference: float
    low: float | None
    high: float | None
    significant: bool
    counted: bool
    winner: str | None
    method: str


class SingleScore(Section):
    variant: str
    benchmark: str
    model: str
    score: ScoreValue


class LeftOut(Section):
    """A score pair that was not compared, with the reason."""

    variant: str
    benchmark: str
    reason: str


class PairComparison(Section):
    """Benchmarks and verdict of one pair of models."""

    model_a: str
    model_b: str
    verdict: Verdict
    shared: list[SharedScore]
    only_one: list[SingleScore]
    left_out: list[LeftOut]


class TableRow(Section):
    """A row of the N-way benchmark table: one variant, one cell per model."""

    variant: str
    benchmark: str
    category: str
    cells: list[ScoreValue | None]


class Reason(Section):
    kind: str
    text: str


class ChooseIf(Section):
    model: str
    reasons: list[Reason]


class ArenaRating(Section):
    """One model's Bradley-Terry arena rating with its 95% interval; None without votes."""

    model: str
    rating: float | None
    low: float | None
    high: float | None
    rank: int | None
    votes: int
    provisional: bool


class ArenaSection(Section):
    status: str
    ratings: list[ArenaRating] = []
    sentences: list[str] = []


class PriceLine(Section):
    """One model's cheapest list prices."""

    model: str
    input_usd_per_mtok: float | None
    input_provider: str | None
    output_usd_per_mtok: float | None
    output_provider: str | None
    blended_usd_per_mtok: float | None
    blended_provider: str | None
    states: list[str]
    date: dt.date | None
    source: SourceRef | None


class PricingSection(Section):
    ratio_input: int
    ratio_output: int
    lines: list[PriceLine]
    sentences: list[str]


class MemoryEstimate(Section):
    precision: str
    bytes_per_parameter: float
    gib: float


class SizeLine(Section):
    model: str
    architecture: str | None
    total_billions: float | None
    active_billions: float | None
    active_is_derived: bool
    memory: list[MemoryEstimate]
    total: Cell
    active: Cell


class SizeSection(Section):
    lines: list[SizeLine]
    sentences: list[str]
    note: str


class FactSection(Section):
    """A section made of one row of cells per field plus summary sentences."""

    rows: list[DetailRow]
    sentences: list[str]


class TimelineLine(Section):
    model: str
    date: dt.date | None
    marks: str | None
    age_months: int | None
    source: SourceRef | None


class TimelineSection(Section):
    lines: list[TimelineLine]
    sentences: list[str]


class OutputAnswer(Section):
    """One model's answer to one prompt with its measurements; None when not measured."""

    model: str
    text: str | None
    error: str | None
    latency_s: float | None
    ttft_s: float | None
    output_tokens: int | None
    tokens_per_s: float | None
    cost_usd: float | None
    endpoint: str | None


class OutputPrompt(Section):
    prompt_id: str
    prompt: str
    category: str
    answers: list[OutputAnswer]


class OutputsSection(Section):
    """One page of recorded prompts: those every model answered first, then suite order."""

    status: str
    prompts: list[OutputPrompt] = []
    total_prompts: int = 0
    page: int = 1
    pages: int = 1


class Takeaways(Section):
    model: str
    points: list[str]


class DetailRow(Section):
    """One field of every model; ``field`` is its dotted path in a model file, if it has one."""

    label: str
    cells: list[Cell]
    field: str | None = None


class FaqItem(Section):
    question: str
    answer: str


class Comparison(Section):
    """Everything computed for two or more models as of one date."""

    as_of: dt.date
    models: list[ModelSummary]
    headline: str
    pairs: list[PairComparison]
    choose: list[ChooseIf]
    table: list[TableRow]
    arena: ArenaSection
    pricing: PricingSection
    size: SizeSection
    context: FactSection
    modalities: FactSection
    license: FactSection
    timeline: TimelineSection
    knowledge_cutoff: FactSection
    outputs: OutputsSection
    takeaways: list[Takeaways]
    details: list[DetailRow]
    faq: list[FaqItem]

    @property
    def slugs(self) -> list[str]:
        return [m.slug for m in self.models]

    def name_of(self, slug: str) -> str:
        for model in self.models:
            if model.slug == slug:
                return model.name
        return slug


FactSection.model_rebuild()
