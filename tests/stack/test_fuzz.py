"""Every route of the HTTP API fuzzed from its own OpenAPI description (schemathesis), with valid
sessions for each audience, on a server of its own (what the fuzzer writes stays there): no
request, however malformed, gets a 5xx. Then a list of hand-made malformed bodies, the same rule."""

from __future__ import annotations


import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.conftest import Chat, copy_home, password, run_cli, served

EXAMPLES = 15  # per operation: about 600 requests in all
SKIPPED = {
    ("POST", "/api/operator/logout"),  # would end the fuzzer's own session
    ("POST", "/api/admin/logout"),
    ("GET", "/api/chat/{session_id}/events"),  # a stream: fuzzed through its 404s below
}
STAFF = [("fz_admin", "admin", ""), ("fz_boss", "supervisor", ""), ("fz_op", "operator", "示例市城市管理局")]


@pytest.fixture(scope="module")
def fuzzed(sample_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz") / "home"
    copy_home(sample_home, home)
    for name, role, department in STAFF:
        args = ["user", "add", name, "--role", role, "--password", password(name)]
        assert run_cli(home, *args, *(["--department", department] if department else [])).returncode == 0
    with served(home) as running:
        base = running["base"]
        tokens = {}
        for name, _role, _department in STAFF:
            path = "/api/admin/login" if name == "fz_admin" else "/api/operator/login"
            tokens[name] = httpx.post(base + path, json={"username": name, "password": password(name)}).json()["token"]
        yield {"base": base, "tokens": tokens, "citizen": Chat(base)}


def _headers(path: str, fuzzed: dict) -> dict:
    if path.startswith("/api/admin"):
        return {"Authorization": "Bearer " + fuzzed["tokens"]["fz_admin"]}
    if path.startswith(("/api/operator", "/api/assist")):
        return {"Authorization": "Bearer " + fuzzed["tokens"]["fz_boss"]}
    if path.startswith("/api/chat"):
        return dict(fuzzed["citizen"].headers)
    return {}


def test_no_route_answers_5xx_to_fuzzed_requests(fuzzed):
    base = fuzzed["base"]
    schema = schemathesis.openapi.from_dict(httpx.get(base + "/openapi.json").json())
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        method, path = operation.method.upper(), operation.path
        if (method, path) in SKIPPED:
            continue
        headers = _headers(path, fuzzed)

        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(base_url=base, headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append((method, path, response.status_code, case.as_curl_command()[:400], response.text[:200]))

        run()
    assert not failures, "\n".join(map(str, failures[:10]))


MALFORMED = [
    b'{"session_id": "web-x", "text": "\\udfff"}',
    b'{"session_id": "web-x", "text": 1e999}',
    b'{"session_id": ["web-x"], "text": {"a": null}}',
    b'{"session_id": "web-x", "payload": "/choose_service{\\"service_key\\": \\"' + b"x" * 200 + b'\\"}"}',
    b"[]",
    b"null",
    b'"just a string"',
    b"\xef\xbb\xbf{}",
    b'{"username": "\\u0000", "password": "\\u0000"}',
    b'{"question": "' + "问".encode() * 2000 + b'", "kind": "missing"}',
]
ROUTES = [
    "/api/chat",
    "/api/chat/sessions",
    "/api/admin/login",
    "/api/operator/login",
    "/api/assist",
    "/api/operator/flags",
    "/api/admin/items",
    "/api/admin/gold",
]


def test_malformed_bodies_are_refused_with_4xx(fuzzed):
    base = fuzzed["base"]
    for route in ROUTES:
        for body in MALFORMED:
            reply = httpx.post(
                base + route, content=body, headers={"Content-Type": "application/json", **_headers(route, fuzzed)}, timeout=60
            )
            assert reply.status_code < 500, (route, body[:80], reply.status_code, reply.text[:200])
    for never in ("web-nobody", "wx:someone", "%00", "a" * 100):
        assert httpx.get(f"{base}/api/chat/{never}/events", headers=fuzzed["citizen"].headers, timeout=10).status_code in (404, 422)
