"""Site routes and the JSON API through the in-process ASGI client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from modelvs.catalog.catalog import Catalog
from modelvs.web.app import create_app

from .conftest import AS_OF, temporary_database


@pytest.fixture(scope="module")
def client(catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(
        create_app(catalog, as_of=AS_OF, database_url=temporary_database()), follow_redirects=False
    ) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/models",
        "/models?q=beta",
        "/models/beta-4b",
        "/benchmarks",
        "/benchmarks/ocrbench-v1",
        "/methodology",
        "/compare/alpha-moe-16b-a3b-vs-beta-4b",
        "/compare?models=beta-4b,alpha-moe-16b-a3b,gamma-api",
        "/static/app.css",
        "/static/app.js",
        "/search.json",
        "/report?model=beta-4b&field=context.input_tokens",
    ],
)
def test_page_ok(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["etag"]
    assert "max-age" in response.headers["cache-control"]


def test_reversed_pair_redirects(client: TestClient) -> None:
    response = client.get("/compare/beta-4b-vs-alpha-moe-16b-a3b")
    assert response.status_code == 301
    assert response.headers["location"] == "/compare/alpha-moe-16b-a3b-vs-beta-4b"


def test_alias_pair_redirects(client: TestClient) -> None:
    response = client.get("/compare/beta-4b-vs-Alpha-MoE-16B-A3B")
    assert response.status_code == 301
    assert response.headers["location"] == "/compare/alpha-moe-16b-a3b-vs-beta-4b"


def test_query_pair_redirects_to_canonical(client: TestClient) -> None:
    response = client.get("/compare?a=gamma-api&b=beta-4b")
    assert response.status_code == 301
    assert response.headers["location"] == "/compare/beta-4b-vs-gamma-api"


def test_alias_model_redirects(client: TestClient) -> None:
    response = client.get("/models/beta/Beta-4B-Instruct")
    assert response.status_code == 301
    assert response.headers["location"] == "/models/beta-4b"


def test_compare_page_has_every_section(client: TestClient) -> None:
    page = client.get("/compare/alpha-moe-16b-a3b-vs-beta-4b").text
    for number in range(1, 16):
        assert f">{number}. " in page
    assert '<link rel="canonical" href="/compare/alpha-moe-16b-a3b-vs-beta-4b">' in page
    assert 'href="/report?model=beta-4b&amp;field=context.input_tokens"' in page


def test_etag_revalidation(client: TestClient) -> None:
    first = client.get("/compare/alpha-moe-16b-a3b-vs-beta-4b")
    again = client.get(
        "/compare/alpha-moe-16b-a3b-vs-beta-4b", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_unknown_model_page_is_404_with_suggestion(client: TestClient) -> None:
    response = client.get("/compare/beta-4-vs-gamma-api")
    assert response.status_code == 404
    assert "unknown model" in response.text
    assert 'href="/models/beta-4b"' in response.text


def test_api_compare_matches_page_object(client: TestClient) -> None:
    data = client.get("/api/v1/compare/beta-4b-vs-alpha-moe-16b-a3b").json()
    assert [m["slug"] for m in data["models"]] == ["alpha-moe-16b-a3b", "beta-4b"]
    assert data["pairs"][0]["verdict"]["strength"] == "clear"
    same = client.get("/api/v1/compare?models=beta-4b,alpha-moe-16b-a3b").json()
    assert same == data
    suffixed = client.get("/api/v1/compare/alpha-moe-16b-a3b-vs-beta-4b.json").json()
    assert suffixed == data


def test_api_models_and_model(client: TestClient) -> None:
    rows = client.get("/api/v1/models").json()
    assert {r["slug"] for r in rows} == {"alpha-moe-16b-a3b", "beta-4b", "evil-model", "gamma-api"}
    model = client.get("/api/v1/models/beta-4b.json").json()
    assert model["parameters"]["total_billions"]["value"] == 4.44


def test_api_leaderboard_filters_exclude_unknown(client: TestClient) -> None:
    board = client.get("/api/v1/leaderboard/mmstar?max_total_billions=100").json()
    slugs = [r["slug"] for r in board["rows"]]
    assert "gamma-api" not in slugs
    assert board["excluded"] == 1
    assert [r["rank"] for r in board["rows"]] == sorted(r["rank"] for r in board["rows"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/models/nope", 404),
        ("/api/v1/compare/beta-4b-vs-nope", 404),
        ("/api/v1/compare/beta-4b", 400),
        ("/api/v1/compare?models=beta-4b", 400),
        ("/api/v1/leaderboard/nope", 404),
        ("/api/v1/leaderboard/mmstar?open_weights=maybe", 400),
        ("/api/v1/nothing", 404),
    ],
)
def test_api_errors_share_one_shape(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False
    assert body["status"] == status
    assert body["error"]


def test_report_form_returns_change_file(client: TestClient) -> None:
    import yaml

    response = client.post(
        "/report",
        data={
            "model": "beta-4b",
            "field": "context.input_tokens",
            "value": "131072",
            "evidence_url": "https://beta.example.org/card",
            "evidence_title": "Beta card",
        },
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    change = yaml.safe_load(response.text)
    assert change[0]["file"] == "models/beta/beta-4b.yaml"
    assert change[0]["value"] == "131072"
    assert change[0]["source"]["url"] == "https://beta.example.org/card"


def test_report_rejects_non_http_evidence(client: TestClient) -> None:
    response = client.post(
        "/report",
        data={
            "model": "beta-4b",
            "field": "context.input_tokens",
            "value": "1",
            "evidence_url": "javascript:alert(1)",
            "evidence_title": "x",
        },
    )
    assert response.status_code == 400


def test_openapi_lists_api_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/models",
        "/api/v1/models/{slug}",
        "/api/v1/benchmarks",
        "/api/v1/leaderboard/{variant}",
        "/api/v1/compare",
        "/api/v1/compare/{pair}",
    ]:
        assert path in paths


def test_page_cache_replays_without_router(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelvs.web import pages

    calls: list[str] = []
    real_site_of = pages.site_of

    def counting_site_of(request):  # type: ignore[no-untyped-def]
        calls.append(request.url.path)
        return real_site_of(request)

    monkeypatch.setattr(pages, "site_of", counting_site_of)
    with TestClient(create_app(catalog, as_of=AS_OF, database_url=temporary_database())) as client:
        first = client.get("/compare/alpha-moe-16b-a3b-vs-beta-4b")
        second = client.get("/compare/alpha-moe-16b-a3b-vs-beta-4b")
        cached_304 = client.get(
            "/compare/alpha-moe-16b-a3b-vs-beta-4b",
            headers={"If-None-Match": first.headers["etag"]},
        )
        client.get("/compare/beta-4-vs-gamma-api")
        client.get("/compare/beta-4-vs-gamma-api")

    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert cached_304.status_code == 304
    # The page went through the router once; the unknown-model error went through twice.
    assert calls.count("/compare/alpha-moe-16b-a3b-vs-beta-4b") == 1
    assert calls.count("/compare/beta-4-vs-gamma-api") == 2


def test_head_and_security_headers(client: TestClient) -> None:
    head = client.head("/compare/alpha-moe-16b-a3b-vs-beta-4b")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"]
    assert head.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in head.headers["content-security-policy"]
    star = client.get("/compare/alpha-moe-16b-a3b-vs-beta-4b", headers={"If-None-Match": "*"})
    assert star.status_code == 304


def test_openapi_documents_400_not_422(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    for path in document["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]


def test_api_unknown_model_points_to_api(client: TestClient) -> None:
    body = client.get("/api/v1/models/beta-4").json()
    assert "did you mean beta-4b" in body["error"]
    assert "/api/v1/models" in body["error"]
