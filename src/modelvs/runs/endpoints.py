"""The endpoint registry: a YAML file of OpenAI-compatible servers that runs send prompts to.

Each endpoint stores the NAME of the environment variable that contains its API key. The key
itself is read from the environment when a run starts and is never written to the registry,
the database, a log line or an error message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

if sys.platform != "win32":
    import fcntl

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.problems import dotted, plain_message
from modelvs.catalog.schema import SLUG_PATTERN
from modelvs.catalog.yaml_file import describe_character
from modelvs.errors import UsageError
from modelvs.runs.errors import EndpointsFileError, MissingApiKeyError, UnknownEndpointError
from modelvs.runs.wire import RequestError, split_url

log = logging.getLogger(__name__)

ENDPOINTS_ENV = "MODELVS_ENDPOINTS"
DEFAULT_ENDPOINTS_FILE = Path("endpoints.yaml")
ENDPOINT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
ENV_NAME_RULE = (
    "an environment variable name has 1 to 128 letters, digits and underscores and does not"
    " start with a digit, such as OPENAI_API_KEY"
)
# Category Cc (tab and line feed included) and the bidirectional controls. Names, models and
# URLs are single lines that the terminal prints, and these characters would rewrite it.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

FILE_HEADER = (
    "# modelvs endpoints, managed with 'modelvs endpoints add|list|remove'.\n"
    "# api_key_env is the NAME of the environment variable that contains the key.\n"
    "# Never write a key in this file.\n"
)


MAX_USD_PER_MTOK = 100_000.0


class PriceOverride(BaseModel):
    """The endpoint's own price in USD per 1M tokens; it replaces the catalog's list price."""

    # An infinite price would be stored and print as $inf.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # The dearest list prices are a few hundred USD per 1M tokens; a much larger value is a
    # typo, and 1e308 tokens' worth overflows to an infinite cost.
    input_usd_per_mtok: float = Field(ge=0, le=MAX_USD_PER_MTOK)
    output_usd_per_mtok: float = Field(ge=0, le=MAX_USD_PER_MTOK)


class Endpoint(BaseModel):
    """An OpenAI-compatible chat completions server and the catalog model it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    base_url: str
    model: str = Field(min_length=1, max_length=300)
    api_key_env: str | None = None
    catalog_model: str = Field(pattern=SLUG_PATTERN, max_length=80)
    price: PriceOverride | None = None

    @field_validator("name")
    @classmethod
    def _endpoint_name(cls, value: str) -> str:
        if not ENDPOINT_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid endpoint name: use 1 to 100 letters, digits, '.', '_'"
                " and '-', starting with a letter or digit"
            )
        return value

    @field_validator("model")
    @classmethod
    def _one_line(cls, value: str) -> str:
        _reject_control_characters(value, quote_value=True)
        if value != value.strip():
            raise ValueError(f"{value!r} starts or ends with whitespace; remove it")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # urlsplit silently drops tabs and line breaks, so they are rejected first. The URL
        # is not quoted, because a user:password@ part may precede the host.
        _reject_control_characters(value, quote_value=False)
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
        if value is None or ENV_NAME.fullmatch(value):
            return value
        trimmed = value.strip().removeprefix("$")
        if ENV_NAME.fullmatch(trimmed):
            # Only surrounding whitespace or a leading $ is wrong, so the value is a name.
            raise ValueError(
                f"{value!r} is not a valid environment variable name: {ENV_NAME_RULE}; use"
                f" {trimmed}"
            )
        # Any other value is not repeated: it may be a key pasted here by mistake.
        raise ValueError(
            f"must be the NAME of an environment variable, not the key itself: {ENV_NAME_RULE},"
            f" but {_env_name_fault(value)} (the value is not shown because it may be a key)"
        )

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"


def _reject_control_characters(value: str, quote_value: bool) -> None:
    match = CONTROL_CHARACTER.search(value)
    if match:
        shown = repr(value) if quote_value else "the value"
        raise ValueError(
            f"{shown} contains the control character {describe_character(match.group())} at"
            f" character {match.start() + 1}; remove it"
        )


def _env_name_fault(value: str) -> str:
    """Describe the first break of the environment variable name rule, quoting one character."""
    if not value:
        return "it is empty"
    for index, character in enumerate(value):
        if not (character.isascii() and (character.isalnum() or character == "_")):
            return f"its character {index + 1} is {character!r}"
    if value[0].isdigit():
        return "it starts with a digit"
    return f"it has {len(value)} characters"


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EndpointsFileError(
            f"cannot read the endpoints file {path}: {exc}; fix or remove the file"
        ) from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise EndpointsFileError(
            f"invalid YAML in the endpoints file {path}: {describe_yaml_error(exc, text)}; correct"
            " the file at that line"
        ) from None
    try:
        return EndpointsFile.model_validate(raw)
    except ValidationError as exc:
        raise EndpointsFileError(
            f"invalid endpoints file {path}: {describe_validation_error(exc)}; fix the file or"
            " re-add the endpoint with 'modelvs endpoints add'"
        ) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Format validation errors without their input values, which could contain a key.

    Messages of this module's own validators may quote values that cannot be a key.
    """
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        if error["type"] == "extra_forbidden":
            message = "unknown field; remove it or correct its spelling"
        else:
            message = plain_message(error)
        parts.append(f"{dotted(error['loc'])}: {message}")
    return "; ".join(parts)


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> str:
    """Describe a YAML error by line, column and problem, never quoting a line of ``text``.

    PyYAML's own message quotes the offending line, which may contain a pasted API key.
    """
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem or 'invalid'}"
        if exc.context and exc.context_mark is not None:
            start = exc.context_mark
            message += f" ({exc.context} that starts at line {start.line + 1}, column"
            message += f" {start.column + 1})"
        return message
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        character = describe_character(chr(exc.character))
        return f"line {line}, column {column}: YAML does not allow the character {character}"
    return "the text is not valid YAML"


def save_endpoints(path: Path, registry: EndpointsFile) -> None:
    """Write the registry atomically, so a crash leaves either the old or the new file."""
    data = registry.model_dump(mode="json", exclude_none=True)
    text = FILE_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


@contextlib.contextmanager
def registry_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the registry, from reading it to writing it back.

    Without it, two ``endpoints add`` commands at once each read the old file, and the second
    write drops the first one's endpoint. The lock is an flock on a ``.lock`` file beside it.
    """
    # TODO: Windows has no fcntl, so there concurrent commands are not serialized.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as handle:
        if sys.platform != "win32":
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def add_endpoint(path: Path, endpoint: Endpoint, catalog: Catalog, replace: bool) -> Endpoint:
    """Validate ``endpoint`` against the catalog, store it and return it with the model's slug.

    The catalog model may be given by slug, name or alias; the registry stores the slug.
    """
    model = catalog.find_model(endpoint.catalog_model)
    endpoint = endpoint.model_copy(update={"catalog_model": model.slug})
    with registry_lock(path):
        registry = load_endpoints(path)
        others = [e for e in registry.endpoints if e.name != endpoint.name]
        if len(others) != len(registry.endpoints) and not replace:
            raise EndpointsFileError(
                f"endpoint {endpoint.name!r} already exists in {path}; pass --replace to"
                " overwrite it or choose another name"
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
    with registry_lock(path):
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
