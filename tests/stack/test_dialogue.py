"""Conversations through POST /api/chat against the real Rasa server, action server and API."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Chat


def _texts(data: dict) -> str:
    return "\n".join(r["text"] for r in data["replies"])


def _sources(data: dict) -> list[dict]:
    return [s for r in data["replies"] for s in r["sources"]]


def test_health_reports_every_part_ready(stack):
    body = httpx.get(f"{stack['base']}/api/health").json()
    assert body["status"] == "ok" and body["missing"] == [] and body["index"]["passages"] > 100


def test_follow_up_questions_stay_with_the_service(stack):
    chat = Chat(stack["base"])
    first = chat.say("居住证怎么办理？")
    assert first["status"] == "bot" and any("居住证" in s["title"] for s in _sources(first))
    materials = chat.say("要带什么材料？")
    assert any("居住证" in s["title"] for s in _sources(materials)), materials
    assert "身份证" in _texts(materials)
    where = chat.say("在哪办？")
    assert any("居住证" in s["title"] for s in _sources(where)), where


def test_clarification_buttons_pick_the_service(stack):
    chat = Chat(stack["base"])
    asked = chat.say("小学一年级报名是什么时间？")
    buttons = [b for r in asked["replies"] for b in r["buttons"]]
    assert len(buttons) >= 2 and all(b["payload"].startswith("/choose_service") for b in buttons)
    chosen = chat.say(payload=buttons[0]["payload"])
    assert _sources(chosen) and buttons[0]["title"][:2] in (_sources(chosen)[0]["title"] + _texts(chosen))


def test_a_typed_choice_after_a_clarification_answers_the_question_asked(stack):
    """A citizen who types which one ("城东区的") instead of pressing a button gets the answer to
    the question asked back about; the next question is no longer joined to it."""
    chat = Chat(stack["base"])
    asked = chat.say("小学一年级报名是什么时间？")
    assert any(b["title"] for r in asked["replies"] for b in r["buttons"]), asked
    typed = chat.say("城东区的")
    assert _sources(typed) and _sources(typed)[0]["region"] == "示例市城东区", typed
    tracker = httpx.get(f"{stack['rasa']}/conversations/{chat.session_id}/tracker", params={"token": stack["rasa_token"]}).json()
    assert tracker["slots"]["pending_question"] is None  # settled: the next question stands alone


def test_work_order_form_masks_the_phone_and_gives_a_tracking_number(stack):
    from govbot.records import Records, work_orders
    from govbot.settings import Settings

    chat = Chat(stack["base"])
    start = chat.say("我要投诉")
    assert "描述" in _texts(start), start
    chat.say("小区门口每天早上都有人占道卖菜，堵住消防通道")
    phone_prompt = chat.say("城东区人民路18号幸福小区东门")
    assert "电话" in _texts(phone_prompt)
    bad = chat.say("不告诉你")
    assert "格式不正确" in _texts(bad)
    callback = chat.say("我的手机是13812345678")
    assert "回访" in _texts(callback)
    done = chat.say(payload="/affirm")
    text = _texts(done)
    assert "工单号：GD" in text and "城市管理局" in text
    tracking = text.split("工单号：")[1][:16]
    records = Records(Settings(home=stack["home"]).db_url)
    order = records.work_order(tracking)
    assert order and order["phone"] == "13812345678" and order["callback"] is True and order["type"] == "complain"
    history = chat.history()
    assert all("13812345678" not in m["text"] for m in history)
    assert any("138****5678" in m["text"] for m in history)
    tracker_url = f"{stack['rasa']}/conversations/{chat.session_id}/tracker"
    assert httpx.get(tracker_url).status_code in (401, 403)  # Rasa's API wants the token
    tracker = httpx.get(tracker_url, params={"token": stack["rasa_token"]}).text
    assert "13812345678" not in tracker
    assert records.count(work_orders) >= 1


def _work_orders_of(stack, conversation_id: str) -> list[dict]:
    from sqlalchemy import create_engine, select

    from govbot.records import work_orders
    from govbot.settings import Settings

    engine = create_engine(Settings(home=stack["home"]).db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(work_orders).where(work_orders.c.conversation_id == conversation_id))
        return [dict(row._mapping) for row in rows]


def test_cancelling_the_form_files_nothing_and_the_next_question_is_answered(stack):
    chat = Chat(stack["base"])
    start = chat.say("我要投诉")
    assert "取消" in _texts(start), start  # the way out is told up front
    address_prompt = chat.say("小区门口每天都有人占道卖菜")
    assert "地点" in _texts(address_prompt)
    cancelled = chat.say("算了不投诉了")
    assert "已取消" in _texts(cancelled), cancelled
    assert _work_orders_of(stack, chat.session_id) == []
    answer = chat.say("居住证怎么办理？")
    assert "居住证" in _texts(answer) and _sources(answer), answer  # a question again, not a form answer
    assert _work_orders_of(stack, chat.session_id) == []


def test_a_new_question_in_the_form_is_answered_and_the_form_goes_on(stack):
    chat = Chat(stack["base"])
    chat.say("我要投诉")
    chat.say("楼下新开的饭店油烟很大，熏得窗户都不敢开")
    detour = chat.say("居住证怎么办理？")
    text = _texts(detour)
    assert _sources(detour) and "居住证" in text, detour  # answered from the knowledge base
    assert "登记还在进行中" in text and "地点" in text  # and the form asks for the address again
    assert "电话" in _texts(chat.say("城东区人民路18号"))
    assert "回访" in _texts(chat.say("13812345678"))
    done = chat.say(payload="/deny")
    assert "工单号：GD" in _texts(done), done
    [order] = _work_orders_of(stack, chat.session_id)
    assert order["address"] == "城东区人民路18号" and "油烟" in order["content"] and order["callback"] is False


def test_emergency_goes_straight_to_emergency_numbers(stack):
    reply = Chat(stack["base"]).say("救命，家里着火了！")
    assert "119" in _texts(reply) and _sources(reply) == []


def test_out_of_scope_is_declined_politely_with_the_hotline(stack):
    reply = Chat(stack["base"]).say("帮我订一份外卖")
    assert _sources(reply) == [] and ("12345" in _texts(reply) or "范围" in _texts(reply))


def test_feedback_is_stored_with_the_question_and_sources(stack):
    from govbot.records import Records
    from govbot.settings import Settings

    chat = Chat(stack["base"])
    answer = chat.say("公积金怎么提取")
    assert _sources(answer)
    reply = chat.say(payload="/feedback_negative")
    assert "反馈" in _texts(reply)
    stored = Records(Settings(home=stack["home"]).db_url).feedback_for(chat.session_id)
    assert stored and stored[-1]["helpful"] is False and "公积金" in stored[-1]["question"]
    assert stored[-1]["sources"] and stored[-1]["sources"][0]["title"] == _sources(answer)[0]["title"]


def test_two_failures_in_a_row_offer_a_person(stack):
    chat = Chat(stack["base"])
    chat.say("申请发明专利需要准备哪些材料？")
    second = chat.say("农村宅基地申请建房要走什么流程？")
    assert any(b["payload"] == "/request_human" for r in second["replies"] for b in r["buttons"]), second


def test_request_human_pauses_the_bot(stack):
    chat = Chat(stack["base"])
    handoff = chat.say("转人工")
    assert handoff["status"] == "waiting" and "人工" in _texts(handoff)
    later = chat.say("你好，有人吗？")
    assert later["status"] == "waiting" and later["replies"] == []
    history = chat.history()
    assert history[-1]["role"] == "citizen" and history[-1]["text"] == "你好，有人吗？"


@pytest.mark.parametrize(
    "body, expect",
    [
        ({"text": ""}, "请输入"),
        ({"text": "   "}, "请输入"),
        ({"text": "长" * 5000}, "太长"),  # over 10,000: 422 (tests/unit/test_guard.py)
        ({"payload": "/unknown_intent"}, "失效"),
        ({"payload": "/choose_service{not json"}, "失效"),
    ],
)
def test_bad_input_gets_a_polite_reply(stack, body, expect):
    response = Chat(stack["base"]).send(**body)
    assert response.status_code == 200 and expect in _texts(response.json())


@pytest.mark.parametrize(
    "n, text",
    list(
        enumerate(
            ["😀😀😀", "how do I get a residence permit?", "<script>alert(1)</script>居住证怎么办", '/choose_service{"service_key": 1}']
        )
    ),
)
def test_odd_text_never_crashes_or_echoes_markup(stack, n, text):
    data = Chat(stack["base"]).say(text)
    assert data["replies"] and "<script>" not in _texts(data) and data["status"] == "bot"


def test_malformed_requests_are_rejected(stack):
    assert httpx.post(f"{stack['base']}/api/chat", json={"text": "hi"}).status_code == 422
    assert httpx.post(f"{stack['base']}/api/chat", json={"session_id": "bad id!", "text": "hi"}).status_code == 422


@pytest.mark.parametrize("host_actions", [True, False])
def test_rasa_down_gives_503_with_the_hotline(sample_home, host_actions):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from govbot.settings import Settings

    settings = Settings(home=sample_home, rasa_port=1, action_port=1, rasa_timeout_s=2, host_actions=host_actions)
    with TestClient(create_app(settings)) as client:
        opened = client.post("/api/chat/sessions").json()
        session_id, headers = opened["session_id"], {"X-Session-Token": opened["token"]}
        chat = client.post("/api/chat", json={"session_id": session_id, "text": "居住证怎么办理"}, headers=headers)
        assert chat.status_code == 503 and "12345" in chat.json()["detail"]
        health = client.get("/api/health")
        # hosted, the actions are this process's (ready with its engine); else their server is down too
        assert health.status_code == 503 and set(health.json()["missing"]) == ({"rasa"} if host_actions else {"rasa", "actions"})
        history = client.get(f"/api/chat/{session_id}/history", headers=headers).json()["messages"]
        assert history and history[-1]["text"] == "居住证怎么办理"  # nothing the citizen said is lost


def test_the_api_hosts_the_action_endpoint_with_its_own_engine(sample_home, monkeypatch):
    """Rasa's action call answered by the API process, from the API's engine (no second copy)."""
    from fastapi.testclient import TestClient

    from actions.context import knowledge
    from api.app import create_app
    from govbot.settings import get_settings

    call = {
        "next_action": "action_answer",
        "sender_id": "t-hosted",
        "version": "3.6.21",
        "tracker": {
            "sender_id": "t-hosted",
            "slots": {},
            "latest_message": {"text": "居住证怎么办理？", "intent": {"name": "ask"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }
    monkeypatch.setenv("GOVBOT_HOME", str(sample_home))  # as `serve` gives the API process its home
    monkeypatch.setenv("GOVBOT_RASA_TOKEN", "t0ken-of-this-serve")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(get_settings())) as client:
            assert client.post("/actions/webhook", json=call).status_code == 403  # only our Rasa, with the token
            assert client.post("/actions/webhook?token=guess", json=call).status_code == 403
            result = client.post("/actions/webhook?token=t0ken-of-this-serve", json=call).json()
            assert client.app.state.kb is knowledge()  # the actions' engine is the API's
            assert client.get("/actions/webhook").status_code == 405
            assert client.post("/actions/webhook?token=t0ken-of-this-serve", content=b"not json").status_code == 400
    finally:
        get_settings.cache_clear()
    reply = result["responses"][0]["custom"]
    assert reply["answer_status"] == "answered" and "居住证" in reply["sources"][0]["title"]
    assert any(e.get("name") == "service" and e.get("value") for e in result["events"] if e.get("event") == "slot")


def test_rasa_end_to_end_stories(stack, tmp_path):
    """`rasa test core` on tests/stack/test_stories.yml with the running action server: no story fails."""
    import subprocess

    from govbot.serve import QUIET, ensure_model, rasa_bin
    from govbot.settings import Settings
    from tests.conftest import REPO

    settings = Settings(home=stack["home"])
    endpoints = stack["home"] / "rasa" / "endpoints.yml"
    result = subprocess.run(
        [
            str(rasa_bin(settings)),
            "test",
            "core",
            "--model",
            str(ensure_model(settings)),
            "--stories",
            "tests/stack/test_stories.yml",
            "--endpoints",
            str(endpoints),
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, **QUIET},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed


def test_canned_replies_name_the_city_and_hotline_from_settings(stack):
    chat = Chat(stack["base"])
    greeting = _texts(chat.say("你好"))
    assert "示例市12345政务服务智能助手" in greeting, greeting  # the stack's settings: the defaults
    assert "{" not in greeting and "None" not in greeting
    assert "12345" in _texts(chat.say("再见"))


def test_the_chat_asks_which_case_applies_and_a_pressed_case_answers(stack):
    """Issue 18.2: an answer that differs by the citizen's situation comes with the cases as
    buttons; pressing one (or typing "我交了7年") leads with the case that applies."""
    chat = Chat(stack["base"])
    asked = chat.say("失业保险金最长能领多久？")
    buttons = [b for r in asked["replies"] for b in r["buttons"]]
    assert [b["title"] for b in buttons][:3] == ["累计缴费满1年不满5年", "满5年不满10年", "10年以上"], asked
    chosen = chat.say(payload=buttons[1]["payload"])
    assert "要点：满5年不满10年的最长18个月" in _texts(chosen), chosen
    typed = Chat(stack["base"])
    typed.say("失业保险金最长能领多久？")
    assert "要点：10年以上的最长24个月" in _texts(typed.say("我交了12年")), typed.history()


def test_a_situation_said_earlier_in_the_chat_picks_the_case(stack):
    """What the citizen said of themselves in an earlier message ("我交了7年失业保险") picks the case
    of a later answer that differs by it (the action reads the conversation's earlier messages)."""
    chat = Chat(stack["base"])
    chat.say("我交了7年失业保险，现在失业了")
    later = chat.say("失业保险金最长能领多久？")
    assert "要点：满5年不满10年的最长18个月" in _texts(later), later
    assert not [b for r in later["replies"] for b in r["buttons"] if "满1年" in b["title"]]  # nothing to ask
