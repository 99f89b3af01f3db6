"""Handoff and the operator API against the real stack: gate, claim, chat, release, rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.conftest import Chat, password, run_cli
from tests.stack.test_dialogue import _texts


@pytest.fixture(scope="module")
def staff(stack):
    home = stack["home"]
    for name, role, dept in [
        ("op_cg", "operator", "示例市城市管理局"),
        ("op_other", "operator", "示例市民政局"),
        ("op_cg2", "operator", "示例市城市管理局"),
        ("boss", "supervisor", ""),
        ("op_centre", "operator", ""),  # the hotline centre's operator: no department
        ("editor1", "editor", "示例市民政局"),
    ]:
        args = ["user", "add", name, "--role", role, "--password", password(name)]
        result = run_cli(home, *(args + (["--department", dept] if dept else [])))
        assert result.returncode == 0 or "已存在" in result.stderr, result.stderr
    return stack


def waiting_citizen(base: str) -> Chat:
    """A citizen who reported a broken streetlight (城管) and then asked for a person: waiting in a queue."""
    citizen = Chat(base)
    citizen.say("人民路的路灯坏了好几天了，归哪个部门管？")
    assert citizen.say("转人工")["status"] == "waiting"
    return citizen


def login(base: str, name: str) -> dict:
    response = httpx.post(f"{base}/api/operator/login", json={"username": name, "password": password(name)})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(base: str, name: str) -> httpx.Client:
    token = login(base, name)["token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_handoff_claim_chat_release(staff):
    base = staff["base"]
    citizen = Chat(base)
    citizen.say("人民路的路灯坏了好几天了，归哪个部门管？")
    waiting = citizen.say("转人工")
    assert waiting["status"] == "waiting"
    operator = bearer(base, "op_cg")
    queue = operator.get("/api/operator/queue").json()
    entry = next(c for c in queue if c["id"] == citizen.session_id)
    assert entry["status"] == "waiting" and entry["department"] == "示例市城市管理局" and entry["waiting_seconds"] >= 0
    assert entry["last_question"] == "人民路的路灯坏了好几天了，归哪个部门管？" and entry["channel"] == "web"  # what the card shows
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 200
    assert citizen.history()[-1]["text"] == "人工客服（工号 op_cg）已接入，正在为您服务。"  # the citizen is told who
    other = bearer(base, "op_cg2")
    assert other.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 409
    assert other.post(f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "x"}).status_code == 409
    assert (
        operator.post(
            f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "您好，我是城管热线坐席，请问具体位置在哪里？"}
        ).status_code
        == 200
    )
    quiet = citizen.say("在城东区人民路18号")
    assert quiet["status"] == "human" and quiet["replies"] == []  # the bot never talks over the operator
    history = citizen.history()
    roles = [m["role"] for m in history]
    assert "operator" in roles and history[-1]["role"] == "citizen"
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/release").status_code == 200
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "x"}).status_code == 409
    back = citizen.say("公积金怎么提取")
    assert back["status"] == "bot" and "公积金" in _texts(back)


def test_a_centre_operator_without_a_department_works_every_queue(staff):
    base = staff["base"]
    citizen = waiting_citizen(base)
    centre = bearer(base, "op_centre")
    entry = next(c for c in centre.get("/api/operator/queue").json() if c["id"] == citizen.session_id)
    assert entry["department"] == "示例市城市管理局"  # routed to a department, and still in view
    only_other = centre.get("/api/operator/queue", params={"department": "示例市民政局"}).json()
    assert all(c["id"] != citizen.session_id for c in only_other)  # a filter, when wanted
    assert centre.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 200
    assert centre.post(f"/api/operator/conversations/{citizen.session_id}/release").status_code == 200
    pressed = citizen.history()
    assert "转人工" in [m["text"] for m in pressed if m["role"] == "citizen"]


def test_a_greeting_then_a_person_waits_in_the_centres_own_queue(staff):
    base = staff["base"]
    citizen = Chat(base)
    citizen.say("你好")
    assert citizen.say("转人工")["status"] == "waiting"
    centre = bearer(base, "op_centre")
    entry = next(c for c in centre.get("/api/operator/queue").json() if c["id"] == citizen.session_id)
    assert entry["department"] == ""  # nothing said that a department owns: the centre reads it first


def test_transfer_goes_only_to_known_departments_and_the_citizen_is_told(staff):
    base = staff["base"]
    citizen = waiting_citizen(base)
    operator = bearer(base, "op_cg")
    known = operator.get("/api/operator/departments").json()["departments"]
    assert "示例市民政局" in known and "示例市城市管理局" in known
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 200
    typo = operator.post(f"/api/operator/conversations/{citizen.session_id}/transfer", json={"department": "示例市民证局"})
    assert typo.status_code == 422 and "部门目录中没有" in typo.json()["detail"]
    moved = operator.post(f"/api/operator/conversations/{citizen.session_id}/transfer", json={"department": "示例市民政局"})
    assert moved.status_code == 200
    target = bearer(base, "op_other").get("/api/operator/queue").json()
    assert any(c["id"] == citizen.session_id and c["status"] == "waiting" for c in target)  # in the target queue
    assert "已转给示例市民政局" in citizen.history()[-1]["text"]
    with httpx.stream("GET", f"{base}/api/chat/{citizen.session_id}/events", headers=citizen.headers, timeout=10) as events:
        lines = []
        for line in events.iter_lines():
            lines.append(line)
            if "已转给示例市民政局" in line:
                break
    assert any("已转给示例市民政局" in line for line in lines)  # pushed to the page, not only stored


def test_release_is_refused_while_the_citizen_has_written_something_the_operator_has_not_seen(staff):
    base = staff["base"]
    citizen = waiting_citizen(base)
    operator = bearer(base, "op_cg")
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 200
    seen = operator.post(f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "还有其他问题吗？"}).json()["seq"]
    assert citizen.say("还有一个问题，占道经营罚款多少？")["replies"] == []  # kept for the operator
    refused = operator.post(f"/api/operator/conversations/{citizen.session_id}/release", json={"seen_seq": seen})
    assert refused.status_code == 409 and "罚款多少" in refused.json()["detail"]
    entry = next(c for c in operator.get("/api/operator/queue").json() if c["id"] == citizen.session_id)
    assert entry["status"] == "human" and entry["operator"] == "op_cg"  # still theirs: nothing handed back
    latest = citizen.history()[-1]["seq"]
    assert (
        operator.post(f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "罚款标准请以执法文书为准。"}).status_code
        == 200
    )
    released = operator.post(f"/api/operator/conversations/{citizen.session_id}/release", json={"seen_seq": latest})
    assert released.status_code == 200  # its own messages do not count as unseen
    assert citizen.say("公积金怎么提取")["status"] == "bot"
    bad = operator.post(f"/api/operator/conversations/{citizen.session_id}/release", json={"seen_seq": -1})
    assert bad.status_code in (409, 422)


def test_rules_401_403_and_csrf(staff):
    base = staff["base"]
    citizen = Chat(base)
    citizen.say("我要找人工")
    assert httpx.get(f"{base}/api/operator/queue").status_code == 401
    assert httpx.post(f"{base}/api/operator/login", json={"username": "op_cg", "password": "wrong"}).status_code == 401
    other = bearer(base, "op_other")
    with httpx.Client(base_url=base) as anon:
        assert anon.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 401
    # conversations routed to 城管 are not another department's to take
    httpx_client = bearer(base, "op_cg")
    dept = next(c for c in httpx_client.get("/api/operator/queue").json() if c["id"] == citizen.session_id)["department"]
    if dept and dept != "示例市民政局":
        assert other.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 403
    assert bearer(base, "editor1").get("/api/operator/queue").status_code == 403
    # cookie sessions must echo the CSRF token on unsafe requests
    with httpx.Client(base_url=base) as browser:
        body = browser.post("/api/operator/login", json={"username": "boss", "password": password("boss")}).json()
        assert browser.get("/api/operator/queue").status_code == 200
        assert browser.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 403
        claimed = browser.post(f"/api/operator/conversations/{citizen.session_id}/claim", headers={"X-CSRF-Token": body["csrf_token"]})
        assert claimed.status_code == 200
        assert (
            browser.post(
                f"/api/operator/conversations/{citizen.session_id}/release", headers={"X-CSRF-Token": body["csrf_token"]}
            ).status_code
            == 200
        )


def test_assist_suggests_answers_and_a_department(staff):
    operator = bearer(staff["base"], "op_cg")
    body = operator.post("/api/assist", json={"text": "市民问居住证办理要带什么材料"}).json()
    assert 1 <= len(body["suggestions"]) <= 3
    assert body["suggestions"][0]["sources"] and "居住证" in body["suggestions"][0]["sources"][0]["title"]
    assert body["department"]["name"] and body["department"]["reason"] and body["follow_up"] is None
    # several services fit and the answer differs: the question to ask the caller
    both = operator.post("/api/assist", json={"text": "出入境证件的工本费是多少？"}).json()
    assert both["follow_up"] and len(both["follow_up"]["options"]) >= 2 and both["follow_up"]["question"].startswith("请问您咨询的是")
    assert httpx.post(f"{staff['base']}/api/assist", json={"text": "x"}).status_code == 401


def test_assist_reads_a_follow_up_in_what_the_caller_said_before(staff):
    """issue 18.4: the same context reading as the chat, from the call's earlier notes."""
    operator = bearer(staff["base"], "op_cg")
    alone = operator.post("/api/assist", json={"text": "要带什么材料"}).json()
    body = operator.post("/api/assist", json={"text": "要带什么材料", "earlier": ["来电人问居住证怎么办理"]}).json()
    top = body["suggestions"][0]
    assert "居住证" in top["sources"][0]["title"] and "身份证" in top["answer"], body
    assert body["follow_up"] is None  # the service is known: nothing to ask
    assert not alone["suggestions"] or "居住证" not in alone["suggestions"][0]["sources"][0]["title"]
    too_many = operator.post("/api/assist", json={"text": "要带什么材料", "earlier": ["居住证"] * 11})
    assert too_many.status_code == 422


