"""The hotline operator console (/console) in a real headless Chromium against the real stack:
a citizen's web chat hands off, an operator takes it over, talks, releases, files a work order,
and uses agent assist; errors come back in Chinese."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import REPO, password, run_cli
from tests.browser.test_webchat import ask

pytest.importorskip("playwright.sync_api")

DESKTOP = {"width": 1366, "height": 860}
TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 768, "height": 1024}
SLOW = 60000
STATIC = REPO / "api" / "static"


@pytest.fixture(scope="module")
def staff(stack):
    for name, role, dept in [
        ("console_boss", "supervisor", ""),
        ("console_boss2", "supervisor", ""),
        ("console_cg", "operator", "示例市城市管理局"),
    ]:
        args = ["user", "add", name, "--role", role, "--password", password(name)]
        result = run_cli(stack["home"], *(args + (["--department", dept] if dept else [])))
        assert result.returncode == 0 or "已存在" in result.stderr, result.stderr
    return stack


def _bearer(base: str, name: str) -> dict:
    login = httpx.post(f"{base}/api/operator/login", json={"username": name, "password": password(name)})
    return {"Authorization": f"Bearer {login.json()['token']}"}


def open_console(browser, base: str, name: str, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)  # waits evaluate scripts
    page = context.new_page()
    page.goto(base + "/console")
    page.fill("#login-user", name)
    page.fill("#login-pass", password(name))
    page.click("#login-submit")
    page.wait_for_selector("#chat-view:not([hidden])")
    assert name in page.inner_text("#who")
    return context, page


def open_conversation(page, session_id: str):
    item = page.locator(".gc-queue-item", has_text=session_id)
    item.wait_for(timeout=10000)  # the queue polls every 2 s
    item.click()
    page.wait_for_function("document.querySelector('#pk-summary').innerText.includes('市民')")
    return item


def test_handoff_claim_reply_release_and_work_order(browser, staff):
    base = staff["base"]
    # the citizen, on a phone: asks, then presses 转人工
    citizen_ctx = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN", bypass_csp=True)  # waits evaluate scripts
    citizen = citizen_ctx.new_page()
    citizen.goto(base + "/")
    citizen.wait_for_selector(".govbot-msg.bot")
    assert "居住证" in ask(citizen, "居住证怎么办理？").inner_text()
    citizen.click(".govbot-human")
    citizen.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('人工')", timeout=SLOW)
    sid = citizen.evaluate("JSON.parse(localStorage.getItem('govbot.chat')).id")
    assert sid

    # the operator sees it waiting and opens the handoff packet
    ops_ctx, ops = open_console(browser, base, "console_boss")
    item = open_conversation(ops, sid)
    assert "排队中" in item.inner_text() and "等待" in item.inner_text()
    assert ops.inner_text("#pk-summary").startswith("市民先问“居住证怎么办理")
    # the assist beside the chat already holds the citizen's latest question, its suggestions and where to dispatch
    assert ops.input_value("#assist-text") == "居住证怎么办理？"
    assert ops.locator("#chat-view .gc-suggestion").first.is_visible() and "居住证" in ops.inner_text("#assist-list")
    assert ops.inner_text("#assist-dept").startswith("建议派单")
    answers = ops.inner_text("#pk-answers")
    assert "置信度" in answers and "来源" in answers
    ops.locator("#pk-answers .gc-sources summary").first.click()
    assert "居住证" in ops.inner_text("#pk-answers .gc-sources")
    assert "居住证怎么办理" in ops.inner_text("#chat-log")  # the transcript
    assert ops.inner_text("#conv-status") == "排队中"
    assert ops.locator("#send-btn").is_disabled()

    # claim, reply; the citizen's widget gets the reply through its event stream
    ops.click("#btn-claim")
    ops.wait_for_function("document.querySelector('#conv-status').innerText === '服务中'")
    assert "已接手" in ops.inner_text("#conv-msg")
    claimed = "人工客服（工号 console_boss）已接入，正在为您服务。"  # the notice names the operator
    citizen.wait_for_function(f"document.querySelector('.govbot-notice').innerText === {claimed!r}", timeout=SLOW)
    reply = "您好，我是12345坐席，请问办理居住证遇到了什么问题？"
    ops.fill("#send-text", reply)
    ops.press("#send-text", "Enter")
    ops.wait_for_function(f"document.querySelector('#chat-log .gc-msg.is-operator')?.innerText.includes({reply!r})")
    assert ops.input_value("#send-text") == ""
    citizen.wait_for_function(
        f"[...document.querySelectorAll('.govbot-msg.operator')].some(n => n.innerText.includes({reply!r}))", timeout=SLOW
    )

    # the citizen answers (with markup, which must stay text): the bot stays silent
    bots = citizen.locator(".govbot-msg.bot").count()
    said = '<img src=x onerror="window.pwned=1">我在城东区人民路18号'
    with citizen.expect_response(lambda r: r.url.endswith("/api/chat") and r.request.method == "POST"):
        citizen.fill(".govbot-form textarea", said)
        citizen.press(".govbot-form textarea", "Enter")
    ops.wait_for_function("document.querySelector('#chat-log').innerText.includes('人民路18号')")
    assert said in ops.locator("#chat-log .gc-msg.is-citizen").last.inner_text()
    assert ops.locator("#chat-log img").count() == 0 and ops.evaluate("window.pwned === undefined")
    assert citizen.locator(".govbot-msg.bot").count() == bots

    # a second operator cannot take it: the console says who holds it
    other_ctx, other = open_console(browser, base, "console_boss2")
    open_conversation(other, sid)
    other.click("#btn-claim")
    other.wait_for_function("document.querySelector('#conv-msg').innerText.includes('console_boss')")
    assert "已由" in other.inner_text("#conv-msg")
    assert "接手坐席：console_boss" in other.inner_text("#conv-meta")
    other_ctx.close()

    # a work order from the conversation gets a tracking number
    ops.click("#btn-workorder")
    assert "人民路18号" in ops.input_value("#wo-content")  # prefilled from what the citizen said
    ops.fill("#wo-address", "城东区人民路18号")
    ops.fill("#wo-phone", "13900001111")
    ops.check("#wo-callback")
    ops.click("#wo-submit")
    ops.wait_for_function("/GD\\d+/.test(document.querySelector('#wo-result').innerText)")
    assert re.search(r"GD\d{8,}", ops.inner_text("#wo-result"))

    # release: the bot answers the citizen again, and the console sees that answer too
    ops.click("#btn-release")
    ops.wait_for_function("document.querySelector('#conv-status').innerText.includes('智能助手')")
    citizen.wait_for_function("document.querySelector('.govbot-notice').hidden", timeout=SLOW)
    assert not citizen.locator(".govbot-human").is_disabled()
    assert "公积金" in ask(citizen, "公积金怎么提取").inner_text()
    ops.wait_for_function("document.querySelector('#chat-log').innerText.includes('公积金怎么提取')")
    ops.wait_for_function("[...document.querySelectorAll('#chat-log .gc-msg.is-bot')].pop().innerText.includes('公积金')")
    ops.locator(".gc-queue-item", has_text=sid).wait_for(state="detached", timeout=10000)
    ops.fill("#send-text", "还在吗")
    ops.press("#send-text", "Enter")
    assert "请先接手" in ops.inner_text("#conv-msg")
    ops.fill("#send-text", "")

    # the phone-assist tab: suggestions with sources, a department, and 插入 fills the send box
    ops.click("#tab-phone")
    assert ops.locator("#phone-view #assist").is_visible() and not ops.locator("#chat-view").is_visible()
    ops.fill("#assist-text", "居住证要带什么材料")
    ops.click("#assist-submit")  # the box held the packet's suggestions: wait for this question's
    ops.wait_for_function("!document.querySelector('#assist-submit').disabled", timeout=SLOW)
    ops.wait_for_selector("#phone-view .gc-suggestion")
    suggestions = ops.locator("#phone-view .gc-suggestion")
    assert 1 <= suggestions.count() <= 3
    assert "居住证" in suggestions.first.locator(".gc-sources").inner_text()
    assert "置信度" in suggestions.first.inner_text()
    assert ops.inner_text("#assist-dept").startswith("建议派单")
    # 答案有误: the report reaches the policy owners' knowledge-gaps inbox
    suggestions.first.locator("[data-testid=flag-wrong-1]").click()
    ops.wait_for_selector("#phone-view [data-testid=flag-wrong-1]:has-text('已报告')")
    gaps = httpx.get(f"{base}/api/admin/gaps", headers=_bearer(base, "console_boss"), params={"days": 1}).json()
    assert any(g["question"] == "居住证要带什么材料" and g["sources"]["flag"] >= 1 for g in gaps["groups"])
    answer = suggestions.first.locator(".gc-suggestion-text").inner_text()
    suggestions.first.locator(".gc-insert").click()
    assert ops.input_value("#send-text") == answer
    ops.click("#tab-chat")
    assert ops.locator("#send-text").is_visible() and ops.input_value("#send-text") == answer
    assert ops.locator("#chat-view #assist").is_visible()  # the same box sits beside the conversation

    # the session ends (cookie gone): the next poll takes the console back to the login form
    ops_ctx.clear_cookies()
    ops.wait_for_selector("#login-view:not([hidden])", timeout=10000)
    assert "重新登录" in ops.inner_text("#login-error")
    ops_ctx.close()
    citizen_ctx.close()


def _asked(page, text: str) -> str:
    """Asks the assist on purpose (Enter) and returns the first suggestion's source titles."""
    page.fill("#assist-text", text)
    page.press("#assist-text", "Enter")
    page.wait_for_function("!document.querySelector('#assist-submit').disabled", timeout=SLOW)
    page.wait_for_function("!document.querySelector('#assist-msg').innerText.includes('正在查询')", timeout=SLOW)
    first = page.locator("#phone-view .gc-suggestion").first
    return first.locator(".gc-sources").inner_text() if first.count() else ""


