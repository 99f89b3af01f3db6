"""The knowledge-gaps inbox and the analytics behind the policy-owner console: real SQLite, the
real app (in-process, through FastAPI's TestClient) and the real e5 model. No mocks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from api.app import create_app
from tests.conftest import copy_home, password
from govbot.accounts import Accounts
from govbot.insights.analytics import CSV_HEADER, UNASSIGNED, analytics, department_weeks, to_csv
from govbot.insights.flags import add_flag
from govbot.insights.gaps import find_gaps
from govbot.insights.questions import QuestionLog, normalize_question
from govbot.insights.similar import Similarity
from govbot.insights.tables import answer_flags, ensure_tables, question_log
from govbot.records import Records, conversations, feedback
from govbot.settings import Settings

MZ, CG = "示例市民政局", "示例市城市管理局"
NOW = datetime(2024, 6, 12, 4, 0, tzinfo=timezone.utc)  # Wednesday 12:00 in China; weeks start 06-03 and 06-10
STAFF = [
    ("ins_editor_mz", "editor", MZ),
    ("ins_reviewer_cg", "reviewer", CG),
    ("ins_admin", "admin", ""),
    ("ins_boss", "supervisor", ""),
    ("ins_op", "operator", CG),
    ("ins_editor_none", "editor", ""),
]


# --- the app over a copy of the sample home, shared by the module ----------------------------


@pytest.fixture(scope="module")
def app(sample_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("insights") / "home"
    copy_home(sample_home, home)
    settings = Settings(home=home)
    accounts = Accounts(settings.db_url)
    for name, role, department in STAFF:
        accounts.add_user(name, password(name), role, department)
    application = create_app(settings)
    with TestClient(application) as client:
        yield client


def login(client: TestClient, name: str) -> dict:
    response = client.post("/api/operator/login", json={"username": name, "password": password(name)})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="module")
def seeded(app):
    """Recent unanswered questions for 民政 and 城管, relative to the real clock (the routes use it)."""
    engine = app.app.state.records.engine
    writer = QuestionLog(engine)
    now = datetime.now(timezone.utc)
    for days, text, department in [
        (1, "低保咋申请", MZ),
        (2, "低保怎么申请？", MZ),
        (9, "申请最低生活保障需要什么条件", MZ),
        (1, "小区门口有人摆摊占道经营", CG),
        (3, "有人占道摆摊没人管", CG),
        (10, "门口天天有人摆摊卖菜堵路", CG),
    ]:
        writer.write(question=text, status="no_answer", routed_department=department, channel="web", time=now - timedelta(days=days))
    return app


def _group_with(groups: list[dict], wording: str) -> dict | None:
    return next((g for g in groups if wording in g["examples"]), None)


# --- the question log ------------------------------------------------------------------------


def test_every_question_is_logged_in_sql_with_personal_data_masked(app):
    kb = app.app.state.kb
    answer = kb.ask("我的手机13812345678，身份证110101199003071234，社保卡丢了怎么办", channel="cli", conversation_id="t-ins-mask")
    with kb.store.engine.connect() as conn:
        rows = conn.execute(select(question_log).where(question_log.c.conversation_id == "t-ins-mask")).all()
    assert len(rows) == 1
    row = rows[0]
    assert "13812345678" not in row.question and "110101199003071234" not in row.question
    assert "138****5678" in row.question and row.normalized == normalize_question(row.question)
    assert row.channel == "cli" and row.status == answer.status.value
    assert row.time is not None and row.confidence == round(answer.confidence, 3)
    if answer.status.value == "answered":
        assert row.item_key == answer.item_key and row.item_id == answer.sources[0].id
        assert row.department == answer.sources[0].department and "社保" in row.item_title


def test_an_unanswered_question_is_logged_with_where_it_would_be_dispatched(app):
    kb = app.app.state.kb
    answer = kb.ask("申请发明专利需要准备哪些材料？", conversation_id="t-ins-none")
    assert answer.status.value == "no_answer", answer.answer
    with kb.store.engine.connect() as conn:
        row = conn.execute(select(question_log).where(question_log.c.conversation_id == "t-ins-none")).one()
    assert row.item_id is None and row.department == "" and row.item_title == ""
    assert row.routed_department == kb.department_for("申请发明专利需要准备哪些材料？").name


def test_normalized_wording_ignores_punctuation_width_and_trailing_particles():
    assert normalize_question("怎么领养老金啊？") == normalize_question("怎么领养老金") == "怎么领养老金"
    assert normalize_question("低保的申请条件是什么") == "低保的申请条件是什么"  # 么 of 什么 is kept
    assert normalize_question("居住證 怎麼辦理！") == "居住证怎么办理"


# --- computations on a database of their own, at a fixed time ---------------------------------


def _at(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Two calendar weeks of questions, conversations, feedback and flags (see the counts below).

    Week of 06-03 (7.5-9 days ago): 民政 answered 2, no_answer 2; 城管 answered 1.
    Week of 06-10 (0.1-2.4 days ago): 民政 answered 4, no_answer 1; 城管 answered 2, no_answer 3; clarify 1.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('insights_db') / 'govbot.db'}"
    records = Records(url)
    engine = records.engine
    ensure_tables(engine)
    log = QuestionLog(engine)

    def asked(days, text, status, department="", routed="", item=None, conversation=""):
        item_id, title = item or (None, "")
        log.write(
            question=text,
            status=status,
            department=department,
            routed_department=routed,
            item_id=item_id,
            item_title=title,
            channel="web",
            conversation_id=conversation,
            time=_at(days),
        )

    dibao, zhandao = (101, "最低生活保障申请"), (201, "占道经营投诉")
    # week of 06-03
    asked(9, "最低生活保障怎么办理", "answered", MZ, item=dibao, conversation="c1")
    asked(8.5, "最低生活保障怎么办理？", "answered", MZ, item=dibao)
    asked(8, "低保的申请条件是什么", "no_answer", routed=MZ)
    asked(7.5, "低保的申请条件是什么", "no_answer", routed=MZ)
    asked(8, "占道经营怎么投诉", "answered", CG, item=zhandao)
    # week of 06-10
    for days in (2.4, 2, 1, 0.5):
        asked(days, "低保怎么申请？", "answered", MZ, item=dibao, conversation="c5" if days == 2 else "")
    asked(1.5, "低保咋申请", "no_answer", routed=MZ)
    asked(1, "占道经营怎么投诉", "answered", CG, item=zhandao)
    asked(0.5, "占道经营去哪投诉", "answered", CG, item=zhandao)
    asked(2, "小区门口有人摆摊占道经营", "no_answer", routed=CG, conversation="c4")
    asked(1, "小区门口有人摆摊占道经营！", "no_answer", routed=CG)
    asked(0.2, "有人占道摆摊没人管", "no_answer", routed=CG)
    asked(0.1, "补贴怎么申请", "clarify")
    asked(60, "很久以前的问题", "no_answer", routed=MZ)  # outside every window

    with engine.begin() as conn:
        for cid, days, status, department, waited in [
            ("c1", 9, "bot", "", False),
            ("c2", 8, "bot", MZ, True),  # c2 was handed off, then released
            ("c3", 2, "waiting", CG, True),
            ("c4", 2, "human", "", False),  # c4: claimed straight from the bot
            ("c5", 2, "bot", "", False),
            ("c6", 1, "bot", "", False),
        ]:
            conn.execute(
                insert(conversations).values(
                    id=cid,
                    channel="web",
                    status=status,
                    department=department,
                    operator="",
                    waiting_since=_at(days - 0.01) if waited else None,
                    created_at=_at(days),
                    updated_at=_at(days),
                )
            )
        mz_source = [{"id": 101, "kind": "guide", "title": "最低生活保障申请", "department": MZ}]
        cg_source = [{"id": 201, "kind": "qa", "title": "占道经营投诉", "department": CG}]
        for days, helpful, question, sources, cid in [
            (8.8, True, "最低生活保障怎么办理", mz_source, "c1"),
            (8, False, "低保怎么申请？", mz_source, "c2"),
            (1, True, "占道经营怎么投诉", cg_source, "c3"),
            (1.9, False, "有人占道摆摊没人管啊", [], "c4"),
            (1.9, True, "低保怎么申请", mz_source, "c5"),
            (0.9, False, "狗不拴绳咬人了找谁", [], "c6"),
        ]:
            conn.execute(
                insert(feedback).values(
                    conversation_id=cid, helpful=helpful, question=question, answer="", sources=sources, created_at=_at(days)
                )
            )
    add_flag(
        engine,
        operator="op1",
        question="申请最低生活保障需要什么条件",
        kind="missing",
        department=MZ,
        note="市民电话13812345678，问了三次",
        time=_at(1),
    )
    return engine


def test_analytics_totals_and_rates_are_exact(history):
    result = analytics(history, now=NOW, weeks=2)
    assert result["department"] == "" and result["weeks"] == 2
    assert result["from"] == "2024-06-02T16:00:00+00:00"  # Monday 06-03 00:00 China time
    assert result["totals"] == {
        "questions": 16,
        "answered": 9,
        "no_answer": 6,
        "conversations": 6,
        "handed_off": 3,
        "feedback": 6,
        "helpful": 3,
        "answered_rate": 0.5625,
        "no_answer_rate": 0.375,
        "handoff_rate": 0.5,
        "satisfaction": 0.5,
    }


def test_analytics_weekly_series(history):
    first, second = analytics(history, now=NOW, weeks=2)["series"]
    assert first["week_start"] == "2024-06-03" and second["week_start"] == "2024-06-10"
    assert (first["questions"], first["answered_rate"], first["no_answer_rate"]) == (5, 0.6, 0.4)
    assert (first["conversations"], first["handoff_rate"], first["feedback"], first["satisfaction"]) == (2, 0.5, 2, 0.5)
    assert (second["questions"], second["answered_rate"], second["no_answer_rate"]) == (11, 0.5455, 0.3636)
    assert (second["conversations"], second["handoff_rate"], second["satisfaction"]) == (4, 0.5, 0.5)
    eight = analytics(history, now=NOW, weeks=8)["series"]
    assert len(eight) == 8 and eight[0]["week_start"] == "2024-04-22"
    assert eight[0]["questions"] == 0 and eight[0]["answered_rate"] is None  # nothing counted: no rate


def test_analytics_per_department_table(history):
    table = {d["department"]: d for d in analytics(history, now=NOW, weeks=2)["departments"]}
    assert [d for d in table] == [MZ, CG, ""]  # most questions first
    mz, cg, none = table[MZ], table[CG], table[""]
    assert (mz["questions"], mz["no_answer_rate"], mz["conversations"], mz["handoff_rate"]) == (9, 0.3333, 3, 0.3333)
    assert (mz["feedback"], mz["satisfaction"]) == (3, 0.6667)
    assert (cg["questions"], cg["no_answer_rate"], cg["conversations"], cg["handoff_rate"]) == (6, 0.5, 2, 1.0)
    assert (cg["feedback"], cg["satisfaction"]) == (2, 0.5)  # c4's feedback had no source: its conversation's
    assert (none["questions"], none["no_answer_rate"], none["conversations"], none["satisfaction"]) == (1, 0.0, 1, 0.0)


def test_analytics_for_one_department_counts_only_its_own(history):
    result = analytics(history, now=NOW, weeks=2, department=MZ)
    assert result["department"] == MZ and [d["department"] for d in result["departments"]] == [MZ]
    assert (result["totals"]["questions"], result["totals"]["conversations"], result["totals"]["feedback"]) == (9, 3, 3)
    assert {q["normalized"] for q in result["top_questions"]} == {
        "低保怎么申请",
        "最低生活保障怎么办理",
        "低保的申请条件是什么",
        "低保咋申请",
    }


def test_top_questions(history):
    top = analytics(history, now=NOW, weeks=2)["top_questions"]
    assert top[0] == {"question": "低保怎么申请？", "normalized": "低保怎么申请", "count": 4, "answered": 4}
    counts = {q["normalized"]: q["count"] for q in top}
    assert counts["小区门口有人摆摊占道经营"] == 2 and counts["最低生活保障怎么办理"] == 2
    assert "很久以前的问题" not in counts


def test_rising_topics_compare_the_last_two_weeks(app, history):
    similarity = Similarity.for_knowledge(history, app.app.state.kb)
    rising = analytics(history, now=NOW, weeks=2, similarity=similarity)["rising"]
    # the three 摆摊 questions no item answered form one topic (3 vs 0), then the 低保 item (4 vs 2);
    # 占道经营投诉 (2 this week) is below the minimum, 低保 no-answers fell (1 vs 2)
    assert [(t["kind"], t["this_week"], t["last_week"], t["growth"]) for t in rising] == [("question", 3, 0, None), ("item", 4, 2, 1.0)]
    assert rising[0]["topic"] in ("小区门口有人摆摊占道经营", "小区门口有人摆摊占道经营！")
    assert rising[1]["topic"] == "最低生活保障申请" and rising[1]["item_id"] == 101
    # without grouping by meaning the 摆摊 wordings are separate and none of them is rising
    assert [t["kind"] for t in analytics(history, now=NOW, weeks=2)["rising"]] == ["item"]


def test_csv_is_the_per_department_weekly_table_with_a_bom(history):
    rows = department_weeks(history, now=NOW, weeks=2)
    assert [(r["week_start"], r["department"]) for r in rows] == [
        ("2024-06-03", CG),
        ("2024-06-03", MZ),
        ("2024-06-10", ""),
        ("2024-06-10", CG),
        ("2024-06-10", MZ),
    ]
    text = to_csv(rows)
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0].split(",") == CSV_HEADER and lines[0].startswith("周起始日")
    assert lines[1].split(",") == ["2024-06-03", CG, "1", "1", "0", "1.0", "0.0", "0", "0", "", "0", "0", ""]
    assert lines[2].split(",") == ["2024-06-03", MZ, "4", "2", "2", "0.5", "0.5", "2", "1", "0.5", "2", "1", "0.5"]
    assert lines[3].split(",")[:3] == ["2024-06-10", UNASSIGNED, "1"]
    assert len([line for line in lines if line]) == 6


def test_gaps_group_paraphrases_and_keep_unrelated_questions_apart(app, history):
    kb = app.app.state.kb
    similarity = Similarity.for_knowledge(history, kb)
    result = find_gaps(history, now=NOW, days=30, similarity=similarity, department_for=lambda text: kb.department_for(text).name)
    groups = result["groups"]
    assert result["total"] == len(groups) == 3
    dibao, tanfan, dog = groups  # most evidence first
    assert set(dibao["examples"]) == {"低保的申请条件是什么", "低保咋申请", "低保怎么申请？", "申请最低生活保障需要什么条件"}
    assert dibao["question"] == "低保的申请条件是什么"  # the most frequent wording
    assert dibao["count"] == 5 and dibao["sources"] == {"no_answer": 3, "unhelpful": 1, "flag": 1}
    assert dibao["department"] == MZ and dibao["trend"] == {"this_week": 2, "last_week": 3}
    assert dibao["first_seen"] == _at(8).isoformat(timespec="seconds")
    assert dibao["last_seen"] == _at(1).isoformat(timespec="seconds")
    assert dibao["items"] == [{"id": 101, "title": "最低生活保障申请", "count": 1}]
    assert dibao["flags"][0]["kind"] == "missing" and "138****5678" in dibao["flags"][0]["note"]
    # one example per wording (its latest form), the wording asked most and most recently first
    assert tanfan["examples"] == ["有人占道摆摊没人管", "小区门口有人摆摊占道经营！"]
    assert tanfan["count"] == 4 and tanfan["sources"] == {"no_answer": 3, "unhelpful": 1, "flag": 0}
    assert tanfan["department"] == CG and tanfan["trend"] == {"this_week": 4, "last_week": 0}
    assert dog["examples"] == ["狗不拴绳咬人了找谁"] and dog["count"] == 1
    assert dog["department"] == kb.department_for("狗不拴绳咬人了找谁").name != ""  # no evidence placed it
    assert len({g["id"] for g in groups}) == 3
    again = find_gaps(history, now=NOW, days=30, similarity=similarity)
    assert [g["id"] for g in again["groups"]] == [g["id"] for g in groups]  # ids are stable


def test_gaps_for_one_department_and_a_shorter_window(app, history):
    similarity = Similarity.for_knowledge(history, app.app.state.kb)
    mz = find_gaps(history, now=NOW, days=30, department=MZ, similarity=similarity)["groups"]
    assert [g["department"] for g in mz] == [MZ] and mz[0]["count"] == 5
    recent = find_gaps(history, now=NOW, days=7, similarity=similarity)["groups"]
    dibao = _group_with(recent, "低保咋申请")
    assert dibao["count"] == 2 and dibao["sources"] == {"no_answer": 1, "unhelpful": 0, "flag": 1}
    assert _group_with(recent, "低保的申请条件是什么") is None  # only asked 8 days ago


def test_without_similarity_only_identical_wording_is_grouped(history):
    groups = find_gaps(history, now=NOW, days=30)["groups"]
    assert _group_with(groups, "低保咋申请") is not _group_with(groups, "申请最低生活保障需要什么条件")
    tanfan = _group_with(groups, "有人占道摆摊没人管")
    assert tanfan["count"] == 2 and tanfan["sources"]["unhelpful"] == 1  # same wording, punctuation aside


# --- the routes: who may see what ---------------------------------------------------------------

ROUTES = ["/api/admin/gaps", "/api/admin/analytics", "/api/admin/analytics.csv"]


def test_not_logged_in_is_401_and_other_roles_403(app):
    for route in ROUTES:
        assert app.get(route).status_code == 401
    assert app.post("/api/operator/flags", json={"question": "x", "kind": "missing"}).status_code == 401
    operator = login(app, "ins_op")
    for route in ROUTES:
        response = app.get(route, headers=operator)
        assert response.status_code == 403 and "无权" in response.json()["detail"]
    editor = login(app, "ins_editor_mz")
    assert app.post("/api/operator/flags", headers=editor, json={"question": "低保怎么申请", "kind": "missing"}).status_code == 403
    nobody = login(app, "ins_editor_none")  # an editor without a department sees nothing
    assert app.get("/api/admin/gaps", headers=nobody).status_code == 403


def test_editors_see_only_their_own_departments_gaps(seeded):
    app = seeded
    editor = login(app, "ins_editor_mz")
    response = app.get("/api/admin/gaps", params={"department": CG}, headers=editor)  # the parameter is ignored
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["department"] == MZ and body["days"] == 30
    assert body["groups"] and all(g["department"] == MZ for g in body["groups"])
    dibao = _group_with(body["groups"], "低保咋申请")
    assert dibao and "低保怎么申请？" in dibao["examples"] and dibao["sources"]["no_answer"] >= 2
    assert _group_with(body["groups"], "小区门口有人摆摊占道经营") is None
    reviewer = login(app, "ins_reviewer_cg")
    cg = app.get("/api/admin/gaps", headers=reviewer).json()["groups"]
    assert _group_with(cg, "小区门口有人摆摊占道经营") and _group_with(cg, "低保咋申请") is None
    assert all(g["department"] == CG for g in cg)


def test_admins_and_supervisors_see_all_or_one_department(seeded):
    app = seeded
    admin = login(app, "ins_admin")
    everything = app.get("/api/admin/gaps", headers=admin).json()
    assert everything["department"] == "" and {MZ, CG} <= {g["department"] for g in everything["groups"]}
    only_cg = app.get("/api/admin/gaps", params={"department": CG}, headers=admin).json()["groups"]
    assert only_cg and all(g["department"] == CG for g in only_cg)
    tanfan = _group_with(only_cg, "有人占道摆摊没人管")
    assert tanfan is not None and tanfan["trend"]["this_week"] == 2 and tanfan["trend"]["last_week"] == 1
    boss = login(app, "ins_boss")
    assert app.get("/api/admin/gaps", params={"days": 2}, headers=boss).status_code == 200
    assert app.get("/api/admin/gaps", params={"days": 0}, headers=boss).status_code == 422


def test_analytics_route_is_scoped_like_the_gaps(seeded):
    app = seeded
    editor = app.get("/api/admin/analytics", params={"department": CG, "weeks": 4}, headers=login(app, "ins_editor_mz")).json()
    assert editor["department"] == MZ and len(editor["series"]) == 4
    assert [d["department"] for d in editor["departments"]] == [MZ]
    assert set(editor["totals"]) == {
        "questions",
        "answered",
        "no_answer",
        "conversations",
        "handed_off",
        "feedback",
        "helpful",
        "answered_rate",
        "no_answer_rate",
        "handoff_rate",
        "satisfaction",
    }
    assert editor["totals"]["no_answer"] >= 3
    admin = app.get("/api/admin/analytics", headers=login(app, "ins_admin")).json()
    assert len(admin["series"]) == 8 and {MZ, CG} <= {d["department"] for d in admin["departments"]}
    assert admin["totals"]["questions"] >= editor["totals"]["questions"] + 3
    assert set(admin) == {"department", "weeks", "from", "to", "totals", "series", "top_questions", "rising", "departments"}


def test_analytics_csv_route(seeded):
    app = seeded
    response = app.get("/api/admin/analytics.csv", headers=login(app, "ins_editor_mz"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == CSV_HEADER
    assert len(lines) >= 2 and all(line.split(",")[1] == MZ for line in lines[1:])


def test_operators_flag_wrong_and_missing_answers(seeded):
    app = seeded
    state = app.app.state
    operator = login(app, "ins_op")
    bad = [
        {"question": "低保怎么申请", "kind": "unknown"},
        {"question": "   ", "kind": "missing"},
        {"kind": "missing"},
        {"question": "低保怎么申请", "kind": "wrong", "item_id": 999999},
    ]
    for body in bad:
        assert app.post("/api/operator/flags", headers=operator, json=body).status_code == 422, body
    item = state.kb.store.get_by_key("qa-juzhuzheng-001")
    wrong = app.post(
        "/api/operator/flags",
        headers=operator,
        json={
            "question": "外地人住多久能办居住证",
            "kind": "wrong",
            "item_id": item.id,
            "note": "答案里的居住年限已调整，市民手机13912345678",
        },
    )
    assert wrong.status_code == 200, wrong.text
    assert wrong.json()["department"] == item.department == "示例市公安局" and wrong.json()["kind"] == "wrong"
    missing = app.post(
        "/api/operator/flags",
        headers=operator,
        json={"question": "新能源车充电桩进小区物业不让装怎么办", "kind": "missing", "item_id": None, "note": ""},
    )
    assert missing.status_code == 200 and missing.json()["department"]
    with state.records.engine.connect() as conn:
        row = conn.execute(select(answer_flags).where(answer_flags.c.id == wrong.json()["id"])).one()
    assert row.operator == "ins_op" and row.item_id == item.id and "139****5678" in row.note
    audit = state.accounts.audit_log(actor="ins_op", action="flag.add")
    assert len(audit) == 2 and audit[0]["target"] == f"flag:{missing.json()['id']}"
    assert "13912345678" not in audit[1]["note"]
    # the flags arrive in the gaps inbox
    groups = app.get("/api/admin/gaps", params={"department": "示例市公安局"}, headers=login(app, "ins_admin")).json()
    flagged = _group_with(groups["groups"], "外地人住多久能办居住证")
    assert flagged["sources"]["flag"] >= 1 and item.id in [i["id"] for i in flagged["items"]]  # with like questions
    assert item.title in [i["title"] for i in flagged["items"]] and "ins_op" in [f["operator"] for f in flagged["flags"]]
    boss = login(app, "ins_boss")
    assert app.post("/api/operator/flags", headers=boss, json={"question": "公积金贷款额度是多少", "kind": "missing"}).status_code == 200
