"""Bounded, well-formed requests: oversized and malformed bodies get a 4xx with a Chinese reason
before any route runs (the app without its lifespan: nothing is loaded, nothing could be stored)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from govbot.ratelimit import RateLimiter
from govbot.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return TestClient(create_app(Settings(home=tmp_path_factory.mktemp("guard"))), raise_server_exceptions=False)


def _post(client, body: bytes, content_type: str = "application/json", path: str = "/api/chat"):
    return client.post(path, content=body, headers={"Content-Type": content_type})


MALFORMED = {
    "lone surrogate": b'{"session_id": "web-1", "text": "\\ud800abc"}',
    "NaN": b'{"session_id": "web-1", "text": NaN}',
    "huge number": b'{"session_id": "web-1", "text": 1e999}',
    "Infinity": b'{"query": Infinity}',
    "deep nesting": b'{"a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "not UTF-8": b'{"session_id": "web-1", "text": "\xff\xfe"}',
    "truncated": b'{"session_id": "web-1", "text": "abc',
    "not JSON": b"session_id=web-1&text=abc",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_json_is_a_422_with_a_reason(client, name):
    for path in ("/api/chat", "/api/admin/login", "/api/operator/login", "/api/assist"):
        reply = _post(client, MALFORMED[name], path=path)
        assert reply.status_code == 422, (name, path, reply.status_code, reply.text[:200])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(reply.json()["detail"]))


def test_a_megabyte_is_refused_before_it_is_read(client):
    big = b'{"session_id": "web-1", "text": "' + b"1 " * 500_000 + b'"}'
    reply = _post(client, big)
    assert reply.status_code == 413 and "过大" in reply.json()["detail"]
    chunks = iter([b'{"session_id": "web-1", "text": "'] + [b"x" * 8192] * 128 + [b'"}'])
    streamed = client.post("/api/chat", content=chunks, headers={"Content-Type": "application/json"})  # no length given
    assert streamed.status_code == 413


def test_fields_have_caps(client):
    assert client.post("/api/chat", json={"session_id": "web-1", "payload": "/choose_service" + "{}" * 200}).status_code == 422
    assert client.post("/api/chat", json={"session_id": "web-1", "text": "长" * 10_001}).status_code == 422
    assert client.post("/api/chat", json={"session_id": "x" * 101, "text": "你好"}).status_code == 422


def test_a_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=6, clock=lambda: now[0])  # one token every 10 s, six at most
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") == 0.0  # another key has its own bucket
    now[0] += 10.0
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0
    now[0] += 3600
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6  # full again, not more


def test_buckets_are_bounded():
    limiter = RateLimiter(per_minute=1, max_keys=100)
    for n in range(1000):
        limiter.take(f"k{n}")
    assert len(limiter._buckets) == 100


def test_exports_never_start_a_formula():
    import csv
    import io

    from govbot.export import excel_csv

    text = excel_csv(["操作", "备注"], [['=HYPERLINK("http://x")', "+1"], ["-2+3", "@SUM(A1)"], ["\tx", 5], [-3, "正常"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    assert '\'=HYPERLINK("http://x")' in cells and "'-2+3" in cells and "-3" in cells and "正常" in cells


def test_security_headers(client, tmp_path):
    page, data, console = client.get("/"), client.get("/api/chat/web-1/history?after=x"), client.get("/console")
    for reply in (page, data, console):
        assert reply.headers["x-content-type-options"] == "nosniff" and "referrer-policy" in reply.headers
        assert "strict-transport-security" not in reply.headers
    assert "script-src" not in page.headers["content-security-policy"] and "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert data.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
    secure = TestClient(create_app(Settings(home=tmp_path, https=True)))
    assert secure.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_a_shared_window_counts_every_replica_s_requests():
    """Two replicas' limiters over one shared state: the limit is the pair's, not each one's."""
    from govbot.ratelimit import SharedWindowLimiter
    from govbot.shared.memory import MemoryState

    shared, now = MemoryState(), [600.0 + 45]  # 45 s into a clock minute
    replicas = [SharedWindowLimiter(shared, "session", 4, clock=lambda: now[0]) for _ in range(2)]
    assert [replicas[n % 2].take("a") for n in range(4)] == [0.0] * 4
    assert replicas[0].take("a") == pytest.approx(15.0) and replicas[1].take("a") == pytest.approx(15.0)
    assert replicas[1].take("b") == 0.0  # another key has its own count
    now[0] += 15
    assert replicas[1].take("a") == 0.0  # a new minute
