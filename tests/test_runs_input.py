"""Bad values and bad configuration in the run commands end in one clear error, not a traceback.

Covers non-finite numbers, Pydantic's "Value error, " prefix, invalid database URLs, YAML
syntax errors in endpoints.yaml and invalid names in endpoints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import click
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from modelvs.cli_options import FiniteFloatRange
from modelvs.runs.endpoints import Endpoint, describe_validation_error
from modelvs.runs.records import RunSettings
from modelvs.store.db import DatabaseOpenError, make_engine, mask_password, upgrade
from modelvs.web.app import create_app
from tests.conftest import FIXTURE_CATALOG, Runner
from tests.runs_support import open_store, write_suite

SECRET = "sk-test-Qm4Rt8Yx2Lp6Wn9Bv3Kd7"
PASSWORD = "pw-Hq5Zr8Tc2Xv"
MODELVS = [sys.executable, "-c", "from modelvs.cli import main; main()"]
VALID_ENDPOINT = (
    "endpoints:\n"
    "- name: kept\n"
    "  base_url: http://127.0.0.1:9/v1\n"
    "  model: served-kept\n"
    "  catalog_model: beta-4b\n"
)
ADD = ["endpoints", "add", "x", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry file with one valid endpoint, named by $MODELVS_ENDPOINTS."""
    path = tmp_path / "endpoints.yaml"
    path.write_text(VALID_ENDPOINT, encoding="utf-8")
    monkeypatch.setenv("MODELVS_ENDPOINTS", str(path))
    return path


def error_line(stderr: str) -> str:
    """Return the one line that reports the error, from modelvs or from click."""
    lines = [line for line in stderr.splitlines() if line.lower().startswith("error")]
    assert len(lines) == 1, stderr
    return lines[0]


# Non-finite numbers


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout-s", "nan"),
        ("--timeout-s", "1e999"),
        ("--connect-timeout-s", "inf"),
        ("--temperature", "nan"),
        ("--temperature", "inf"),
        ("--temperature", "Infinity"),
    ],
)
def test_run_rejects_non_finite(
    run_cli: Runner,
    registry: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    option: str,
    value: str,
) -> None:
    monkeypatch.setenv("MODELVS_DATABASE_URL", database_url)
    suite = write_suite(tmp_path, ["a"])
    result = run_cli("run", str(suite), "--endpoints", "kept", "--no-progress", option, value)
    assert result.exit_code == 2
    line = error_line(result.stderr)
    assert f"'{option}'" in line
    assert f"{value!r} is not a finite number" in line
    store = open_store(database_url)
    assert store.list_runs() == []
    store.engine.dispose()


@pytest.mark.parametrize("option", ["--input-usd-per-mtok", "--output-usd-per-mtok"])
@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_add_rejects_non_finite_price(
    run_cli: Runner, registry: Path, option: str, value: str
) -> None:
    prices = {"--input-usd-per-mtok": "1", "--output-usd-per-mtok": "2", option: value}
    result = run_cli(*ADD, "--catalog-model", "beta-4b", *[p for kv in prices.items() for p in kv])
    assert result.exit_code == 2
    assert f"'{option}'" in error_line(result.stderr)
    assert registry.read_text(encoding="utf-8") == VALID_ENDPOINT


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_stored_non_finite_price_rejected(run_cli: Runner, registry: Path, value: str) -> None:
    registry.write_text(
        VALID_ENDPOINT + f"  price: {{input_usd_per_mtok: 1, output_usd_per_mtok: {value}}}\n",
        encoding="utf-8",
    )
    result = run_cli("endpoints", "list")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert f"invalid endpoints file {registry}" in line
    assert "endpoints[0].price.output_usd_per_mtok: must be a finite number" in line
    assert "$inf" not in result.stdout


