"""The endpoint registry: a YAML file of OpenAI-compatible servers that runs send prompts to.

Each endpoint stores the NAME of the environment variable that contains its API key. The key
itself is read from the environment when a run starts and is never written to the registry,
the database, a log line or an error message.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import SLUG_PATTERN
from modelvs.errors import UsageError
from modelvs.runs.errors import EndpointsFileError, MissingApiKeyError, UnknownEndpointError
from modelvs.runs.wire import RequestError, split_url

log = logging.getLogger(__name__)

ENDPOINTS_ENV = "MODELVS_ENDPOINTS"
DEFAULT_ENDPOINTS_FILE = Path("endpoints.yaml")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

FILE_HEADER = (
    "# modelvs endpoints, managed with 'modelvs endpoints add|list|remove'.\n"
    "# api_key_env is the NAME of the environment variable that contains the key.\n"
    "# Never write a key in this file.\n"
)


class PriceOverride(BaseModel):
    """The endpoint's own price in USD per 1M tokens; it replaces the catalog's list price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_usd_per_mtok: float = Field(ge=0)
    output_usd_per_mtok: float = Field(ge=0)


class Endpoint(BaseModel):
    """An OpenAI-compatible chat completions server and the catalog model it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    base_url: str
    model: str = Field(min_length=1, max_length=300)
    api_key_env: str | None = None
    catalog_model: str = Field(pattern=SLUG_PATTERN, max_length=80)
    price: PriceOverride | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL, such as http://127.0.0.1:8000/v1")
        if parts.query or parts.fragment:
            raise ValueError("must not contain a query or fragment")
        try:
            # Requests check the port, the host name and that there is no user or password.
            # Checking here rejects a bad URL when it is added, not when a run sends to it.
            split_url(value)
        except RequestError as exc:
            raise ValueError(str(exc)) from None
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _environment_variable_name(cls, value: str | None) -> str | None:
        # The message never repeats the value: a key pasted here by mistake must not be printed.
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(
                "must be the NAME of an environment variable (letters, digits and underscores,"
                " such as OPENAI_API_KEY), not the key itself"
            )
        return value

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"


class EndpointsFile(BaseModel):
    """The registry file: a list of endpoints with unique names."""

    model_config = ConfigDict(extra="forbid")

    endpoints: list[Endpoint] = []

    @field_validator("endpoints")
    @classmethod
    def _unique_names(cls, endpoints: list[Endpoint]) -> list[Endpoint]:
        names = [endpoint.name for endpoint in endpoints]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"endpoint names must be unique; repeated: {', '.join(repeated)}")
        return endpoints

    def find(self, name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        known = ", ".join(e.name for e in self.endpoints) or "none"
        raise UnknownEndpointError(
            f"unknown endpoint {name!r} (registered: {known}); add it with"
            " 'modelvs endpoints add' or list them with 'modelvs endpoints list'"
        )


def endpoints_path(option: Path | None) -> Path:
    """Return the registry path: the option, else ``$MODELVS_ENDPOINTS``, else ./endpoints.yaml."""
    if option is not None:
        return option
    env = os.environ.get(ENDPOINTS_ENV)
    return Path(env) if env else DEFAULT_ENDPOINTS_FILE


def load_endpoints(path: Path) -> EndpointsFile:
    """Read the registry; a missing file is an empty registry."""
    if not path.exists():
        return EndpointsFile()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise EndpointsFileError(
            f"cannot read the endpoints file {path}: {exc}; fix or remove the file"
        ) from None
    try:
        return EndpointsFile.model_validate(raw)
    except ValidationError as exc:
        raise EndpointsFileError(
            f"invalid endpoints file {path}: {describe_validation_error(exc)}; fix the file or"
            " re-add the endpoint with 'modelvs endpoints add'"
        ) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Format validation errors without their input values, which could contain a key."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "file"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


def save_endpoints(path: Path, registry: EndpointsFile) -> None:
    """Write the registry atomically, so a crash leaves either the old or the new file."""
    data = registry.model_dump(mode="json", exclude_none=True)
    text = FILE_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def add_endpoint(path: Path, endpoint: Endpoint, catalog: Catalog, replace: bool) -> Endpoint:
    """Validate ``endpoint`` against the catalog, store it and return it with the model's slug.

    The catalog model may be given by slug, name or alias; the registry stores the slug.
    """
    model = catalog.find_model(endpoint.catalog_model)
    endpoint = endpoint.model_copy(update={"catalog_model": model.slug})
    registry = load_endpoints(path)
    others = [e for e in registry.endpoints if e.name != endpoint.name]
    if len(others) != len(registry.endpoints) and not replace:
        raise EndpointsFileError(
            f"endpoint {endpoint.name!r} already exists in {path}; pass --replace to overwrite it"
            " or choose another name"
        )
    save_endpoints(path, EndpointsFile(endpoints=[*others, endpoint]))
    _warn_plain_http_key(endpoint)
    log.info("stored endpoint %s (%s) in %s", endpoint.name, endpoint.catalog_model, path)
    return endpoint


def _warn_plain_http_key(endpoint: Endpoint) -> None:
    host = urlsplit(endpoint.base_url).hostname or ""
    if (
        endpoint.api_key_env
        and endpoint.base_url.startswith("http:")
        and host not in LOOPBACK_HOSTS
    ):
        log.warning(
            "endpoint %s sends its API key over plain http to %s; use https unless the network"
            " is private",
            endpoint.name,
            host,
        )


def remove_endpoint(path: Path, name: str) -> Endpoint:
    """Remove the endpoint called ``name`` and return it."""
    registry = load_endpoints(path)
    endpoint = registry.find(name)
    save_endpoints(
        path, EndpointsFile(endpoints=[e for e in registry.endpoints if e is not endpoint])
    )
    log.info("removed endpoint %s from %s", name, path)
    return endpoint


def select_endpoints(registry: EndpointsFile, names: Sequence[str]) -> list[Endpoint]:
    """Return the named endpoints in the order given; names must be unique."""
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise UsageError(
            f"endpoint named more than once: {', '.join(repeated)}; name each endpoint once"
        )
    return [registry.find(name) for name in names]


class KeyedEndpoint(Protocol):
    """Anything that names an endpoint and its key variable (registry entry or run snapshot)."""

    @property
    def name(self) -> str: ...

    @property
    def api_key_env(self) -> str | None: ...


def read_api_keys(endpoints: Iterable[KeyedEndpoint]) -> dict[str, str | None]:
    """Read each endpoint's API key from its environment variable; None where it has none.

    Raises MissingApiKeyError, naming the variable but no value, when a variable is unset.
    """
    keys: dict[str, str | None] = {}
    for endpoint in endpoints:
        variable = endpoint.api_key_env
        key = os.environ.get(variable, "") if variable else None
        if key == "":
            raise MissingApiKeyError(
                f"endpoint {endpoint.name!r} reads its API key from the environment variable"
                f" {variable}, which is not set; export it and run again"
            )
        keys[endpoint.name] = key
    return keys
