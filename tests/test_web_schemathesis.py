"""Property-based requests generated from the OpenAPI document: the API never answers 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from modelvs.catalog.load import load_catalog
from modelvs.web.app import create_app

from .conftest import AS_OF, FIXTURE_CATALOG, temporary_database

app = create_app(load_catalog(FIXTURE_CATALOG), as_of=AS_OF, database_url=temporary_database())
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
