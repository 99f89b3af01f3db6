"""The policy owners' console (/admin) in a real headless Chromium against the real stack: an editor
drafts and submits a Q&A, a reviewer publishes it, the citizens' web chat answers with it at once,
the editor abolishes it and the web chat stops citing it at once; stale edits get a 409 in the
page; the version history shows the diff; the import page previews problems; roles shape the tabs.

The consoles run under their real Content-Security-Policy (no bypass): waits use Playwright's
locator assertions, which need no page-side eval, and any CSP violation fails the tests.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import REPO, password, run_cli
from tests.browser.test_webchat import ask

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

MINZHENG = "示例市民政局"
STAFF = [
    ("adm_ed", "editor", MINZHENG),
    ("adm_ed2", "editor", MINZHENG),
    ("adm_rv", "reviewer", MINZHENG),
    ("adm_op", "operator", MINZHENG),
]
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 800}
SLOW = 60000

# A made-up subsidy: nothing in the sample knowledge base talks about it.
QUESTION = "青禾暖心助老补贴怎么申领？"
ANSWER = "青禾暖心助老补贴由户籍所在地社区居委会受理：每月10日前携带身份证和青禾助老卡提交申请，审核通过后每月发放360元。"


@pytest.fixture(scope="module")
def staff(stack):
    for name, role, department in STAFF:
        result = run_cli(stack["home"], "user", "add", name, "--role", role, "--password", password(name), "--department", department)
        assert result.returncode == 0 or "已存在" in result.stderr, result.stderr
    return stack


@pytest.fixture(scope="module")
def consoles(browser, staff):
    """One logged-in browser context per user, opened on first use and reused by the module's tests."""
    opened: dict[str, tuple] = {}
    problems: list[str] = []

    def open_as(name: str, viewport=DESKTOP):
        if name not in opened:
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e: problems.append(f"{name}: {e}"))
            page.goto(staff["base"] + "/admin")
            page.fill("#login-user", name)
            page.fill("#login-pass", password(name))
            page.click("#login-submit")
            expect(page.locator("#app")).to_be_visible()
            expect(page.locator("#who")).to_contain_text(name)
            opened[name] = (context, page)
        return opened[name][1]

    open_as.problems = problems
    yield open_as
    for context, _page in opened.values():
        context.close()
    assert problems == [], problems  # no script errors, nothing refused by the page's CSP


def go(page, base: str, hash_: str):
    """Open a view afresh (a reload when the page already shows it: others may have changed it)."""
    url = f"{base}/admin#{hash_}"
    if page.url == url:
        page.reload()
    else:
        page.goto(url)
    expect(page.locator("#app")).to_be_visible()


def new_qa(page, question: str, answer: str = "", similar: str = "") -> int:
    page.click("[data-testid=tab-items]")
    page.select_option("[data-testid=new-kind]", "qa")
    page.click("[data-testid=new-item]")
    expect(page.locator("#view-editor")).to_be_visible()
    page.fill("[data-testid=ed-f-question]", question)
    if similar:
        page.fill("[data-testid=ed-f-similar]", similar)
    if answer:
        page.fill("[data-testid=ed-f-answer]", answer)
    page.click("[data-testid=ed-save]")
    expect(page.locator("[data-testid=item-msg]")).to_contain_text("已保存为草稿 v1")
    return int(re.match(r"#(\d+)", page.inner_text("[data-testid=item-title]")).group(1))


