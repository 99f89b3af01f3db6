"""Web chat sessions belong to their citizen: the server issues the id and a token, and nothing of a
conversation is reachable without both; WeChat conversations are not reachable from the web API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from govbot.records import Records, chat_sessions, now
from govbot.settings import Settings
from tests.conftest import Chat


def test_sessions_are_issued_unguessable(stack):
    a, b = Chat(stack["base"]), Chat(stack["base"])
    assert a.session_id != b.session_id and a.headers != b.headers
    assert a.session_id.startswith("web-") and len(a.session_id) >= 4 + 22  # 128 bits, URL-safe base64
    assert len(a.headers["X-Session-Token"]) >= 43  # 256 bits


def test_nothing_without_the_token(stack):
    base, citizen = stack["base"], Chat(stack["base"])
    citizen.say("居住证怎么办理")
    other = Chat(base)
    attempts = {
        "no token": {},
        "wrong token": {"X-Session-Token": "x" * 43},
        "another session's token": other.headers,
    }
    bodies = set()
    for headers in attempts.values():
        chat = httpx.post(f"{base}/api/chat", json={"session_id": citizen.session_id, "text": "我的电话是多少"}, headers=headers)
        history = httpx.get(f"{base}/api/chat/{citizen.session_id}/history", headers=headers)
        events = httpx.get(f"{base}/api/chat/{citizen.session_id}/events", headers=headers)
        assert chat.status_code == history.status_code == events.status_code == 404
        bodies |= {chat.text, history.text, events.text}
    for never_issued in ("web-" + "A" * 22, "wx:oAbCdEfGhIjKlMnOpQrStUvWxYz", "t-follow"):
        refused = httpx.post(f"{base}/api/chat", json={"session_id": never_issued, "text": "你好"}, headers=citizen.headers)
        assert refused.status_code == 404
        bodies.add(refused.text)
        bodies.add(httpx.get(f"{base}/api/chat/{never_issued}/history", headers=citizen.headers).text)
    assert len(bodies) == 1  # the same answer whatever was wrong
    assert [m["role"] for m in citizen.history()] == ["citizen", "bot"]  # nothing was added by the attempts


def test_an_idle_session_lapses(stack):
    citizen = Chat(stack["base"])
    citizen.say("你好")
    records = Records(Settings(home=stack["home"]).db_url)
    idle = Settings(home=stack["home"]).chat_session_idle_minutes
    with records.engine.begin() as conn:
        conn.execute(
            update(chat_sessions).where(chat_sessions.c.id == citizen.session_id).values(last_seen=now() - timedelta(minutes=idle + 1))
        )
    assert citizen.send("居住证怎么办理").status_code == 404
    fresh = Chat(stack["base"])  # what the page does then
    assert fresh.say("居住证怎么办理")["replies"]


def test_replies_and_history_carry_the_answer_status(stack):
    citizen = Chat(stack["base"])
    clarify = citizen.say("小学一年级报名是什么时间？")["replies"]
    assert clarify[0]["answer_status"] == "clarify" and len(clarify[0]["buttons"]) >= 2
    answered = citizen.say("公积金怎么提取")["replies"]
    assert answered[0]["answer_status"] == "answered" and answered[0]["sources"]
    history = citizen.history()
    assert [m["answer_status"] for m in history if m["role"] == "bot"][:2] == ["clarify", "answered"]
    assert all(m["answer_status"] is None for m in history if m["role"] == "citizen")


def test_turns_beyond_the_rate_get_429_with_retry_after(sample_home):
    settings = Settings(home=sample_home, rasa_port=1, action_port=1, rasa_timeout_s=1, chat_turns_per_minute_session=2)
    with TestClient(create_app(settings)) as client:
        opened = client.post("/api/chat/sessions")
        assert opened.status_code == 201
        body, headers = {"session_id": opened.json()["session_id"], "text": "你好"}, {"X-Session-Token": opened.json()["token"]}
        codes = [client.post("/api/chat", json=body, headers=headers).status_code for _ in range(2)]
        assert codes == [503, 503]  # through the limit (Rasa is not running here)
        limited = client.post("/api/chat", json=body, headers=headers)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1 and "秒后再试" in limited.json()["detail"]
        again = client.post("/api/chat/sessions").json()  # another session has its own budget
        assert (
            client.post(
                "/api/chat", json={**body, "session_id": again["session_id"]}, headers={"X-Session-Token": again["token"]}
            ).status_code
            == 503
        )


def test_personal_data_sent_in_chat_is_in_no_file_and_no_log(stack):
    citizen = Chat(stack["base"])
    citizen.say("我的身份证是110101 19900307 757X，银行卡6222-0212-3456-7890，手机+86 139 8765 4321，社保卡丢了怎么补办")
    citizen.say(payload='/choose_service{"service_key": "13987654321"}')  # a payload's entities are masked too
    raw = [b"19900307 757X", b"11010119900307757X", b"0212-3456-7890", b"6222021234567890", b"139 8765 4321", b"13987654321"]
    found = []
    for path in sorted(Path(stack["home"]).rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [(str(path.relative_to(stack["home"])), r) for r in raw if r in data]
    assert not found, found  # the transcript, tracker, question log, vault (sealed) and the server's log alike
