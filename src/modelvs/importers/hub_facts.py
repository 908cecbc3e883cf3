"""Read catalog facts out of a Hub record; a value that cannot be read stays unknown with
the reason in its note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from modelvs.importers.hub import HubRecord

T = TypeVar("T")

# Vision-language configs keep the language model's settings in one of these sub-configs.
# ``vision_config`` is left out on purpose: its position count is the image encoder's.
NESTED_CONFIGS = ("text_config", "llm_config", "language_config")
EXPERT_KEYS = ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts")
PER_TOKEN_KEYS = ("num_experts_per_tok", "moe_topk", "num_selected_experts")
SHARED_KEYS = ("n_shared_experts", "num_shared_experts")
# The position count of the text model. Generation limits (max_length, max_new_tokens) are
# never read: they bound one reply, not the context window.
CONTEXT_KEYS = ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions")
# Integer tensors in a language model checkpoint are packed quantized weights (GPTQ and AWQ
# pack 4-bit values into int32, bitsandbytes into uint8), so their element count is not the
# parameter count.
PACKED_DTYPES = frozenset({"I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "I4", "U4"})
# The Hub stores creation dates only from this day on; older repositories all show it
# (huggingface_hub ModelInfo.created_at documentation).
HUB_CREATION_FLOOR = dt.date(2022, 3, 2)


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """A value read from the Hub, or ``None`` with the reason in ``note``."""

    value: T | None
    note: str


@dataclass(frozen=True, slots=True)
class ExpertCounts:
    """Mixture-of-experts sizes from config.json."""

    experts: int
    per_token: int | None
    shared: int | None
    where: str

    def describe(self) -> str:
        parts = [f"{self.experts} routed experts"]
        if self.per_token is not None:
            parts.append(f"{self.per_token} per token")
        if self.shared:
            parts.append(f"{self.shared} shared")
        return f"config.json {self.where}: {', '.join(parts)}"


@dataclass(frozen=True, slots=True)
class HubLicense:
    name: str
    spdx: str | None
    category: str
    commercial_use: bool | None


# Hub license ids (https://huggingface.co/docs/hub/repositories-licenses) to catalog terms.
LICENSES: dict[str, HubLicense] = {
    "apache-2.0": HubLicense("Apache License 2.0", "Apache-2.0", "permissive", True),
    "mit": HubLicense("MIT License", "MIT", "permissive", True),
    "bsd-2-clause": HubLicense("BSD 2-Clause License", "BSD-2-Clause", "permissive", True),
    "bsd-3-clause": HubLicense("BSD 3-Clause License", "BSD-3-Clause", "permissive", True),
    "cc-by-4.0": HubLicense("Creative Commons Attribution 4.0", "CC-BY-4.0", "permissive", True),
    "cc-by-sa-4.0": HubLicense(
        "Creative Commons Attribution Share Alike 4.0", "CC-BY-SA-4.0", "copyleft", True
    ),
    "cc-by-nc-4.0": HubLicense(
        "Creative Commons Attribution Non Commercial 4.0", "CC-BY-NC-4.0", "restricted", False
    ),
    "cc-by-nc-sa-4.0": HubLicense(
        "Creative Commons Attribution Non Commercial Share Alike 4.0",
        "CC-BY-NC-SA-4.0",
        "restricted",
        False,
    ),
    "gpl-3.0": HubLicense("GNU General Public License v3.0", "GPL-3.0-only", "copyleft", True),
    "agpl-3.0": HubLicense(
        "GNU Affero General Public License v3.0", "AGPL-3.0-only", "copyleft", True
    ),
    "llama2": HubLicense("Llama 2 Community License", None, "restricted", True),
    "llama3": HubLicense("Llama 3 Community License", None, "restricted", True),
    "llama3.1": HubLicense("Llama 3.1 Community License", None, "restricted", True),
    "llama3.2": HubLicense("Llama 3.2 Community License", None, "restricted", True),
    "llama3.3": HubLicense("Llama 3.3 Community License", None, "restricted", True),
    "llama4": HubLicense("Llama 4 Community License Agreement", None, "restricted", True),
    "gemma": HubLicense("Gemma Terms of Use", None, "restricted", True),
}


def config_value(config: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    """Return (dotted key, value) of the first of ``keys`` set in config.json, looking at
    the top level first and then in the language model's sub-config."""
    scopes: list[tuple[str, dict[str, Any]]] = [("", config)]
    scopes += [
        (f"{name}.", config[name]) for name in NESTED_CONFIGS if isinstance(config.get(name), dict)
    ]
    for prefix, scope in scopes:
        for key in keys:
            value = scope.get(key)
            if value is not None and not isinstance(value, bool):
                return f"{prefix}{key}", value
    return None