def test_assist_reads_a_reply_to_a_question_the_caller_was_asked_back_about(staff):
    """A note that fitted two districts' services, then the caller's "城东区的": the suggestions are
    for the question completed, as the chat reads a typed choice."""
    operator = bearer(staff["base"], "op_cg")
    asked = operator.post("/api/assist", json={"text": "小学一年级报名是什么时间？"}).json()
    assert asked["follow_up"] and len(asked["follow_up"]["options"]) >= 2
    body = operator.post("/api/assist", json={"text": "城东区的", "earlier": ["小学一年级报名是什么时间？"]}).json()
    top = body["suggestions"][0]
    assert top["sources"][0]["region"] == "示例市城东区" and body["follow_up"] is None, body


def test_work_orders_and_audit(staff):
    from govbot.accounts import Accounts
    from govbot.settings import Settings

    operator = bearer(staff["base"], "op_cg")
    made = operator.post(
        "/api/operator/workorders",
        json={"type": "report", "content": "人民路路灯不亮已三天", "address": "城东区人民路", "phone": "13900001111"},
    )
    assert made.status_code == 200 and made.json()["tracking_number"].startswith("GD")
    log = Accounts(Settings(home=staff["home"]).db_url).audit_log(actor="op_cg")
    actions = {row["action"] for row in log}
    assert {"login", "workorder.create"} <= actions


