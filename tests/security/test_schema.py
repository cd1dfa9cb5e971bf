"""The OpenAPI schema describes every API route, and schemathesis holds the running site to it: requests generated
from the schema (valid and not) against the live test server, as alice, must never get a 5xx, and every documented
response must match its schema. Bounded: a few dozen examples per operation."""

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fakes.fake_anthropic import VALID_KEY, FakeAnthropic

EXAMPLES_PER_OPERATION = 15


def test_the_schema_and_its_docs_are_served(api_as, alice):
    client = api_as(alice)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/trials/", "/api/auth/token/", "/api/studies/{study_id}/", "/api/datasets/upload/"} <= set(paths)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page  # served here, no CDN
    assert "cdn" not in page.lower()


def test_every_api_route_is_in_the_schema_with_its_responses():
    from django.urls import get_resolver

    schema = SchemaGenerator().get_schema(request=None, public=True)
    routes = {"/" + str(p.pattern) for p in get_resolver().url_patterns if str(p.pattern).startswith("api/")}
    documented = {path.replace("{", "<id:").replace("}", ">") for path in schema["paths"]}
    for route in routes - {"/api/schema/", "/api/docs/"}:
        normalised = route.replace("<slug:", "<id:").replace("<str:", "<id:")
        assert normalised in documented, f"{route} is missing from the schema: give its view @extend_schema"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            ok = {code for code in codes if code.startswith("2")}
            assert ok, f"{method.upper()} {path} documents no success response"
            # The refusals are documented too, with their bodies (schemathesis holds the answers to them).
            errors = {"400", "401", "403"} | ({"404"} if "{" in path else set())
            if path.startswith("/api/auth/"):
                errors -= {"403"}
            assert errors <= codes, f"{method.upper()} {path} does not document {sorted(errors - codes)}"
            for code in errors:
                assert "application/json" in operation["responses"][code]["content"], (method, path, code)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    approve = schema["paths"]["/api/trials/{trial_id}/approve/"]["post"]["responses"]
    assert approve["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "429" in schema["paths"]["/api/trials/"]["post"]["responses"]


@pytest.fixture
def api_schema(live_server, alice, bob, team_a, charlie, settings):
    """The site's schema, aimed at the live server, with alice's token; the coach talks to a local fake Claude."""
    with FakeAnthropic() as claude:
        settings.ANTHROPIC_API_KEY = VALID_KEY
        settings.ANTHROPIC_BASE_URL = claude.base_url
        schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
        token = RefreshToken.for_user(alice).access_token
        schema.config.update(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {token}"},
            suppress_health_check=list(HealthCheck),
            request_timeout=30,
        )
        schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION)
        yield schema


@pytest.mark.django_db(transaction=True)  # the live server's threads must see the cast
def test_no_server_error_and_no_schema_violation(api_schema):
    failures = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in api_schema.get_all_operations():
            operation = result.ok()

            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,  # the same requests every run: a failure here reproduces
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(mode))
            def call(case):
                case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

            try:
                call()
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to make invalid in this operation's inputs (a negative case needs one)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{mode.value} {operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