def test_phone_assist_reads_a_follow_up_in_what_the_caller_said_before(browser, staff):
    """issue 18.4: the console keeps what the caller said in this call and sends it with the next
    note, so "要带什么材料" after "居住证怎么办理" suggests the residence permit's materials; 清空 keeps
    the call, 新来电 forgets it."""
    context, page = open_console(browser, staff["base"], "console_cg")
    page.click("#tab-phone")
    assert not page.locator("#assist-call").is_visible()
    assert "居住证" in _asked(page, "来电人问居住证怎么办理")
    assert page.locator("#assist-call").is_visible()
    assert page.inner_text("#assist-call-list") == "来电人问居住证怎么办理"
    page.click("#assist-clear")  # between two questions of one call
    assert page.input_value("#assist-text") == "" and page.locator("#assist-call").is_visible()
    assert "居住证" in _asked(page, "要带什么材料")
    assert "身份证" in page.locator("#phone-view .gc-suggestion-text").first.inner_text()
    assert page.locator("#assist-call-list li").count() == 2
    # a corrected note replaces the one it completes instead of adding a third
    _asked(page, "要带什么材料 代办的话")
    assert page.locator("#assist-call-list li").count() == 2
    page.click("#assist-newcall")
    assert not page.locator("#assist-call").is_visible() and page.input_value("#assist-text") == ""
    assert "居住证" not in _asked(page, "要带什么材料")  # a new caller: no service carried over
    context.close()