def test_handoff_packet_has_transcript_answers_and_department(staff):
    base = staff["base"]
    citizen = Chat(base)
    citizen.say("居住证怎么办理？")
    citizen.say("我的电话13812345678，帮我转人工")
    if citizen.say("转人工")["status"] != "waiting":
        pytest.fail("handoff did not happen")
    supervisor = bearer(base, "boss")
    packet = supervisor.get(f"/api/operator/conversations/{citizen.session_id}").json()
    assert packet["summary"].startswith("市民先问“居住证怎么办理")
    assert packet["answers"] and packet["answers"][0]["sources"] and packet["answers"][0]["confidence"] is not None
    assert "居住证" in packet["slots"]["service"]
    assert all("13812345678" not in m["text"] for m in packet["transcript"])
    assert packet["suggested_department"]["name"] and "phone" in packet["suggested_department"]
    # the assist beside the chat: suggestions for the citizen's latest question (masked)
    assert packet["latest_question"] and "13812345678" not in packet["latest_question"]
    assert packet["suggestions"] and all(s["sources"] for s in packet["suggestions"])


def _records(stack):
    from govbot.records import Records
    from govbot.settings import Settings

    return Records(Settings(home=stack["home"]).db_url)


def test_waiting_citizen_hears_position_and_can_leave_a_message(staff):
    base = staff["base"]
    citizen = Chat(base)
    citizen.say("小区路灯坏了好几天归谁管？")
    waiting = citizen.say("转人工")
    assert waiting["status"] == "waiting" and "预计等待约" in _texts(waiting)
    assert citizen.say("还要等多久")["replies"] == []  # the bot stays silent while the citizen waits
    offer = citizen.say("留言")
    assert offer["status"] == "waiting" and "回复您的留言" in _texts(offer)
    ask_phone = citizen.say("幸福小区3号楼前的路灯不亮了，晚上很黑")
    assert "联系电话" in _texts(ask_phone) and ask_phone["status"] == "waiting"
    done = citizen.say("13912345678")
    assert done["status"] == "bot" and "工单号：GD" in _texts(done)
    tracking = _texts(done).split("工单号：")[1][:16]
    order = _records(staff).work_order(tracking)
    assert order["phone"] == "13912345678" and order["callback"] is True and order["type"] == "request"
    assert "路灯不亮" in order["content"] and "13912345678" not in order["content"]
    assert all(c["id"] != citizen.session_id for c in bearer(base, "boss").get("/api/operator/queue").json())
    again = citizen.say("公积金怎么提取")
    assert again["status"] == "bot" and "公积金" in _texts(again)  # the bot is back


