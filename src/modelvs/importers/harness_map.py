"""Mapping tables from evaluation-harness task and dataset names to registry variants.

A name missing from a table is reported and never guessed. Names overlap
(``MMBench_DEV_EN`` is a prefix of ``MMBench_DEV_EN_V11``), so names found inside file names
are matched longest first. Names known to have no registry variant are listed too, so that
they are not taken for a shorter name they start with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """The scale a harness writes a value on."""

    FRACTION = "fraction"  # a share from 0 to 1 of the variant's maximum
    PERCENT = "percent"  # 0 to 100
    RAW = "raw"  # already on the variant's own scale (OCRBench count, MME sum)
    AUTO = "auto"  # decided from the value: see scores.to_variant_scale


class Combine(StrEnum):
    """The rule that makes one score from the values of several metrics."""

    FIRST = "first"  # one metric
    SUM = "sum"  # MME: perception + cognition
    MEAN = "mean"  # HallusionBench: mean of aAcc, fAcc and qAcc


@dataclass(frozen=True, slots=True)
class TaskMap:
    """One harness task (or dataset) and the registry variant its score belongs to.

    ``metrics`` names the metrics to read; ``a|b`` accepts either spelling and ``name,filter``
    (lm-eval's key form) pins the filter. ``variant`` is ``None`` for a known name with no
    registry variant, and ``reason`` gives the cause. ``divides_by_full_set`` marks a harness that
    divides a count by the full set's size even when a run covers fewer items.
    """

    name: str
    variant: str | None
    metrics: tuple[str, ...] = ()
    unit: Unit = Unit.AUTO
    combine: Combine = Combine.FIRST
    chain_of_thought: bool | None = None
    row: str | None = None
    items_column: str | None = None
    reason: str = ""
    divides_by_full_set: bool = False


class TaskTable:
    """The mapping entries of one harness, looked up by exact name or inside a file name."""

    def __init__(self, harness: str, entries: Sequence[TaskMap]) -> None:
        self.harness = harness
        self._by_name: dict[str, list[TaskMap]] = {}
        for entry in entries:
            self._by_name.setdefault(entry.name.casefold(), []).append(entry)
        self._longest_first = sorted(self._by_name, key=len, reverse=True)

    @property
    def entries(self) -> list[TaskMap]:
        return [entry for group in self._by_name.values() for entry in group]

    def exact(self, name: str) -> list[TaskMap]:
        return self._by_name.get(name.casefold(), [])

    def within(self, text: str) -> tuple[str, str, list[TaskMap]] | None:
        """Find the longest known name inside ``text`` between underscores (or at its ends);
        return the text before it, the text after it and the entries."""
        folded = text.casefold()
        for name in self._longest_first:
            pattern = rf"(?:^|_){re.escape(name)}(?:_|$)"
            matches = list(re.finditer(pattern, folded))
            if not matches:
                continue
            match = matches[-1]  # the dataset follows the model name, so take the last one
            start = match.start() + (1 if folded[match.start()] == "_" else 0)
            end = start + len(name)
            return text[:start].rstrip("_"), text[end:].lstrip("_"), self._by_name[name]
        return None


SERVER_SCORED = "the test split is scored by the benchmark's server; the file holds no score"

LM_EVAL = TaskTable(
    "lm-eval",
    [
        TaskMap("mmlu", "mmlu", ("acc",), Unit.FRACTION),
        TaskMap("mmlu_pro", "mmlu-pro", ("exact_match,custom-extract",), Unit.FRACTION),
        TaskMap("gpqa_diamond_zeroshot", "gpqa/diamond", ("acc",), Unit.FRACTION),
        TaskMap("gpqa_diamond_n_shot", "gpqa/diamond", ("acc",), Unit.FRACTION),
        TaskMap(
            "gpqa_diamond_cot_zeroshot",
            "gpqa/diamond",
            ("exact_match,flexible-extract",),
            Unit.FRACTION,
            chain_of_thought=True,
        ),
        TaskMap("ifeval", "ifeval/prompt-strict", ("prompt_level_strict_acc",), Unit.FRACTION),
        TaskMap("ifeval", "ifeval/prompt-loose", ("prompt_level_loose_acc",), Unit.FRACTION),
        TaskMap("ifeval", "ifeval/inst-strict", ("inst_level_strict_acc",), Unit.FRACTION),
        TaskMap("ifeval", "ifeval/inst-loose", ("inst_level_loose_acc",), Unit.FRACTION),
        TaskMap("humaneval", "humaneval", ("pass@1",), Unit.FRACTION),
    ],
)

MME_PERCEPTION = "mme_perception_score|mme_percetion_score"  # lmms-eval spells it "percetion"

LMMS_EVAL = TaskTable(
    "lmms-eval",
    [
        TaskMap("mmbench_en_dev", "mmbench-v1.0/en/dev", ("gpt_eval_score",), Unit.PERCENT),
        TaskMap("mmbench_en_dev_v11", "mmbench-v1.1/en/dev", ("gpt_eval_score",), Unit.PERCENT),
        TaskMap("mmbench_cn_dev", "mmbench-v1.0/cn/dev", ("gpt_eval_score",), Unit.PERCENT),
        TaskMap("mmbench_en_test", None, reason=SERVER_SCORED),
        TaskMap("mmbench_cn_test", None, reason=SERVER_SCORED),
        TaskMap("mmstar", "mmstar", ("average",), Unit.AUTO),
        # lmms-eval returns the number of correct responses divided by 1000, whatever the run's
        # item count (ocrbench_aggregate_accuracy in lmms_eval/tasks/ocrbench/utils.py).
        TaskMap(
            "ocrbench",
            "ocrbench-v1",
            ("ocrbench_accuracy",),
            Unit.FRACTION,
            divides_by_full_set=True,
        ),
        TaskMap("mmmu_val", "mmmu/val", ("mmmu_acc",), Unit.FRACTION),
        TaskMap("mmmu_test", None, reason=SERVER_SCORED),
        TaskMap("mathvista_testmini", "mathvista/testmini", ("gpt_eval_score",), Unit.PERCENT),
        TaskMap(
            "mathvista_testmini_cot",
            "mathvista/testmini",
            ("gpt_eval_score",),
            Unit.PERCENT,
            chain_of_thought=True,
        ),
        TaskMap("ai2d", "ai2d/test", ("exact_match",), Unit.FRACTION),
        TaskMap("chartqa", "chartqa/test", ("relaxed_overall",), Unit.FRACTION),
        TaskMap("docvqa_val", "docvqa/val", ("anls",), Unit.FRACTION),
        TaskMap("docvqa_test", None, reason=SERVER_SCORED),
        TaskMap("infovqa_val", "infovqa/val", ("anls",), Unit.FRACTION),
        TaskMap("textvqa_val", "textvqa/val", ("exact_match",), Unit.FRACTION),
        TaskMap("realworldqa", "realworldqa", ("exact_match",), Unit.FRACTION),
        TaskMap("mme", "mme/sum", (MME_PERCEPTION, "mme_cognition_score"), Unit.RAW, Combine.SUM),
        TaskMap("mme", "mme/perception", (MME_PERCEPTION,), Unit.RAW),
        TaskMap("mme", "mme/cognition", ("mme_cognition_score",), Unit.RAW),
        TaskMap("hallusion_bench_image", "hallusionbench/aacc", ("aAcc",), Unit.PERCENT),
        TaskMap(
            "hallusion_bench_image",
            "hallusionbench/avg",
            ("aAcc", "fAcc", "qAcc"),
            Unit.PERCENT,
            Combine.MEAN,
        ),
    ],
)

VLMEVALKIT = TaskTable(
    "VLMEvalKit",
    [
        TaskMap("MMBench_DEV_EN", "mmbench-v1.0/en/dev", ("Overall",), row="dev"),
        TaskMap("MMBench_DEV_EN_V11", "mmbench-v1.1/en/dev", ("Overall",), row="dev"),
        TaskMap("MMBench_DEV_CN", "mmbench-v1.0/cn/dev", ("Overall",), row="dev"),
        TaskMap("MMBench_DEV_CN_V11", "mmbench-v1.1/cn/dev", ("Overall",), row="dev"),
        TaskMap("MMBench_TEST_EN", None, reason=SERVER_SCORED),
        TaskMap("MMBench_TEST_EN_V11", None, reason=SERVER_SCORED),
        TaskMap("MMBench_TEST_CN", None, reason=SERVER_SCORED),
        TaskMap("MMBench_TEST_CN_V11", None, reason=SERVER_SCORED),
        TaskMap("MMStar", "mmstar", ("Overall",)),
        TaskMap("OCRBench", "ocrbench-v1", ("Final Score",), Unit.RAW),
        TaskMap("MMMU_DEV_VAL", "mmmu/val", ("Overall",), row="validation"),
        TaskMap(
            "MathVista_MINI",
            "mathvista/testmini",
            ("acc",),
            Unit.PERCENT,
            row="Overall",
            items_column="tot",
        ),
        TaskMap("AI2D_TEST", "ai2d/test", ("Overall",)),
        TaskMap(
            "AI2D_TEST_NO_MASK",
            None,
            reason="AI2D without the answer-option masks has no registry variant",
        ),
        TaskMap("ChartQA_TEST", "chartqa/test", ("Overall",), Unit.PERCENT),
        TaskMap("DocVQA_VAL", "docvqa/val", ("Overall|val",), Unit.PERCENT),
        TaskMap("DocVQA_TEST", None, reason=SERVER_SCORED),
        TaskMap("InfoVQA_VAL", "infovqa/val", ("Overall|val",), Unit.PERCENT),
        TaskMap("InfoVQA_TEST", None, reason=SERVER_SCORED),
        TaskMap("TextVQA_VAL", "textvqa/val", ("Overall",), Unit.PERCENT),
        TaskMap("MME", "mme/sum", ("perception", "reasoning"), Unit.RAW, Combine.SUM),
        TaskMap("MME", "mme/perception", ("perception",), Unit.RAW),
        TaskMap("MME", "mme/cognition", ("reasoning",), Unit.RAW),
        TaskMap("HallusionBench", "hallusionbench/aacc", ("aAcc",), Unit.PERCENT, row="Overall"),
        TaskMap(
            "HallusionBench",
            "hallusionbench/avg",
            ("aAcc", "fAcc", "qAcc"),
            Unit.PERCENT,
            Combine.MEAN,
            row="Overall",
        ),
        TaskMap("RealWorldQA", "realworldqa", ("Overall",)),
    ],
)

TABLES = {table.harness: table for table in (LM_EVAL, LMMS_EVAL, VLMEVALKIT)}
