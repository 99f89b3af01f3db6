"""The policy owners' admin API: roles, departments, workflow order, versions, locking, gold, audit.

The real FastAPI app over a fresh home (real SQLite, real index, real embedding model); a second
`Knowledge` over the same home plays the other answering processes (the action server).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import password

MINZHENG = "示例市民政局"
RENSHE = "示例市人力资源和社会保障局"
USERS = [
    ("ed_mz", "editor", MINZHENG),
    ("ed_mz2", "editor", MINZHENG),
    ("rv_mz", "reviewer", MINZHENG),
    ("rv_rs", "reviewer", RENSHE),
    ("ed_rs", "editor", RENSHE),
    ("root", "admin", ""),
    ("op1", "operator", MINZHENG),
]
QA = {
    "question": "高龄津贴每月发多少钱？",
    "similar": ["80岁老人补贴多少", "高龄补贴标准"],
    "answer": "80至89周岁老年人每人每月100元，90至99周岁每人每月300元，100周岁以上每人每月500元。",
}


@pytest.fixture(scope="module")
def app_home(tmp_path_factory):
    from govbot.accounts import Accounts
    from govbot.settings import Settings

    home = tmp_path_factory.mktemp("admin_home")
    settings = Settings(home=home).ensure_dirs()
    accounts = Accounts(settings.db_url)
    for name, role, department in USERS:
        accounts.add_user(name, password(name), role, department, actor="test")
    return settings


@pytest.fixture(scope="module")
def client(app_home):
    from api.app import create_app

    with TestClient(create_app(app_home)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def other_process(app_home):
    from govbot.engine import open_knowledge

    kb = open_knowledge(app_home)
    yield kb
    kb.close()


def login(client: TestClient, name: str) -> dict:
    response = client.post("/api/admin/login", json={"username": name, "password": password(name)})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # these tests act as API tools: bearer tokens, no cookies
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="module")
def as_(client):
    tokens = {}

    def headers(name: str) -> dict:
        if name not in tokens:
            tokens[name] = login(client, name)
        return tokens[name]

    return headers


def new_qa(client, headers, fields=None, **extra) -> dict:
    response = client.post("/api/admin/items", headers=headers, json={"kind": "qa", "fields": fields or QA, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def publish(client, as_, item_id, reviewer="rv_mz", **body) -> dict:
    assert client.post(f"/api/admin/items/{item_id}/submit", headers=as_("ed_mz")).status_code == 200
    response = client.post(f"/api/admin/items/{item_id}/publish", headers=as_(reviewer), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_login_is_for_console_roles_only(client):
    assert client.post("/api/admin/login", json={"username": "ed_mz", "password": "wrong-pass"}).status_code == 401
    refused = client.post("/api/admin/login", json={"username": "op1", "password": password("op1")})
    assert refused.status_code == 403 and "知识管理" in refused.json()["detail"]
    assert client.get("/api/admin/items").status_code == 401


def test_an_admin_with_a_second_factor_logs_in_with_the_code(client, app_home):
    import pyotp

    from govbot.accounts import Accounts
    from govbot.sealing import sealer_for

    accounts = Accounts(app_home.db_url, sealer=sealer_for(app_home))
    accounts.add_user("root_2fa", password("root_2fa"), "admin", actor="test")
    secret = pyotp.parse_uri(accounts.enable_totp("root_2fa")).secret
    body = {"username": "root_2fa", "password": password("root_2fa")}
    asked = client.post("/api/admin/login", json=body)
    assert asked.status_code == 401 and asked.json()["otp_required"] is True and "动态口令" in asked.json()["detail"]
    wrong = client.post("/api/admin/login", json={**body, "password": "wrong-pass"})
    assert wrong.status_code == 401 and "otp_required" not in wrong.json()  # a wrong password says nothing of codes
    done = client.post("/api/admin/login", json={**body, "otp": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.json()["user"]["username"] == "root_2fa"
    client.cookies.clear()


def test_ten_wrong_passwords_in_a_row_get_429(client, as_, app_home):
    from govbot.accounts import Accounts

    Accounts(app_home.db_url).add_user("ed_guessed", password("ed_guessed"), "editor", MINZHENG, actor="test")
    codes = [client.post("/api/admin/login", json={"username": "ed_guessed", "password": f"guess-{n}"}) for n in range(10)]
    assert [c.status_code for c in codes[:5]] == [401] * 5 and all(c.status_code == 429 for c in codes[5:])
    assert int(codes[-1].headers["Retry-After"]) > 0 and "分钟后再试" in codes[-1].json()["detail"]
    log = client.get("/api/admin/audit", headers=as_("root"), params={"action": "login.throttled"}).json()["entries"]
    assert log and log[0]["target"] == "ed_guessed"


def test_cookie_sessions_need_the_csrf_token(client):
    response = client.post("/api/admin/login", json={"username": "ed_mz", "password": password("ed_mz")})
    csrf = response.json()["csrf_token"]
    body = {"kind": "qa", "fields": {"question": "临时救助怎么申请？"}}
    assert client.post("/api/admin/items", json=body).status_code == 403
    created = client.post("/api/admin/items", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201 and created.json()["department"] == MINZHENG
    client.cookies.clear()


def test_draft_submit_publish_and_the_other_process_answers_at_once(client, as_, other_process):
    fields = {"question": "困难群众取暖补贴什么时候发放？", "answer": "取暖补贴每年11月底前一次性发放到社保卡。"}
    item = new_qa(client, as_("ed_mz"), fields)
    assert item["status"] == "draft" and item["version"] == 1 and item["live_version"] is None
    assert other_process.ask("困难群众取暖补贴什么时候发放？").item_key != item["key"]
    assert client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("ed_mz")).status_code == 403
    early = client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("rv_mz"))
    assert early.status_code == 409 and "尚未提交审核" in early.json()["detail"]
    assert client.post(f"/api/admin/items/{item['id']}/submit", headers=as_("ed_mz")).json()["status"] == "submitted"
    assert client.post(f"/api/admin/items/{item['id']}/submit", headers=as_("ed_mz")).status_code == 409
    assert client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("rv_rs")).status_code == 403
    published = client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("rv_mz"))
    assert published.status_code == 200 and published.json()["status"] == "published"
    answer = other_process.ask("困难群众取暖补贴什么时候发放？")
    assert answer.item_key == item["key"] and "11月底" in answer.answer


def test_another_departments_items_are_forbidden(client, as_):
    item = new_qa(client, as_("ed_mz"), {"question": "低保怎么申请？", "answer": "向户籍所在地街道提出申请。"})
    assert client.get(f"/api/admin/items/{item['id']}", headers=as_("ed_rs")).status_code == 403
    assert client.put(f"/api/admin/items/{item['id']}", headers=as_("ed_rs"), json={"kind": "qa", "fields": QA}).status_code == 403
    foreign = client.post("/api/admin/items", headers=as_("ed_mz"), json={"kind": "qa", "fields": QA, "department": RENSHE})
    assert foreign.status_code == 403
    listed = client.get("/api/admin/items", headers=as_("ed_rs")).json()["items"]
    assert all(i["department"] == RENSHE for i in listed)
    assert client.get(f"/api/admin/items/{item['id']}", headers=as_("root")).status_code == 200


def test_bad_input_is_refused_with_a_reason(client, as_):
    bad_field = client.post("/api/admin/items", headers=as_("ed_mz"), json={"kind": "qa", "fields": {"nope": 1}})
    assert bad_field.status_code == 422 and "nope" in bad_field.json()["detail"]
    dates = client.post(
        "/api/admin/items",
        headers=as_("ed_mz"),
        json={"kind": "qa", "fields": QA, "effective_date": "2025-05-01", "expiry_date": "2025-01-01"},
    )
    assert dates.status_code == 422 and "失效日期" in dates.json()["detail"]
    empty = new_qa(client, as_("ed_mz"), {"question": "养老服务补贴怎么领？"})
    missing = client.post(f"/api/admin/items/{empty['id']}/submit", headers=as_("ed_mz"))
    assert missing.status_code == 422 and "答案" in missing.json()["detail"]
    assert client.get("/api/admin/items/999999", headers=as_("ed_mz")).status_code == 404


def test_two_editors_saving_at_once_the_second_gets_409(client, as_):
    item = new_qa(client, as_("ed_mz"), {"question": "居家养老服务有哪些？", "answer": "助餐、助洁、助浴。"})
    first = client.get(f"/api/admin/items/{item['id']}", headers=as_("ed_mz")).json()
    second = client.get(f"/api/admin/items/{item['id']}", headers=as_("ed_mz2")).json()
    assert first["version"] == second["version"] == 1
    edit = {"kind": "qa", "fields": {"question": "居家养老服务有哪些？", "answer": "助餐、助洁、助浴、助医。"}}
    assert client.put(f"/api/admin/items/{item['id']}", headers=as_("ed_mz"), json=edit).json()["version"] == 2
    lost = client.put(
        f"/api/admin/items/{item['id']}", headers=as_("ed_mz2"), json={**edit, "fields": {**edit["fields"], "answer": "助餐。"}}
    )
    assert lost.status_code == 409 and lost.json()["version"] == 2 and "他人修改" in lost.json()["detail"]
    stale = client.put(f"/api/admin/items/{item['id']}", headers=as_("ed_mz2"), json={**edit, "version": 1})
    assert stale.status_code == 409
    assert client.get(f"/api/admin/items/{item['id']}", headers=as_("ed_mz")).json()["fields"]["answer"] == "助餐、助洁、助浴、助医。"


def test_edits_of_published_items_go_through_review_versions_diff_rollback(client, as_, other_process):
    fields = {"question": "独生子女父母奖励费每月多少？", "answer": "每月10元，发放至子女满18周岁。"}
    item = new_qa(client, as_("ed_mz"), fields)
    publish(client, as_, item["id"])
    edited = client.put(
        f"/api/admin/items/{item['id']}",
        headers=as_("ed_mz"),
        json={"kind": "qa", "fields": {**fields, "answer": "每月20元，发放至子女满18周岁。"}, "version": 1},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "draft" and edited.json()["version"] == 2 and edited.json()["live_version"] == 1
    assert "10元" in other_process.ask("独生子女父母奖励费每月多少？").answer  # the published one stays live
    publish(client, as_, item["id"])
    assert "20元" in other_process.ask("独生子女父母奖励费每月多少？").answer
    history = client.get(f"/api/admin/items/{item['id']}/versions", headers=as_("ed_mz")).json()
    assert [v["status"] for v in history["versions"]][:3] == ["draft", "submitted", "published"]
    diff = client.get(f"/api/admin/items/{item['id']}/diff?a=1&b={history['version']}", headers=as_("ed_mz")).json()
    change = next(c for c in diff["changes"] if c["field"] == "answer")
    assert "10元" in change["before"] and "20元" in change["after"] and change["label"] == "答案"
    rolled = client.post(f"/api/admin/items/{item['id']}/rollback", headers=as_("ed_mz"), json={"version": 1})
    assert rolled.status_code == 200 and rolled.json()["status"] == "draft"
    assert "20元" in other_process.ask("独生子女父母奖励费每月多少？").answer  # not live before review
    publish(client, as_, item["id"])
    assert "10元" in other_process.ask("独生子女父母奖励费每月多少？").answer


def test_abolish_needs_a_reason_and_takes_effect_at_once(client, as_, other_process):
    fields = {"question": "尊老金怎么领取？", "answer": "年满90周岁的老人每年领取尊老金600元。"}
    old = new_qa(client, as_("ed_mz"), fields)
    publish(client, as_, old["id"])
    assert other_process.ask("尊老金怎么领取？").item_key == old["key"]
    no_reason = client.post(f"/api/admin/items/{old['id']}/abolish", headers=as_("ed_mz"), json={"reason": " "})
    assert no_reason.status_code == 422
    ghost = client.post(f"/api/admin/items/{old['id']}/abolish", headers=as_("ed_mz"), json={"reason": "政策调整", "successor_id": 987654})
    assert ghost.status_code == 422
    successor = new_qa(client, as_("ed_mz"), {"question": "高龄老人尊老金标准调整了吗？", "answer": "自2026年起每年800元。"})
    done = client.post(
        f"/api/admin/items/{old['id']}/abolish", headers=as_("ed_mz"), json={"reason": "标准已调整", "successor_id": successor["id"]}
    )
    assert done.status_code == 200 and done.json()["successor_id"] == successor["id"]
    answer = other_process.ask("尊老金怎么领取？")
    assert old["key"] not in {s.key for s in answer.sources} | set(answer.ranked_keys)
    edit = client.put(f"/api/admin/items/{old['id']}", headers=as_("ed_mz"), json={"kind": "qa", "fields": fields})
    assert edit.status_code == 409 and "已废止" in edit.json()["detail"]
    again = client.post(f"/api/admin/items/{old['id']}/abolish", headers=as_("ed_mz"), json={"reason": "x"})
    assert again.status_code == 409


def test_send_back_returns_a_submission_to_draft_with_the_comment(client, as_):
    item = new_qa(client, as_("ed_mz"), {"question": "残疾人两项补贴标准？", "answer": "按月发放。"})
    client.post(f"/api/admin/items/{item['id']}/submit", headers=as_("ed_mz"))
    assert client.post(f"/api/admin/items/{item['id']}/return", headers=as_("ed_mz"), json={"comment": "x"}).status_code == 403
    back = client.post(f"/api/admin/items/{item['id']}/return", headers=as_("rv_mz"), json={"comment": "请写明具体金额"})
    assert back.status_code == 200 and back.json()["status"] == "draft"
    versions = client.get(f"/api/admin/items/{item['id']}/versions", headers=as_("ed_mz")).json()["versions"]
    assert versions[-1]["note"] == "请写明具体金额" and versions[-1]["actor"] == "rv_mz"


def test_gold_question_losing_its_answer_blocks_publish_unless_confirmed(client, as_):
    fields = {"question": "丧葬补助金标准是多少？", "answer": "丧葬补助金按本市上年度职工月平均工资的2倍发放。"}
    item = new_qa(client, as_("ed_mz"), fields)
    publish(client, as_, item["id"])
    gold = client.post("/api/admin/gold", headers=as_("rv_mz"), json={"question": "丧葬补助金发多少", "item_id": item["id"]})
    assert gold.status_code == 201
    listed = client.get("/api/admin/gold", headers=as_("rv_mz")).json()["gold"]
    assert any(g["id"] == gold.json()["id"] and g["passing"] for g in listed)
    client.put(
        f"/api/admin/items/{item['id']}",
        headers=as_("ed_mz"),
        json={"kind": "qa", "fields": {"question": "婚姻登记需要预约吗？", "answer": "可在网上预约。"}},
    )
    client.post(f"/api/admin/items/{item['id']}/submit", headers=as_("ed_mz"))
    check = client.get(f"/api/admin/items/{item['id']}/publish-check", headers=as_("rv_mz")).json()
    assert check["lost"] == 1
    blocked = client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("rv_mz"))
    assert blocked.status_code == 409 and blocked.json()["lost"] == 1
    assert blocked.json()["gold"][0]["question"] == "丧葬补助金发多少"
    assert client.get(f"/api/admin/items/{item['id']}", headers=as_("rv_mz")).json()["status"] == "submitted"
    confirmed = client.post(f"/api/admin/items/{item['id']}/publish", headers=as_("rv_mz"), json={"confirm": True})
    assert confirmed.status_code == 200 and confirmed.json()["gold"][0]["change"] == "lost"
    assert client.delete(f"/api/admin/gold/{gold.json()['id']}", headers=as_("rv_rs")).status_code == 403


def test_search_and_expiring_filter(client, as_):
    soon = (date.today() + timedelta(days=10)).isoformat()
    item = new_qa(client, as_("ed_mz"), {"question": "冬季临时价格补贴怎么领？", "answer": "按月随低保金发放。"}, expiry_date=soon)
    found = client.get("/api/admin/items", headers=as_("ed_mz"), params={"q": "价格补贴"}).json()
    assert [i["id"] for i in found["items"]] == [item["id"]]
    expiring = client.get("/api/admin/items", headers=as_("ed_mz"), params={"expiring_days": 30}).json()
    assert item["id"] in [i["id"] for i in expiring["items"]]
    drafts = client.get("/api/admin/items", headers=as_("ed_mz"), params={"status": "draft", "kind": "qa"}).json()
    assert drafts["total"] >= 1 and all(i["status"] == "draft" for i in drafts["items"])


def test_audit_log_records_who_what_where_before_after_and_is_append_only(client, as_, app_home):
    item = new_qa(client, as_("ed_mz"), {"question": "社会救助热线是多少？", "answer": "12345。"})
    client.put(
        f"/api/admin/items/{item['id']}",
        headers=as_("ed_mz"),
        json={"kind": "qa", "fields": {"question": "社会救助热线是多少？", "answer": "拨打12345。"}},
    )
    assert client.get("/api/admin/audit", headers=as_("ed_mz")).status_code == 403
    log = client.get("/api/admin/audit", headers=as_("root"), params={"target": f"item:{item['id']}"}).json()
    actions = [e["action"] for e in log["entries"]]
    assert actions == ["item.edit", "item.create"]
    edit = log["entries"][0]
    assert edit["actor"] == "ed_mz" and edit["ip"] and edit["before"]["fields"]["answer"] == "12345。"
    assert edit["after"]["fields"]["answer"] == "拨打12345。"
    csv_text = client.get("/api/admin/audit", headers=as_("root"), params={"format": "csv", "action": "item."}).text
    assert csv_text.startswith("\ufeffid,time,actor,action") and "item.edit" in csv_text
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DatabaseError

    engine = create_engine(app_home.db_url)
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE actor = 'ed_mz'"))
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def _workbook(rows: list[list], header=("问题", "相似问法", "答案")) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, headers, data: bytes, name: str = "qa.xlsx", **params):
    return client.post("/api/admin/import", headers=headers, params=params, files={"file": (name, data)})


def test_import_preview_names_problems_and_commits_nothing(client, as_):
    before = client.get("/api/admin/items", headers=as_("root")).json()["total"]
    data = _workbook([["医疗救助怎么申请？", "", "向街道提交申请。"], ["", "", "没有问题的答案"], ["医疗救助怎么申请？", "", "重复的问题"]])
    preview = _upload(client, as_("ed_mz"), data, dry_run=1)
    assert preview.status_code == 200 and preview.json()["ok"] is False
    problems = preview.json()["problems"]
    assert any(p["row"] == 3 and p["severity"] == "error" for p in problems)
    assert any(p["row"] == 4 and "第2行" in p["message"] for p in problems)
    refused = _upload(client, as_("ed_mz"), data)
    assert refused.status_code == 422 and refused.json()["preview"]["summary"]["errors"] >= 2
    assert client.get("/api/admin/items", headers=as_("root")).json()["total"] == before
    broken = _upload(client, as_("ed_mz"), b"PK\x03\x04 not really a workbook", dry_run=1)
    assert broken.status_code == 200 and broken.json()["problems"][0]["row"] is None


def test_import_commits_drafts_reimport_adds_nothing_and_reviewers_publish(client, as_, other_process):
    rows = [[f"第{n}类惠民救助金怎么申领？", f"第{n}类救助金去哪领", f"第{n}类惠民救助金由街道受理，每月{n}0元。"] for n in range(1, 6)]
    data = _workbook(rows)
    assert _upload(client, as_("ed_mz"), data, publish=1).status_code == 403
    done = _upload(client, as_("ed_mz"), data)
    assert done.status_code == 200 and done.json()["added"] == 5 and done.json()["status"] == "draft"
    again = _upload(client, as_("ed_mz"), data, dry_run=1).json()
    assert again["summary"]["unchanged"] == 5 and again["summary"]["new"] == 0
    assert _upload(client, as_("ed_mz"), data, name="renamed.xlsx").json()["added"] == 0
    rows[0][2] = "第1类惠民救助金由街道受理，每月15元。"
    four_eyes = _upload(client, as_("rv_mz"), _workbook(rows), publish=1)  # the importer would publish their own content
    assert four_eyes.status_code == 403 and "四眼" in four_eyes.json()["detail"]
    client.app.state.settings.four_eyes_publishing = False  # a one-person office
    try:
        published = _upload(client, as_("rv_mz"), _workbook(rows), publish=1)
    finally:
        client.app.state.settings.four_eyes_publishing = True
    assert published.status_code == 200 and published.json()["updated"] == 5 and published.json()["added"] == 0
    answer = other_process.ask("第1类惠民救助金怎么申领？")
    assert "15元" in answer.answer and answer.sources[0].department == MINZHENG
    log = client.get("/api/admin/audit", headers=as_("root"), params={"action": "item.import"}).json()["entries"]
    assert log[0]["actor"] == "rv_mz" and log[0]["after"]["updated"] == 5


def test_four_eyes_the_last_editor_cannot_publish(client, as_):
    item = client.post(
        "/api/admin/items",
        headers=as_("rv_mz"),
        json={"kind": "qa", "fields": {"question": "四眼原则测试问题？", "answer": "由另一位审核人发布。"}},
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    assert client.post(f"/api/admin/items/{item_id}/submit", headers=as_("rv_mz")).status_code == 200
    own = client.post(f"/api/admin/items/{item_id}/publish", headers=as_("rv_mz"))
    assert own.status_code == 403 and "四眼" in own.json()["detail"]
    assert client.post(f"/api/admin/items/{item_id}/publish", headers=as_("root")).status_code == 200  # someone else


def test_import_of_word_document_and_template_download(client, as_):
    import io

    from docx import Document

    document = Document()
    for q, a in [
        ("问：殡葬补贴怎么申请？", "答：由家属向户籍所在地街道申请。"),
        ("问：殡葬补贴标准是多少？", "答：每人一次性补贴1000元。"),
    ]:
        document.add_paragraph(q)
        document.add_paragraph(a)
    out = io.BytesIO()
    document.save(out)
    preview = _upload(client, as_("ed_mz"), out.getvalue(), name="殡葬补贴问答.docx", dry_run=1).json()
    assert preview["ok"] and [i["kind"] for i in preview["items"]] == ["qa", "qa"]
    assert preview["items"][1]["fields"]["answer"].endswith("1000元。")
    template = client.get("/api/admin/templates/qa.xlsx", headers=as_("ed_mz"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert _upload(client, as_("ed_mz"), template.content, name="template.xlsx", dry_run=1).json()["ok"]


def test_import_of_a_pdf_made_by_the_test(client, as_):
    from tests.unit.test_bulk_import import chinese_pdf

    data = chinese_pdf(
        [
            "特困供养政策问答",
            "问：特困人员供养怎么申请？",
            "答：向户籍所在地乡镇（街道）提出申请。",
            "问：特困供养多久能批下来？",
            "答：一般在受理后20个工作日内办结。",
        ]
    )
    preview = _upload(client, as_("ed_mz"), data, name="特困供养问答.pdf", dry_run=1).json()
    assert preview["ok"] and [i["fields"]["question"] for i in preview["items"]] == ["特困人员供养怎么申请？", "特困供养多久能批下来？"]
    done = _upload(client, as_("ed_mz"), data, name="特困供养问答.pdf")
    assert done.status_code == 200 and done.json()["added"] == 2
    drafts = client.get("/api/admin/items", headers=as_("ed_mz"), params={"q": "特困供养多久"}).json()["items"]
    assert drafts and drafts[0]["status"] == "draft" and drafts[0]["department"] == MINZHENG


def test_saving_an_item_whose_department_the_directory_lacks_warns_with_the_closest_entry(client, as_, app_home):
    from knowledge.content import ItemDraft, Kind

    store = client.app.state.kb.store
    store.save_items([ItemDraft(Kind.HOTLINE, MINZHENG, {"handles": "低保、养老服务、婚姻登记"}, key="dept-mz-registry")], actor="test")
    typo = new_qa(client, as_("root"), {"question": "婚姻登记要预约吗？", "answer": "可在示例办App预约。"}, department="民政局")
    assert "“民政局”不在部门目录中" in typo["department_warning"] and "示例市民政局" in typo["department_warning"]
    listed = new_qa(client, as_("root"), {"question": "低保多久审批？", "answer": "20个工作日。"}, department=MINZHENG)
    assert listed["department_warning"] == ""