def read_experts(config: dict[str, Any] | None) -> ExpertCounts | None:
    """Return the expert counts, or ``None`` when config.json names no more than one expert."""
    if config is None:
        return None
    found = config_value(config, EXPERT_KEYS)
    if found is None or not isinstance(found[1], int) or found[1] <= 1:
        return None
    per_token = config_value(config, PER_TOKEN_KEYS)
    shared = config_value(config, SHARED_KEYS)
    return ExpertCounts(
        experts=found[1],
        per_token=per_token[1] if per_token and isinstance(per_token[1], int) else None,
        shared=shared[1] if shared and isinstance(shared[1], int) else None,
        where=found[0],
    )


def read_quantization(record: HubRecord) -> str | None:
    """Describe why the checkpoint counts as quantized, or return ``None``."""
    config = record.config or {}
    quantization = config.get("quantization_config")
    if isinstance(quantization, dict):
        method = quantization.get("quant_method") or "unnamed method"
        bits = quantization.get("bits") or quantization.get("w_bit")
        if quantization.get("load_in_4bit"):
            bits = 4
        elif quantization.get("load_in_8bit"):
            bits = 8
        width = f", {bits}-bit" if bits else ""
        return f"config.json quantization_config ({method}{width})"
    packed = sorted(PACKED_DTYPES & record.safetensors_by_dtype.keys())
    if packed:
        return f"integer tensors ({', '.join(packed)}) in the safetensors metadata"
    return None


def read_total_parameters(record: HubRecord) -> Reading[float]:
    """Return the total parameter count in billions from the Hub's safetensors metadata."""
    total = record.safetensors_total
    if total is None or total <= 0:
        return Reading(None, "the Hub reports no safetensors metadata for this repository")
    quantized = read_quantization(record)
    if quantized is not None:
        return Reading(
            None,
            f"the checkpoint is quantized ({quantized}), so its safetensors count"
            f" ({total:,}) counts packed values, not parameters",
        )
    billions = total / 1e9
    value = round(billions, 2) if billions >= 1 else round(billions, 3)
    dtypes = ", ".join(f"{dtype} {count:,}" for dtype, count in record.safetensors_by_dtype.items())
    return Reading(
        value,
        f"Hub safetensors metadata: {total:,} parameters ({dtypes}); counts every tensor in"
        " the checkpoint, including any vision encoder",
    )


def read_context(config: dict[str, Any] | None) -> Reading[int]:
    """Return the position count of the language model from config.json."""
    if config is None:
        return Reading(None, "config.json was not read")
    found = config_value(config, CONTEXT_KEYS)
    if found is None or not isinstance(found[1], int) or found[1] <= 0:
        return Reading(None, "config.json names no position count")
    note = f"config.json {found[0]}"
    rope = config_value(config, ("rope_scaling",))
    if rope is not None and isinstance(rope[1], dict):
        kind = rope[1].get("rope_type") or rope[1].get("type")
        factor = rope[1].get("factor")
        if kind and factor:
            note += f", with {kind} rope scaling factor {factor}"
    return Reading(found[1], note)


def read_license(record: HubRecord) -> Reading[HubLicense]:
    """Map the model card's license id to catalog license terms."""
    license_id = record.card.get("license")
    if not isinstance(license_id, str) or not license_id:
        return Reading(None, "the model card names no license")
    known = LICENSES.get(license_id.casefold())
    if known is None:
        name = record.card.get("license_name") or license_id
        return Reading(
            None,
            f"the card's license {license_id!r} ({name}) has no known terms; read the license"
            " and set license.weights by hand",
        )
    return Reading(known, f"model card license: {license_id}")


def read_created(record: HubRecord) -> Reading[dt.date]:
    """Return the repository's creation date on the Hub."""
    if record.created_at is None:
        return Reading(None, "the Hub gives no creation date")
    created = record.created_at.date()
    if created <= HUB_CREATION_FLOOR:
        return Reading(None, "the repository predates the Hub's creation dates (March 2022)")
    return Reading(
        created, "Hub repository creation date; the weights may have become public later"
    )
