"""Accessibility of every page, measured by axe-core itself (the axe.min.js that the
axe-playwright-python package bundles: no network) in a real headless Chromium against the real
stack: the citizens' web chat, the operators' console and the policy owners' console, each in the
states people actually see. Every violation fails, whatever its impact.

axe is injected as a script tag, which the pages' strict Content-Security-Policy would refuse:
these contexts bypass the CSP (the other browser tests check the CSP itself)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import password, run_cli
from tests.browser.test_webchat import ask

sync_api = pytest.importorskip("playwright.sync_api")
axe_package = pytest.importorskip("axe_playwright_python")
expect = sync_api.expect

AXE_JS = (Path(axe_package.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 800}
SLOW = 60000
MINZHENG = "示例市民政局"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAFF = [
    ("a11y_boss", "supervisor", ""),
    ("a11y_op", "operator", MINZHENG),
    ("a11y_admin", "admin", ""),
]


@pytest.fixture(scope="module")
def staff(stack):
    for name, role, dept in STAFF:
        args = ["user", "add", name, "--role", role, "--password", password(name)]
        result = run_cli(stack["home"], *(args + (["--department", dept] if dept else [])))
        assert result.returncode == 0 or "已存在" in result.stderr, result.stderr
    return stack


def axe_violations(page) -> list[dict]:
    """axe.run() over the whole document as it is now: its violations (every impact level)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_JS)
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))"""
    )


def assert_accessible(page, where: str) -> None:
    found = axe_violations(page)
    lines = [
        f"  {v['id']} ({v['impact']}): {v['help']}\n    {n['target']}: {' '.join(n['summary'].split())}" for v in found for n in v["nodes"]
    ]
    assert not found, f"axe: {len(found)} violation(s) on {where}:\n" + "\n".join(lines)


def new_page(browser, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    return context, context.new_page()


def log_in(page, name: str, shown: str) -> None:
    page.fill("#login-user", name)
    page.fill("#login-pass", password(name))
    page.click("#login-submit")
    expect(page.locator(shown)).to_be_visible()
    expect(page.locator("#who")).to_contain_text(name)


# ------------------------------------------------------------------ the citizens' web chat ----
def test_web_chat(browser, stack):
    context, page = new_page(browser, PHONE)
    try:
        page.goto(stack["base"] + "/")
        page.wait_for_selector(".govbot-msg.bot")
        assert_accessible(page, "the web chat, fresh")

        asked = ask(page, "小学一年级报名是什么时间？")
        assert asked.locator(".govbot-buttons button").count() >= 2  # a clarifying question with buttons
        answered = ask(page, "居住证怎么办理？")
        assert answered.locator(".govbot-source").count() >= 1  # an answer with its source
        for summary in page.locator(".govbot-sources summary").all():
            summary.click()  # every source list opened
        assert_accessible(page, "the web chat, after an answer with sources and a clarifying question")
    finally:
        context.close()


# ------------------------------------------------------------------ the operators' console ----
def test_operator_console(browser, staff):
    base = staff["base"]
    context, page = new_page(browser)
    citizen_ctx, citizen = new_page(browser, PHONE)
    try:
        page.goto(base + "/console")
        expect(page.locator("#login-view")).to_be_visible()
        assert_accessible(page, "the operator console's login view")

        # a citizen's conversation waits for a person
        citizen.goto(base + "/")
        citizen.wait_for_selector(".govbot-msg.bot")
        ask(citizen, "居住证怎么办理？")
        citizen.click(".govbot-human")
        citizen.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('人工')", timeout=SLOW)
        sid = citizen.evaluate("JSON.parse(localStorage.getItem('govbot.chat')).id")

        log_in(page, "a11y_boss", "#chat-view")
        item = page.locator(".gc-queue-item", has_text=sid)
        item.wait_for(timeout=10000)
        item.click()
        page.wait_for_function("document.querySelector('#pk-summary').innerText.includes('市民')")
        page.locator("#pk-answers .gc-sources summary").first.click()
        page.fill("#assist-text", "居住证要带什么材料")
        page.click("#assist-submit")
        page.wait_for_selector("#chat-view .gc-suggestion")
        assert_accessible(page, "the operator console with a waiting conversation open and suggestions")

        page.click("#btn-claim")
        expect(page.locator("#conv-status")).to_have_text("服务中")
        page.click("#btn-workorder")
        expect(page.locator("#wo-form")).to_be_visible()
        assert_accessible(page, "the operator console: a claimed conversation and the work-order form")
        page.click("#wo-cancel")
        page.click("#btn-transfer")
        expect(page.locator("#transfer-form")).to_be_visible()
        assert_accessible(page, "the operator console: the transfer form")
        page.click("#transfer-cancel")

        page.click("#tab-phone")
        expect(page.locator("#phone-view .gc-suggestion").first).to_be_visible()
        page.fill("#assist-text", "小区门口天天有人摆摊卖菜，堵了消防通道")
        page.click("#assist-submit")
        expect(page.locator("#assist-dept")).to_contain_text("建议派单")
        assert_accessible(page, "the operator console's phone-assist tab with suggestions")
    finally:
        context.close()
        citizen_ctx.close()


# ------------------------------------------------------------------ the policy owners' console ----
def _prepare_admin_views(base: str) -> int:
    """Something in every view: an operator's flag (a knowledge gap); returns a published item's id."""
    admin = httpx.post(f"{base}/api/admin/login", json={"username": "a11y_admin", "password": password("a11y_admin")})
    headers = {"Authorization": f"Bearer {admin.json()['token']}"}
    items = httpx.get(f"{base}/api/admin/items", params={"size": 1, "status": "published"}, headers=headers)
    item_id = items.json()["items"][0]["id"]
    operator = httpx.post(f"{base}/api/operator/login", json={"username": "a11y_op", "password": password("a11y_op")})
    flagged = httpx.post(
        f"{base}/api/operator/flags",
        headers={"Authorization": f"Bearer {operator.json()['token']}"},
        json={"question": "无障碍测试：公园年卡在哪里办理？", "kind": "missing", "item_id": item_id, "note": "市民多次来电询问"},
    )
    assert flagged.status_code == 200, flagged.text
    return item_id


def _workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["问题", "相似问法", "答案", "部门"])  # an admin's import names each row's department
    sheet.append(["无障碍测试：助老卡丢了怎么补办？", "", "到社区居委会补办。", MINZHENG])
    sheet.append(["无障碍测试：助老卡可以代办吗？", "", "", MINZHENG])  # no answer: a problem row
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_admin_console(browser, staff):
    base = staff["base"]
    item_id = _prepare_admin_views(base)
    context, page = new_page(browser)

    def view(hash_: str, ready: str) -> None:
        page.goto(f"{base}/admin#{hash_}")
        expect(page.locator(ready).first).to_be_visible()

    try:
        page.goto(base + "/admin")
        expect(page.locator("#login-view")).to_be_visible()
        assert_accessible(page, "the admin console's login view")
        log_in(page, "a11y_admin", "#app")

        view("items", "#items-body tr")
        assert_accessible(page, "the admin console's items list")

        view(f"item/{item_id}", "[data-testid=item-fields] dt")
        expect(page.locator("[data-testid=item-status]")).to_have_text("已发布")
        page.click("[data-testid=act-versions]")
        expect(page.locator("#versions-body tr").first).to_be_visible()
        assert_accessible(page, "an item with its version history")
        page.click("[data-testid=act-abolish]")
        expect(page.locator("#abolish-form")).to_be_visible()
        assert_accessible(page, "an item with the abolish form")

        view(f"edit/{item_id}", "#view-editor [data-testid=ed-save]")
        assert_accessible(page, "the item editor")
        view("new/qa", "[data-testid=ed-f-question]")
        assert_accessible(page, "the editor of a new Q&A")
        page.fill("[data-testid=ed-f-question]", "无障碍测试：助老卡怎么申领？")
        page.fill("[data-testid=ed-f-answer]", "到社区居委会申领。")
        page.click("[data-testid=ed-save]")
        expect(page.locator("[data-testid=ed-msg]")).to_contain_text("部门")  # an admin names the department
        assert_accessible(page, "the editor showing what is missing")
        page.fill("[data-testid=ed-department]", MINZHENG)
        page.click("[data-testid=ed-save]")
        expect(page.locator("[data-testid=item-msg]")).to_contain_text("已保存为草稿 v1")
        assert_accessible(page, "a draft just saved")

        view("import", "[data-testid=imp-file]")
        assert_accessible(page, "the import view")
        page.set_input_files(
            "[data-testid=imp-file]",
            files=[{"name": "无障碍.xlsx", "buffer": _workbook(), "mimeType": XLSX}],
        )
        page.click("[data-testid=imp-preview]")
        expect(page.locator("[data-testid=imp-problems] tr").first).to_be_visible(timeout=SLOW)
        assert_accessible(page, "the import view with a preview and its problems")

        view("gold", "[data-testid=gold-question]")
        page.fill("[data-testid=gold-question]", "无障碍测试：居住证怎么办理")
        page.fill("[data-testid=gold-item]", str(item_id))
        page.click("[data-testid=gold-add]")
        expect(page.locator("[data-testid=gold-body] tr").first).to_be_visible()
        assert_accessible(page, "the gold questions")

        view("gaps", "[data-testid=gaps-list] > li")
        assert_accessible(page, "the knowledge gaps")

        view("analytics", "[data-testid=chart-questions] svg")
        assert_accessible(page, "the analytics")

        view("audit", "[data-testid=audit-body] tr")
        assert re.search("a11y_admin", page.inner_text("[data-testid=audit-body]"))
        assert_accessible(page, "the audit log")
    finally:
        context.close()
