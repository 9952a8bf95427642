"""The API against its own OpenAPI document (schemathesis): for generated requests, no 5xx,
and every response matches the published schema (status codes, content types, bodies,
headers), and requests without the right key are refused.

Bounded: 25 examples per operation (derandomized), against a real server on SQLite with an
API key, and the schema of a server without keys (which then publishes no security).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from service_support import Server

KEY = "schemathesis-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    work = tmp_path_factory.mktemp("schema")
    (work / "keys").write_text(KEY + "\n")
    server = Server(work, "--db", str(work / "schema.db"), "--api-key-file", str(work / "keys"))
    with server.client(headers=AUTH) as c:  # a machine for the operations that need one
        assert c.put("/v1/machines/M1", json={}).status_code == 201
    yield schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=AUTH)
    assert server.proc.poll() is None  # nothing brought it down
    server.stop()


def test_api_conforms_to_its_schema(api_schema):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    names = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {"GET /v1/health", "PUT /v1/machines/{machine}",
            "POST /v1/machines/{machine}/recordings",
            "GET /v1/machines/{machine}/history"} <= names  # fmt: skip
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)  # fmt: skip
        def check(case):
            # every check but "schema-valid data is accepted": a bearing or a sensitivity
            # is free text that only the server can judge (it answers 422, said in the schema)
            case.call_and_validate(
                headers=AUTH, timeout=60, excluded_checks=[checks.positive_data_acceptance]
            )

        check()


def test_a_server_without_keys_publishes_no_security(backend_server):
    with backend_server.client() as c:
        spec = c.get("/openapi.json").json()
    assert "securitySchemes" not in spec.get("components", {})
    ops = [op for path in spec["paths"].values() for op in path.values()]
    assert ops and not any("security" in op or "401" in op["responses"] for op in ops)
