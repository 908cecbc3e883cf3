"""Read one model repository from the Hugging Face Hub: API model info and config.json."""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from dataclasses import dataclass
from typing import Any

import httpx
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
)

from modelvs.importers.errors import HubError, ImportUsageError

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"

# Connection and timeout errors of the Hub client. huggingface_hub 2.x sends requests with
# the httpx2 package; earlier versions use httpx, or requests (whose errors are OSErrors).
TRANSPORT_ERRORS: tuple[type[Exception], ...]
try:
    import httpx2

    TRANSPORT_ERRORS = (httpx.HTTPError, httpx2.HTTPError, OSError)
except ImportError:  # pragma: no cover - depends on the installed huggingface_hub
    TRANSPORT_ERRORS = (httpx.HTTPError, OSError)
DOWNLOAD_ERRORS: tuple[type[Exception], ...] = (HfHubHTTPError, *TRANSPORT_ERRORS)

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")


@dataclass(frozen=True, slots=True)
class HubRecord:
    """Data the Hub returned for one repository; ``None`` marks a value it did not give."""

    repo_id: str
    url: str
    sha: str | None
    created_at: dt.datetime | None
    card: dict[str, Any]
    safetensors_total: int | None
    safetensors_by_dtype: dict[str, int]
    files: tuple[str, ...]
    gated: str | bool | None
    config: dict[str, Any] | None
    config_problem: str | None = None

    @property
    def weight_files(self) -> list[str]:
        return [name for name in self.files if name.endswith(WEIGHT_SUFFIXES)]


def repo_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/{repo_id}"


def fetch_record(repo_id: str, endpoint: str, timeout_s: float) -> HubRecord:
    """Fetch the model info (with file metadata and safetensors counts) and config.json."""
    api = HfApi(endpoint=endpoint, library_name="modelvs")
    try:
        info = api.model_info(repo_id, files_metadata=True, timeout=timeout_s)
    except RepositoryNotFoundError:
        raise ImportUsageError(
            f"model repository {repo_id!r} was not found on {endpoint} (or it is private);"
            " check the id, for example Qwen/Qwen3-VL-8B-Instruct"
        ) from None
    except HfHubHTTPError as exc:
        raise HubError(f"the Hub request for {repo_id!r} failed: {exc}; retry later") from exc
    except TRANSPORT_ERRORS as exc:
        raise HubError(
            f"could not reach {endpoint} for {repo_id!r}: {exc}; check the network or HF_ENDPOINT"
        ) from exc

    files = tuple(sibling.rfilename for sibling in info.siblings or [])
    card: dict[str, Any] = info.card_data.to_dict() if info.card_data is not None else {}  # type: ignore[no-untyped-call]
    safetensors = info.safetensors
    config, problem = _read_config(repo_id, info.sha, files, endpoint, timeout_s)
    return HubRecord(
        repo_id=info.id or repo_id,
        url=repo_url(endpoint, info.id or repo_id),
        sha=info.sha,
        created_at=info.created_at,
        card=card,
        safetensors_total=safetensors.total if safetensors else None,
        safetensors_by_dtype=dict(safetensors.parameters) if safetensors else {},
        files=files,
        gated=info.gated,
        config=config,
        config_problem=problem,
    )


def _read_config(
    repo_id: str,
    revision: str | None,
    files: tuple[str, ...],
    endpoint: str,
    timeout_s: float,
) -> tuple[dict[str, Any] | None, str | None]:
    """Download config.json at the commit the model info came from; return it or why not."""
    if "config.json" not in files:
        return None, "the repository has no config.json"
    # A throwaway cache: config.json is small, and an import must not depend on an old copy.
    with tempfile.TemporaryDirectory(prefix="modelvs-hub-") as cache_dir:
        try:
            path = hf_hub_download(
                repo_id,
                "config.json",
                revision=revision,
                endpoint=endpoint,
                cache_dir=cache_dir,
                etag_timeout=timeout_s,
                library_name="modelvs",
            )
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
        except GatedRepoError:
            return None, "config.json is gated; accept the terms on the Hub and log in"
        except (EntryNotFoundError, LocalEntryNotFoundError) as exc:
            return None, f"config.json could not be downloaded ({type(exc).__name__})"
        except DOWNLOAD_ERRORS as exc:
            log.warning("config.json of %s could not be downloaded: %s", repo_id, exc)
            return None, f"config.json could not be downloaded: {exc}"
        except json.JSONDecodeError as exc:
            return None, f"config.json is not valid JSON: {exc}"
    if not isinstance(loaded, dict):
        return None, "config.json is not a JSON object"
    return loaded, None
