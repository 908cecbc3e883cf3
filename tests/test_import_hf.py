"""``modelvs import hf`` through the real huggingface_hub client against a loopback server.

The server replays Hub responses recorded by hand under tests/fixtures/importers/hub in the
Hub API's layout: ``GET /api/models/{repo}`` and ``HEAD``/``GET``
``/{repo}/resolve/{revision}/{file}``.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import huggingface_hub.constants as hub_constants
import pytest

from modelvs.catalog.load import load_catalog

from .conftest import Runner

HUB = Path(__file__).parent / "fixtures" / "importers" / "hub"
MODEL_INFO = re.compile(r"/api/models/(?P<repo>[^/]+/[^/]+)")
RESOLVE = re.compile(r"/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<file>.+)")


class HubHandler(BaseHTTPRequestHandler):
    """Serve the recorded responses; every request path is kept for the tests to inspect."""

    requests: list[str]

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _serve(self, send_body: bool) -> None:
        self.requests.append(self.path)
        path = urlsplit(self.path).path
        if match := MODEL_INFO.fullmatch(path):
            info = HUB / match["repo"] / "model_info.json"
            if not info.exists():
                self._error(404, "RepoNotFound", "Repository not found")
                return
            self._send(200, info.read_bytes(), {}, send_body)
            return
        if match := RESOLVE.fullmatch(path):
            self._resolve(match["repo"], match["revision"], match["file"], send_body)
            return
        self._error(404, "RepoNotFound", "Repository not found")

    def _resolve(self, repo: str, revision: str, name: str, send_body: bool) -> None:
        info_path = HUB / repo / "model_info.json"
        if not info_path.exists():
            self._error(404, "RepoNotFound", "Repository not found")
            return
        sha = json.loads(info_path.read_text())["sha"]
        if revision not in (sha, "main"):
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        target = HUB / repo / name
        if not target.exists():
            self._error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": sha})
            return
        body = target.read_bytes()
        etag = hashlib.sha1(body).hexdigest()
        headers = {"X-Repo-Commit": sha, "ETag": f'"{etag}"'}
        self._send(200, body, headers, send_body)

    def _error(
        self, status: int, code: str, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(status, body, {"X-Error-Code": code, **(extra or {})}, True)

    def _send(self, status: int, body: bytes, headers: dict[str, str], send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _loopback_only(lookup: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(host: object, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise OSError(f"the test blocked a lookup of {host!r}: only loopback is allowed")
        return lookup(host, *args, **kwargs)

    return guarded


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Start the replay server on 127.0.0.1 and point huggingface_hub at it."""
    requests: list[str] = []
    handler = type("RecordedHub", (HubHandler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    point_hub_at(monkeypatch, f"http://127.0.0.1:{server.server_port}")
    yield requests
    server.shutdown()
    server.server_close()
    thread.join()


def point_hub_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # huggingface_hub reads these variables once, when it is first imported. With telemetry
    # on, its user agent looks up an agent registry at the import-time endpoint, so pin the
    # module constants too.
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub_constants, "HF_HUB_DISABLE_TELEMETRY", True)
    # Any lookup of another host is a bug in the test setup: fail instead of leaving loopback.
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only(socket.getaddrinfo))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def run_import(run_cli: Runner, catalog: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli("import", "hf", *args, "--retrieved", "2026-12-04", data=catalog)
    return result.exit_code, result.stdout, result.stderr


def test_default_prints_diff_and_writes_nothing(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    before = snapshot(catalog_copy)
    code, out, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE")
    assert code == 0, err
    assert "+++ b/models/acme/alpha-moe-16b-a3b.yaml" in out
    assert "rerun with --apply" in err
    assert snapshot(catalog_copy) == before


def test_model_info_requests_file_metadata(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE")
    assert code == 0, err
    info_requests = [r for r in hub if r.startswith("/api/models/acme/Alpha-MoE")]
    assert info_requests and "blobs=" in info_requests[0]
    assert any("/resolve/3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a/config.json" in r for r in hub)
    assert not [r for r in hub if r.startswith("/api/agent-harnesses")]


def test_moe_total_never_copied_to_active(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE-Base", "--apply")
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("acme/Alpha-MoE-Base")
    assert model.parameters.total_billions.value == 16.1
    assert model.parameters.active_billions.value is None
    assert model.architecture.value is not None
    assert model.architecture.value.value == "mixture-of-experts"
    assert "64 routed experts, 6 per token, 2 shared" in (model.architecture.note or "")
    assert "active_billions stays unknown" in err


def test_moe_keeps_catalog_active_count(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE", "--apply")
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("alpha-moe-16b-a3b")
    assert model.parameters.total_billions.value == 16.1
    assert model.parameters.active_billions.value == 2.8


def test_vision_position_count_not_read_as_context(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE-Base", "--apply")
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("alpha-moe-base")
    assert model.context.input_tokens.value == 4096
    assert model.context.input_tokens.note == "config.json text_config.max_position_embeddings"
    assert model.context.max_output_tokens.value is None


def test_quantized_count_left_unknown(run_cli: Runner, catalog_copy: Path, hub: list[str]) -> None:
    code, _, err = run_import(
        run_cli, catalog_copy, "beta/Beta-4B-AWQ", "--model", "gamma-api", "--apply"
    )
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("gamma-api")
    assert model.parameters.total_billions.value is None
    assert "quantization_config (awq, 4-bit)" in err
    assert "1,339,407,360" in err


def test_quantized_count_never_lowers_catalog(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(
        run_cli, catalog_copy, "beta/Beta-4B-AWQ", "--model", "beta-4b", "--apply"
    )
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("beta-4b")
    assert model.parameters.total_billions.value == 4.44
    assert "parameters.total_billions: catalog has" not in err


def test_config_context_conflict_keeps_documented(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "beta/Beta-4B-Instruct", "--apply")
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("beta-4b")
    assert model.context.input_tokens.value == 262144
    recorded = [(c.field, c.value) for c in model.context.conflicts]
    assert recorded == [("input_tokens", 1000000), ("input_tokens", 40960)]
    assert "documented value kept" in err
    assert "Beta-4B model card" in err
    assert "beta/Beta-4B-Instruct on the Hugging Face Hub" in err


def test_second_import_changes_nothing(run_cli: Runner, catalog_copy: Path, hub: list[str]) -> None:
    first, _, err = run_import(run_cli, catalog_copy, "beta/Beta-4B-Instruct", "--apply")
    assert first == 0, err
    before = snapshot(catalog_copy)
    second, out, err = run_import(run_cli, catalog_copy, "beta/Beta-4B-Instruct", "--apply")
    assert second == 0, err
    assert out == ""
    assert "no change to the catalog" in err
    assert snapshot(catalog_copy) == before


def test_max_position_never_taken_as_max_output(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(
        run_cli, catalog_copy, "gamma/Gamma-Open", "--model", "gamma-api", "--apply"
    )
    assert code == 0, err
    model = load_catalog(catalog_copy).find_model("gamma-api")
    assert model.context.max_output_tokens.value == 32768
    assert model.context.max_output_tokens.source == "docs"
    assert model.context.input_tokens.value == 1000000
    recorded = [(c.field, c.value) for c in model.context.conflicts]
    assert recorded == [("input_tokens", 32768)]


def test_unknown_license_left_unknown(run_cli: Runner, catalog_copy: Path, hub: list[str]) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "gamma/Gamma-Open", "--model", "gamma-api")
    assert code == 0, err
    assert "license 'other' (gamma-open-terms) has no known terms" in err


def test_applied_files_pass_data_check(run_cli: Runner, catalog_copy: Path, hub: list[str]) -> None:
    for repo in ("acme/Alpha-MoE", "acme/Alpha-MoE-Base", "beta/Beta-4B-Instruct"):
        code, _, err = run_import(run_cli, catalog_copy, repo, "--apply")
        assert code == 0, err
    check = run_cli("data", "check", data=catalog_copy)
    assert check.exit_code == 0, check.stderr
    assert "0 errors" in check.stderr


def test_applied_edit_keeps_other_lines(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    path = catalog_copy / "models" / "beta" / "beta-4b.yaml"
    before = path.read_text().splitlines()
    code, _, err = run_import(run_cli, catalog_copy, "beta/Beta-4B-Instruct", "--apply")
    assert code == 0, err
    after = path.read_text().splitlines()
    assert [line for line in before if line not in after] == []
    assert after[0] == "# Fictional dense model for tests."


def test_unknown_repository_is_usage_error(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(run_cli, catalog_copy, "acme/Missing")
    assert code == 2
    assert "'acme/Missing' was not found" in err


def test_model_option_needs_one_repository(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(
        run_cli, catalog_copy, "acme/Alpha-MoE", "beta/Beta-4B-Instruct", "--model", "beta-4b"
    )
    assert code == 2
    assert "import one repository per --model" in err


def test_unreachable_hub_is_an_error(
    run_cli: Runner, catalog_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_hub_at(monkeypatch, f"http://127.0.0.1:{port}")
    code, _, err = run_import(run_cli, catalog_copy, "acme/Alpha-MoE", "--timeout-s", "5")
    assert code == 1
    assert f"could not reach http://127.0.0.1:{port} for 'acme/Alpha-MoE'" in err


def test_third_party_copy_keeps_release_and_license(
    run_cli: Runner, catalog_copy: Path, hub: list[str]
) -> None:
    code, _, err = run_import(
        run_cli, catalog_copy, "acme/Alpha-MoE", "--model", "beta-4b", "--apply"
    )
    assert code == 0, err
    assert "beta-4b.yaml: release: not read: the repository is not the authors'" in err
    model = load_catalog(catalog_copy).find_model("beta-4b")
    assert model.release is not None
    assert model.release.date.isoformat() == "2025-10-15"
    hub_sources = [s for s in model.sources.values() if "acme/Alpha-MoE" in s.title]
    assert [s.kind.value for s in hub_sources] == ["third-party"]