def test_the_waiting_room_offers_a_leave_a_message_button_from_the_start(staff):
    citizen = Chat(staff["base"])
    waiting = citizen.say("转人工")
    buttons = [b for r in waiting["replies"] for b in r["buttons"]]
    assert waiting["status"] == "waiting" and {"title": "留言", "payload": "/leave_message"} in buttons
    offer = citizen.say(payload="/leave_message")
    assert offer["status"] == "waiting" and "请直接回复您的留言" in _texts(offer)
    assert citizen.history()[-2]["text"] == "留言"  # the transcript says what the button said


def test_no_claim_in_time_offers_a_message_once(staff):
    from sqlalchemy import update

    from govbot.records import conversations, now

    base = staff["base"]
    citizen = Chat(base)
    citizen.say("转人工")
    records = _records(staff)
    with records.engine.begin() as conn:  # as if nobody had claimed it for ten minutes
        conn.execute(
            update(conversations).where(conversations.c.id == citizen.session_id).values(waiting_since=now() - timedelta(minutes=10))
        )
    hint = citizen.say("怎么还没有人")
    assert hint["status"] == "waiting" and "留言" in _texts(hint) and "10 分钟" in _texts(hint)
    assert citizen.say("还在等")["replies"] == []  # said once, not on every message


def test_out_of_office_hours_the_queue_offers_a_message(tmp_path):
    from govbot.conversations.queue import in_office_hours, office_hours_text, queued_notice
    from govbot.records import Records
    from govbot.settings import Settings

    settings = Settings(home=tmp_path, office_hours="08:30-17:30", office_days="12345")
    monday_night = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # 22:00 in Beijing
    monday_morning = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # 09:00
    saturday = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
    assert not in_office_hours(settings, monday_night) and in_office_hours(settings, monday_morning)
    assert not in_office_hours(settings, saturday)
    assert office_hours_text(settings) == "周一、二、三、四、五 08:30—17:30"
    records = Records(Settings(home=tmp_path).ensure_dirs().db_url)
    records.set_status("c1", "waiting", department="示例市民政局")
    records.set_status("c2", "waiting", department="示例市民政局")
    text, event = queued_notice(Settings(home=tmp_path, minutes_per_citizen=4), records, "c2")
    assert event == "queued" and "前面还有 1 位" in text and "8 分钟" in text
    closed = Settings(home=tmp_path, office_hours="00:00-00:01", office_days="1")
    text, event = queued_notice(closed, records, "c2")
    assert event == "leave_offer" and "非工作时间" in text


def test_urgent_complaint_goes_to_a_person(staff):
    citizen = Chat(staff["base"])
    citizen.say("我要投诉")
    citizen.say("楼道里水管爆了到处漏水，很紧急")
    citizen.say("城东区人民路18号幸福小区2号楼")
    citizen.say("13812345678")
    done = citizen.say(payload="/affirm")
    assert "工单号：GD" in _texts(done) and done["status"] == "waiting"
    entry = next(c for c in bearer(staff["base"], "boss").get("/api/operator/queue").json() if c["id"] == citizen.session_id)
    assert entry["status"] == "waiting" and entry["department"]


def test_supervisor_sees_live_metrics(staff):
    base = staff["base"]
    Chat(base).say("转人工")
    metrics = bearer(base, "boss").get("/api/operator/metrics")
    assert metrics.status_code == 200
    data = metrics.json()
    assert data["waiting"] >= 1 and data["longest_wait_seconds"] >= 0 and "handled_today" in data
    assert any(d["waiting"] >= 1 for d in data["departments"])
    assert bearer(base, "op_cg").get("/api/operator/metrics").status_code == 403


def test_assist_asks_the_caller_which_case_is_theirs(staff):
    """Issue 19.3: when the answer differs by the caller's situation and the note does not say it,
    the follow-up question names the cases; a situation said earlier in the call picks the case."""
    operator = bearer(staff["base"], "op_cg")
    body = operator.post("/api/assist", json={"text": "来电人问失业金最长能领多久"}).json()
    assert body["follow_up"] and "满5年不满10年" in body["follow_up"]["options"], body
    said = operator.post("/api/assist", json={"text": "问最长能领多久", "earlier": ["来电人称交了7年失业保险，刚失业"]}).json()
    assert said["follow_up"] is None, said
    assert any("18个月" in s["answer"].split("\n")[0] for s in said["suggestions"][:1]), said["suggestions"]