@pytest.mark.parametrize("field", ["timeout_s", "connect_timeout_s", "backoff_base_s"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_run_settings_reject_non_finite(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        RunSettings.model_validate({field: value})


def test_run_settings_reject_infinite_temperature() -> None:
    with pytest.raises(ValidationError, match="finite number"):
        RunSettings.model_validate({"temperature": float("inf")})


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_finite_float_round_trips(number: float) -> None:
    assert FiniteFloatRange(min=0).convert(repr(number), None, None) == number


@given(st.sampled_from(["nan", "inf", "+inf", "NAN", " Infinity ", "1e309", "-1e999"]))
def test_finite_float_rejects_non_finite(text: str) -> None:
    with pytest.raises(click.BadParameter):
        FiniteFloatRange().convert(text, None, None)


# Pydantic's "Value error, " prefix


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://x"], "base_url: must be an http:// or https:// URL"),
        (["--api-key-env", "1KEY"], "api_key_env: must be the NAME of an environment variable"),
        (["--model", "m\x1b[2J"], "model: 'm\\x1b[2J' contains the control character U+001B"),
    ],
)
def test_add_message_without_prefix(
    run_cli: Runner, registry: Path, args: list[str], message: str
) -> None:
    base = ["endpoints", "add", "x", "--catalog-model", "beta-4b"]
    base += [] if "--base-url" in args else ["--base-url", "http://127.0.0.1:9/v1"]
    base += [] if "--model" in args else ["--model", "m"]
    result = run_cli(*base, *args)
    assert result.exit_code == 2
    line = error_line(result.stderr)
    assert message in line
    assert "Value error" not in result.stderr


def test_suite_message_without_prefix(run_cli: Runner, registry: Path, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, ["same", "same"])
    text = suite.read_text(encoding="utf-8").replace("id: p1", "id: p0")
    suite.write_text(text, encoding="utf-8")
    # The suite is read before the database is opened.
    result = run_cli("run", str(suite), "--endpoints", "kept", "--no-progress")
    assert result.exit_code == 2
    assert "prompts: prompt ids must be unique; repeated: p0" in error_line(result.stderr)
    assert "Value error" not in result.stderr


# Invalid database URLs

BAD_URLS = [
    ("nope://x", "SQLAlchemy has no dialect or driver 'nope'"),
    ("not a url", "it is not a URL of the form"),
    (f"postgresql+psycopg://modelvs:{PASSWORD}@127.0.0.1:abc/db", "its port is not a number"),
    (f"postgresql+psycopg://modelvs:{PASSWORD}@127.0.0.1:1/db", "cannot connect to the database"),
    (
        f"postgresql+psycopg://modelvs@127.0.0.1:1/db?password={PASSWORD}",
        "cannot connect to the database",
    ),
    ("mysql://modelvs@127.0.0.1/db", "is not installed"),
    ("sqlite:///MISSING/modelvs.sqlite3", "the folder"),
]


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "show", "1"], ["arena", "ratings"]])
def test_bad_database_url_named(
    run_cli: Runner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    url: str,
    message: str,
    command: list[str],
) -> None:
    url = url.replace("MISSING", str(tmp_path / "missing"))
    monkeypatch.setenv("MODELVS_DATABASE_URL", url)
    result = run_cli(*command)
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert message in line
    assert mask_password(url) in line
    assert "MODELVS_DATABASE_URL" in line
    assert PASSWORD not in result.stderr
    assert not (tmp_path / "missing").exists()


def test_run_bad_database_url(
    run_cli: Runner, registry: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MODELVS_DATABASE_URL", f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/d")
    suite = write_suite(tmp_path, ["a"])
    result = run_cli("run", str(suite), "--endpoints", "kept", "--no-progress")
    assert result.exit_code == 1
    assert "cannot connect to the database 'postgresql+psycopg://u:***@127.0.0.1:1/d'" in (
        error_line(result.stderr)
    )
    assert PASSWORD not in result.stderr


def test_serve_bad_database_url(tmp_path: Path) -> None:
    # A subprocess with a timeout: if the check were missing, serve would start a server.
    env = dict(os.environ, MODELVS_DATABASE_URL="nope://x")
    command = [*MODELVS, "--data", str(FIXTURE_CATALOG), "serve", "--port", "1"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "invalid database URL 'nope://x'" in error_line(done.stderr)
    assert "Traceback" not in done.stderr


def test_web_app_bad_database_url() -> None:
    with pytest.raises(DatabaseOpenError, match="'nope://x'"):
        create_app(data_dir=FIXTURE_CATALOG, database_url="nope://x")


def test_unreachable_database_named(database_url: str, tmp_path: Path) -> None:
    """A wrong password on the real PostgreSQL server, or a SQLite file that is a folder."""
    if database_url.startswith("sqlite"):
        (tmp_path / "folder.sqlite3").mkdir()
        bad_url = f"sqlite:///{tmp_path / 'folder.sqlite3'}"
        reason = "unable to open database file"
    else:
        bad_url = re.sub(r"(://[^:/@]+:)[^@]*@", rf"\g<1>{PASSWORD}@", database_url)
        reason = "password authentication failed"
    engine = make_engine(bad_url)
    with pytest.raises(DatabaseOpenError) as raised:
        upgrade(engine)
    engine.dispose()
    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)
    assert PASSWORD not in str(raised.value)


@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8),
    st.booleans(),
)
def test_password_always_masked(password: str, in_query: bool) -> None:
    encoded = quote(password, safe="")
    url = (
        f"postgresql+psycopg://user@host:5432/db?sslmode=require&password={encoded}"
        if in_query
        else f"postgresql+psycopg://user:{encoded}@host:5432/db"
    )
    # A password that is part of the rest of the URL would be found there.
    assume(password not in url.replace(encoded, "***"))
    shown = mask_password(url)
    assert password not in shown
    assert encoded not in shown
    assert "***" in shown


# YAML syntax errors in endpoints.yaml


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"  api_key_env: {SECRET}: x\n", "line 6, column"),
        (f'  api_key_env: "{SECRET}\n', "line 7, column 1"),
        (f"  api_key_env: [{SECRET}\n", "line 7, column 1"),
        (f"  api_key_env: {SECRET}\x07\n", "line 6, column 45: YAML does not allow"),
    ],
)
def test_yaml_error_hides_line(run_cli: Runner, registry: Path, text: str, where: str) -> None:
    broken = VALID_ENDPOINT + text
    registry.write_text(broken, encoding="utf-8")
    for args in (["endpoints", "list"], [*ADD, "--catalog-model", "beta-4b"]):
        result = run_cli(*args)
        assert result.exit_code == 1
        line = error_line(result.stderr)
        assert f"invalid YAML in the endpoints file {registry}: {where}" in line
        assert SECRET not in result.stderr + result.stdout
        assert SECRET[:8] not in result.stderr
    assert registry.read_text(encoding="utf-8") == broken