@pytest.mark.parametrize("viewport", [TABLET, TABLET_PORTRAIT], ids=["landscape", "portrait"])
def test_tablet_layout_login_error_and_operator_assist(browser, staff, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.goto(staff["base"] + "/console")
    page.fill("#login-user", "console_cg")
    page.fill("#login-pass", "wrong-password")
    page.click("#login-submit")
    page.wait_for_function("document.querySelector('#login-error').innerText.includes('用户名或密码错误')")
    context.close()

    context, page = open_console(browser, staff["base"], "console_cg", viewport)
    assert "示例市城市管理局" in page.inner_text("#who")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.fill("#assist-text", "小区门口天天有人摆摊卖菜，堵了消防通道")
    page.click("#assist-submit")
    page.wait_for_selector("#chat-view .gc-suggestion")
    assert page.inner_text("#assist-dept").startswith("建议派单")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.click("#tab-phone")
    assert page.locator("#phone-view .gc-suggestion").first.is_visible()  # the same results follow the box
    context.close()


def test_console_page_is_not_framable_and_markup_free(staff):
    import httpx

    page = httpx.get(staff["base"] + "/console")
    assert page.status_code == 200 and "坐席工作台" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # one module script, nothing inline: the entry point imports the rest
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts == ['<script type="module" src="/static/console/main.js">'], scripts
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S) == [""]
    for folder in ("console", "shared"):
        names = sorted(p.name for p in (STATIC / folder).glob("*.js"))
        assert names, folder
        for name in names:
            asset = httpx.get(f"{staff['base']}/static/{folder}/{name}")
            assert asset.status_code == 200, name
            assert asset.headers["content-type"].startswith("application/javascript"), name
            assert asset.headers["x-frame-options"] == "DENY", name
            script = asset.text
            assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script, name
    assert "main.js" in {p.name for p in (STATIC / "console").glob("*.js")}
    style = httpx.get(staff["base"] + "/static/console/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


def test_the_console_survives_a_reload_and_logs_out_for_real(browser, staff):
    context, page = open_console(browser, staff["base"], "console_boss")
    try:
        page.reload()  # F5: the cookie session goes on, the page asks for its CSRF token again
        page.wait_for_selector("#chat-view:not([hidden])")
        assert "console_boss" in page.inner_text("#who")
        page.click("#logout")
        page.wait_for_selector("#login-view:not([hidden])")
        page.reload()  # logged out on the server too: the reload shows the login form
        page.wait_for_selector("#login-view:not([hidden])")
        assert page.locator("#chat-view").is_hidden()
    finally:
        context.close()