def citizen_asks(browser, base: str, text: str):
    """A fresh web chat (a new context: a new session id) on a phone; returns the bot's reply box."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)  # `ask` waits by evaluating a script
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector(".govbot-msg.bot")
    reply = ask(page, text)
    if reply.locator(".govbot-sources summary").count():
        reply.locator(".govbot-sources summary").click()
    return context, reply.inner_text()


def test_draft_submit_publish_answer_then_abolish(browser, consoles, staff):
    base = staff["base"]
    editor = consoles("adm_ed")
    item_id = new_qa(editor, QUESTION, ANSWER, similar="青禾助老补贴在哪里申请\n青禾暖心补贴每月发多少")
    expect(editor.locator("[data-testid=item-status]")).to_have_text("草稿")
    assert editor.locator("[data-testid=act-publish]").is_hidden()  # editors never publish
    editor.click("[data-testid=act-submit]")
    expect(editor.locator("[data-testid=item-status]")).to_have_text("待审核")
    expect(editor.locator("[data-testid=item-msg]")).to_contain_text("已提交审核")
    assert editor.locator("[data-testid=act-publish]").is_hidden()

    # the reviewer of the same department publishes it, after the gold-question check
    reviewer = consoles("adm_rv")
    go(reviewer, base, f"item/{item_id}")
    expect(reviewer.locator("[data-testid=item-status]")).to_have_text("待审核")
    expect(reviewer.locator("[data-testid=field-answer]")).to_have_text(ANSWER)
    reviewer.click("[data-testid=act-publish]")
    expect(reviewer.locator("#publish-info")).to_contain_text("标准问题")
    expect(reviewer.locator("[data-testid=publish-confirm]")).to_be_enabled()
    reviewer.click("[data-testid=publish-confirm]")
    expect(reviewer.locator("[data-testid=item-status]")).to_have_text("已发布")
    expect(reviewer.locator("[data-testid=item-msg]")).to_contain_text("已发布")
    expect(reviewer.locator("#item-answering")).to_have_text("正在用于答复市民")

    # it answers the department's new gold question (✓)
    reviewer.click("[data-testid=tab-gold]")
    reviewer.fill("[data-testid=gold-question]", "青禾助老补贴怎么领")
    reviewer.fill("[data-testid=gold-item]", "abc")
    reviewer.click("[data-testid=gold-add]")
    expect(reviewer.locator("[data-testid=gold-msg]")).to_contain_text("条目编号")
    reviewer.fill("[data-testid=gold-question]", QUESTION)
    reviewer.fill("[data-testid=gold-item]", str(item_id))
    reviewer.click("[data-testid=gold-add]")
    expect(reviewer.locator("[data-testid=gold-msg]")).to_contain_text("已添加标准问题")
    expect(reviewer.locator("[data-testid=gold-body] tr", has_text=QUESTION)).to_contain_text("✓ 答对")

    # the citizens' web chat answers with it at once, citing it
    chat, said = citizen_asks(browser, base, QUESTION)
    chat.close()
    assert "360元" in said and "青禾助老卡" in said, said
    assert f"《{QUESTION}》" in said and MINZHENG in said, said

    # the editor abolishes it (the reason is required): the web chat stops citing it at once
    go(editor, base, f"item/{item_id}")
    expect(editor.locator("[data-testid=item-status]")).to_have_text("已发布")
    editor.click("[data-testid=act-abolish]")
    editor.click("[data-testid=abolish-submit]")
    expect(editor.locator("[data-testid=item-msg]")).to_contain_text("请写明原因")
    editor.fill("[data-testid=abolish-reason]", "该补贴已停止发放")
    editor.click("[data-testid=abolish-submit]")
    expect(editor.locator("[data-testid=item-status]")).to_have_text("已废止")
    expect(editor.locator("[data-testid=abolish-reason-shown]")).to_have_text("该补贴已停止发放")
    assert editor.locator("[data-testid=act-edit]").is_hidden()

    chat, said = citizen_asks(browser, base, QUESTION)
    chat.close()
    assert said.strip() and "服务暂时不可用" not in said and "网络连接失败" not in said, said  # a real reply
    assert "360元" not in said and "青禾助老卡" not in said, said
    assert f"《{QUESTION}》" not in said, said

    # the reviewer's gold question on it now fails (✗); deleting it takes two clicks
    reviewer.click("[data-testid=tab-gold]")
    row = reviewer.locator("[data-testid=gold-body] tr", has_text=QUESTION)
    expect(row).to_contain_text("✗ 未答对")
    row.locator("[data-testid=gold-delete]").click()
    expect(row.locator("[data-testid=gold-delete]")).to_have_text("确认删除？")
    row.locator("[data-testid=gold-delete]").click()
    expect(reviewer.locator("[data-testid=gold-msg]")).to_contain_text("已删除标准问题")
    expect(row).to_have_count(0)


def test_stale_save_in_a_second_editor_gets_409_and_the_history_shows_the_diff(consoles, staff):
    base = staff["base"]
    first = consoles("adm_ed")
    item_id = new_qa(first, "青禾社区食堂助餐卡怎么办理？", "到社区食堂服务台办理。")

    second = consoles("adm_ed2")  # another editor of the same department opens the same item
    go(second, base, f"edit/{item_id}")
    expect(second.locator("[data-testid=ed-f-answer]")).to_have_value("到社区食堂服务台办理。")

    first.click("[data-testid=act-edit]")
    expect(first.locator("[data-testid=ed-f-answer]")).to_have_value("到社区食堂服务台办理。")
    first.fill("[data-testid=ed-f-answer]", "携带身份证到社区食堂服务台办理，当场制卡。")
    first.click("[data-testid=ed-save]")
    expect(first.locator("[data-testid=item-msg]")).to_contain_text("已保存为草稿 v2")

    second.fill("[data-testid=ed-f-answer]", "网上办理。")
    second.click("[data-testid=ed-save]")
    expect(second.locator("[data-testid=ed-msg]")).to_contain_text("该条目已被他人修改（当前为 v2")
    second.click("[data-testid=ed-reload]")
    expect(second.locator("[data-testid=ed-f-answer]")).to_have_value("携带身份证到社区食堂服务台办理，当场制卡。")
    expect(second.locator("[data-testid=ed-msg]")).to_contain_text("已加载最新版本 v2")

    # the version history: v1 against v2 shows the answer's change
    first.click("[data-testid=act-versions]")
    expect(first.locator("[data-testid=va-1]")).to_be_checked()
    expect(first.locator("[data-testid=vb-2]")).to_be_checked()
    first.click("[data-testid=diff-run]")
    change = first.locator("[data-testid=diff-out] [data-field=answer]")
    expect(change.locator("del")).to_have_text("到社区食堂服务台办理。")
    expect(change.locator("ins")).to_have_text("携带身份证到社区食堂服务台办理，当场制卡。")
    expect(change).to_contain_text("答案")

    # a draft without its answer cannot be submitted: the server's reason is shown
    empty_id = new_qa(first, "青禾老年助浴服务怎么预约？")
    first.click("[data-testid=act-submit]")
    expect(first.locator("[data-testid=item-msg]")).to_contain_text("提交前请填写：答案")
    assert empty_id != item_id


def test_import_preview_names_the_problem_rows(consoles):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["问题", "相似问法", "答案", "来源文件"])
    sheet.append(["青禾助老卡丢了怎么补办？", "", "到社区居委会补办。", ""])
    sheet.append(["青禾助老卡可以代办吗？", "", "", ""])  # row 3: no answer
    data = io.BytesIO()
    book.save(data)

    editor = consoles("adm_ed")
    editor.click("[data-testid=tab-import]")
    expect(editor.locator("[data-testid=tpl-qa]")).to_have_attribute("href", "/api/admin/templates/qa.xlsx")
    assert editor.locator("[data-testid=imp-publish]").is_hidden()  # editors import drafts only
    editor.set_input_files(
        "[data-testid=imp-file]",
        files=[
            {
                "name": "青禾问答.xlsx",
                "buffer": data.getvalue(),
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ],
    )
    editor.click("[data-testid=imp-preview]")
    problems = editor.locator("[data-testid=imp-problems] tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("第 3 行")
    expect(problems.first).to_contain_text("「答案」不能为空，请填写")
    expect(editor.locator("[data-testid=imp-summary]")).to_contain_text("错误 1 处")
    expect(editor.locator("[data-testid=imp-rows]")).to_contain_text("青禾助老卡丢了怎么补办？")
    expect(editor.locator("[data-testid=imp-draft]")).to_be_disabled()  # nothing is imported while errors remain


def test_gaps_inbox_drafts_a_qa_and_analytics_draws_charts(consoles, staff):
    import httpx

    base = staff["base"]
    editor_api = httpx.post(f"{base}/api/admin/login", json={"username": "adm_ed", "password": password("adm_ed")})
    token = editor_api.json()["token"]
    some_item = httpx.get(
        f"{base}/api/admin/items", params={"size": 1, "status": "published"}, headers={"Authorization": f"Bearer {token}"}
    ).json()["items"][0]
    operator = httpx.post(f"{base}/api/operator/login", json={"username": "adm_op", "password": password("adm_op")})
    flagged = httpx.post(
        f"{base}/api/operator/flags",
        headers={"Authorization": f"Bearer {operator.json()['token']}"},
        json={
            "question": "我电话13812345678，青禾助老卡年审去哪里办？",
            "kind": "missing",
            "item_id": some_item["id"],
            "note": "市民多次来电询问",
        },
    )
    assert flagged.status_code == 200, flagged.text

    editor = consoles("adm_ed")
    editor.click("[data-testid=tab-gaps]")
    group = editor.locator("[data-testid=gaps-list] > li", has_text="青禾助老卡年审去哪里办？")
    expect(group).to_contain_text("138****5678")  # the evidence is shown masked
    expect(group).to_contain_text(re.compile(r"坐席标记 \d"))  # other tests on this stack flag like questions too
    expect(group).to_contain_text("市民多次来电询问")
    group.locator("[data-testid=gap-draft]").click()
    expect(editor.locator("#view-editor")).to_be_visible()
    # the draft carries the question without the personal data, not its mask
    expect(editor.locator("[data-testid=ed-f-question]")).to_have_value("青禾助老卡年审去哪里办？")
    expect(editor.locator("[data-testid=ed-msg]")).to_contain_text("已根据知识缺口生成问答草稿")

    editor.click("[data-testid=tab-analytics]")
    expect(editor.locator("[data-testid=an-msg]")).to_contain_text(MINZHENG)
    expect(editor.locator("[data-testid=an-totals]")).to_contain_text("提问数")
    expect(editor.locator("[data-testid=chart-questions] svg rect").first).to_be_attached()
    expect(editor.locator("[data-testid=chart-rates] svg")).to_have_count(1)
    expect(editor.locator("[data-testid=analytics-csv]")).to_have_attribute("href", re.compile("analytics.csv"))
    csv = httpx.get(base + editor.get_attribute("[data-testid=analytics-csv]", "href"), headers={"Authorization": f"Bearer {token}"})
    assert csv.status_code == 200 and "周起始日" in csv.text


def test_tabs_follow_the_role(consoles):
    editor = consoles("adm_ed")
    for tab in ("items", "import", "gold", "gaps", "analytics"):
        expect(editor.locator(f"[data-testid=tab-{tab}]")).to_be_visible()
    expect(editor.locator("[data-testid=tab-audit]")).to_be_hidden()
    reviewer = consoles("adm_rv")
    reviewer.click("[data-testid=tab-audit]")
    rows = reviewer.locator("[data-testid=audit-body] tr")
    expect(rows.first).to_be_visible()
    expect(reviewer.locator("[data-testid=audit-body]")).to_contain_text("adm_rv")  # their own login, at least
    expect(reviewer.locator("[data-testid=audit-csv]")).to_have_attribute("href", re.compile("format=csv"))


def test_admin_page_headers_and_scripts(staff):
    import httpx

    page = httpx.get(staff["base"] + "/admin")
    assert page.status_code == 200 and "政策知识管理后台" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and " style=" not in page.text and "onclick" not in page.text
    # one module script, nothing inline: the page's modules import the rest
    assert re.findall(r"<script\b([^>]*)>", page.text) == [' type="module" src="/static/admin/main.js"']
    assert '<link rel="stylesheet" href="/static/admin/style.css">' in page.text
    scripts = sorted(
        f"/static/{path.parent.name}/{path.name}"
        for folder in ("admin", "shared")
        for path in (REPO / "api" / "static" / folder).glob("*.js")
    )
    assert "/static/admin/main.js" in scripts and "/static/shared/http.js" in scripts and len(scripts) >= 10
    for url in scripts:
        reply = httpx.get(staff["base"] + url)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/javascript"), url
        assert reply.headers["x-frame-options"] == "DENY", url
        assert "innerHTML" not in reply.text and "insertAdjacentHTML" not in reply.text and "eval(" not in reply.text, url
    assert httpx.get(staff["base"] + "/static/admin/style.css").headers["content-type"].startswith("text/css")
    assert httpx.get(staff["base"] + "/static/admin/nothing.js").status_code == 404
    assert httpx.get(staff["base"] + "/static/other/main.js").status_code == 404