# Names in endpoints


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("OPENAI_API_KEY\n", "'OPENAI_API_KEY\\n'"),
        ("OPENAI_API_KEY ", "'OPENAI_API_KEY '"),
        ("\tOPENAI_API_KEY", "'\\tOPENAI_API_KEY'"),
        ("$OPENAI_API_KEY", "'$OPENAI_API_KEY'"),
    ],
)
def test_env_name_whitespace_named(run_cli: Runner, registry: Path, value: str, shown: str) -> None:
    result = run_cli(*ADD, "--catalog-model", "beta-4b", "--api-key-env", value)
    assert result.exit_code == 2
    line = error_line(result.stderr)
    assert f"{shown} is not a valid environment variable name" in line
    assert "letters, digits and underscores and does not start with a digit" in line
    assert line.endswith("use OPENAI_API_KEY")
    assert registry.read_text(encoding="utf-8") == VALID_ENDPOINT


@pytest.mark.parametrize(
    ("value", "fault"),
    [
        ("1KEY", "it starts with a digit"),
        ("OPENAI-KEY", "its character 7 is '-'"),
        ("KEY\x00X", "its character 4 is '\\x00'"),
        ("", "it is empty"),
        ("K" * 129, "it has 129 characters"),
    ],
)
def test_env_name_rule_stated(run_cli: Runner, registry: Path, value: str, fault: str) -> None:
    result = run_cli(*ADD, "--catalog-model", "beta-4b", "--api-key-env", value)
    assert result.exit_code == 2
    line = error_line(result.stderr)
    assert "must be the NAME of an environment variable" in line
    assert f"but {fault}" in line
    assert registry.read_text(encoding="utf-8") == VALID_ENDPOINT


def test_env_name_in_file_rejected(run_cli: Runner, registry: Path) -> None:
    registry.write_text(VALID_ENDPOINT + '  api_key_env: "OPENAI_API_KEY\\n"\n', encoding="utf-8")
    result = run_cli("endpoints", "list")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert "endpoints[0].api_key_env: 'OPENAI_API_KEY\\n' is not a valid environment" in line


@given(st.text(min_size=8))
def test_env_name_never_echoes_key(value: str) -> None:
    data = {"name": "e", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
    try:
        Endpoint.model_validate({**data, "catalog_model": "beta-4b", "api_key_env": value})
    except ValidationError as exc:
        message = describe_validation_error(exc)
        trimmed = value.strip().removeprefix("$")
        is_name_with_spaces = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", trimmed)
        if not is_name_with_spaces:
            assert value not in message
            assert repr(value) not in message


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("NAME", "a\nb", "name: 'a\\nb' is not a valid endpoint name"),
        ("NAME", "a\u202eb", "name: 'a\\u202eb' is not a valid endpoint name"),
        ("--model", "qwen\n", "model: 'qwen\\n' contains the control character U+000A"),
        ("--model", "qwen\u2066", "model: 'qwen\\u2066' contains the control character U+2066"),
        ("--model", " qwen", "model: ' qwen' starts or ends with whitespace"),
        (
            "--base-url",
            "http://127.0.0.1:9/v1\t",
            "base_url: the value contains the control character U+0009 at character 22",
        ),
    ],
)
def test_control_characters_rejected(
    run_cli: Runner, registry: Path, option: str, value: str, message: str
) -> None:
    fields = {"NAME": "x", "--base-url": "http://127.0.0.1:9/v1", "--model": "m", option: value}
    args = ["endpoints", "add", fields.pop("NAME"), "--catalog-model", "beta-4b"]
    args += [part for pair in fields.items() for part in pair]
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in error_line(result.stderr)
    assert registry.read_text(encoding="utf-8") == VALID_ENDPOINT


def test_base_url_password_not_echoed(run_cli: Runner, registry: Path) -> None:
    url = f"http://user:{PASSWORD}@127.0.0.1:9/v1\n"
    result = run_cli("endpoints", "add", "x", "--model", "m", "--catalog-model", "beta-4b",
                     "--base-url", url)  # fmt: skip
    assert result.exit_code == 2
    assert "base_url: the value contains the control character U+000A" in error_line(result.stderr)
    assert PASSWORD not in result.stderr
    assert registry.read_text(encoding="utf-8") == VALID_ENDPOINT


def test_escaped_control_in_file_rejected(run_cli: Runner, registry: Path) -> None:
    registry.write_text(VALID_ENDPOINT.replace("served-kept", '"served\\e[2J"'), encoding="utf-8")
    result = run_cli("endpoints", "list")
    assert result.exit_code == 1
    line = error_line(result.stderr)
    assert "endpoints[0].model: 'served\\x1b[2J' contains the control character U+001B" in line
