"""The citizens' web chat in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser, stack):
    # a phone; the waits below evaluate script strings, which the page's CSP would refuse
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(stack["base"] + "/")
    page.wait_for_selector(".govbot-msg.bot")
    yield page
    context.close()


def ask(page, text: str):
    count = page.locator(".govbot-msg.bot").count()
    page.fill(".govbot-form textarea", text)
    page.press(".govbot-form textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.govbot-msg.bot').length > {count}", timeout=60000)
    return page.locator(".govbot-msg.bot").last


def test_ask_follow_up_see_sources_and_reload_history(page):
    answer = ask(page, "居住证怎么办理？")
    first = answer.locator(".govbot-source")  # the first source is shown without a click
    assert first.is_visible() and first.inner_text().startswith("来源：《") and "居住证" in first.inner_text()
    follow = ask(page, "要带什么材料？")
    assert "身份证" in follow.inner_text()
    page.reload()
    page.wait_for_selector(".govbot-msg.citizen")
    texts = page.locator(".govbot-msg").all_inner_texts()
    assert any("居住证怎么办理" in t for t in texts) and any("要带什么材料" in t for t in texts)
    assert page.locator(".govbot-sources").count() >= 2  # answers come back with their sources


def test_clarification_button_and_feedback(page):
    asked = ask(page, "小学一年级报名是什么时间？")
    buttons = asked.locator(".govbot-buttons button")
    assert buttons.count() >= 2
    title = buttons.first.inner_text()
    count = page.locator(".govbot-msg.bot").count()
    buttons.first.click()
    page.wait_for_function(f"document.querySelectorAll('.govbot-msg.bot').length > {count}")
    chosen = page.locator(".govbot-msg.bot").last
    assert chosen.locator(".govbot-sources").count() == 1
    assert title[:2] in chosen.inner_text() + chosen.locator(".govbot-sources").inner_text()
    assert page.locator(".govbot-buttons button").first.is_disabled()  # used: it cannot be pressed again
    chosen.locator(".govbot-feedback button", has_text="有用").click()
    page.wait_for_function("document.querySelector('.govbot-log').innerText.includes('感谢您的反馈')")
    page.reload()  # the transcript shows what the buttons said, never their payloads
    page.wait_for_selector(".govbot-msg.citizen")
    said = page.locator(".govbot-msg.citizen").all_inner_texts()
    assert title in said and "有用" in said and not any(t.startswith("/") for t in said), said


def test_citizen_markup_is_shown_as_text(page):
    ask(page, "<script>window.pwned=1</script><b>居住证</b>")
    assert page.evaluate("window.pwned === undefined")
    assert "<script>" in page.locator(".govbot-msg.citizen").last.inner_text()
    assert page.locator(".govbot-log b").count() == 0


def test_request_a_person(page):
    page.click(".govbot-human")
    page.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('人工')")
    assert page.locator(".govbot-human").is_disabled()
    # the waiting room talks: the place in the queue arrives without typing, and 留言 is a button
    page.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('预计等待约')", timeout=30000)
    assert page.locator(".govbot-buttons button", has_text="留言").first.is_visible()


EIGHT = ["居住证怎么办理？", "要带什么材料？", "公积金怎么提取", "社保卡丢了怎么补办", "护照怎么办", "办理时限多久", "在哪里办", "谢谢"]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}])
def test_after_eight_exchanges_the_input_and_the_newest_message_are_on_screen(browser, stack, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(stack["base"] + "/")
        page.wait_for_selector(".govbot-msg.bot")
        for question in EIGHT:
            ask(page, question)
        assert page.evaluate("window.scrollY") == 0  # the page itself never scrolled
        height = viewport["height"]
        box = page.locator(".govbot-form textarea").bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= height
        newest = page.locator(".govbot-msg").last.bounding_box()
        log = page.locator(".govbot-log").bounding_box()
        assert newest and newest["y"] >= log["y"] - 1 and newest["y"] + newest["height"] <= log["y"] + log["height"] + 1
    finally:
        context.close()


def test_the_page_works_under_its_content_security_policy(browser, stack):
    context = browser.new_context(locale="zh-CN")  # the CSP enforced: no script evaluation from the test
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    try:
        page.goto(stack["base"] + "/")
        page.wait_for_selector(".govbot-msg.bot")
        page.fill(".govbot-form textarea", "公积金怎么提取")
        page.press(".govbot-form textarea", "Enter")
        page.locator(".govbot-msg.bot").nth(1).wait_for(timeout=60000)
        assert "公积金" in page.locator(".govbot-msg.bot").nth(1).inner_text()
        assert violations == []
    finally:
        context.close()


def test_a_lapsed_or_forged_session_starts_a_new_one(page, stack):
    page.evaluate("localStorage.setItem('govbot.chat', JSON.stringify({id: 'web-forged0000000000000', token: 'guess'}))")
    page.reload()
    page.wait_for_selector(".govbot-msg.bot")  # the greeting: nothing of another conversation
    answer = ask(page, "居住证怎么办理？")
    assert "居住证" in answer.inner_text()
    stored = page.evaluate("JSON.parse(localStorage.getItem('govbot.chat'))")
    assert stored["id"] != "web-forged0000000000000" and len(stored["token"]) >= 43


def test_widget_embeds_with_one_script_tag(browser, stack, tmp_path):
    """A portal page served from another origin embeds the widget with one script tag."""
    import functools
    import http.server
    import threading

    (tmp_path / "portal.html").write_text(
        f'<html><head><meta charset="utf-8"></head><body><h1>示例市人民政府</h1>'
        f'<script src="{stack["base"]}/widget.js"></script></body></html>',
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    portal = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{portal.server_address[1]}/portal.html")
        page.click(".govbot-launcher")
        page.wait_for_selector(".govbot-floating .govbot-msg.bot")
        page.fill(".govbot-form textarea", "公积金怎么提取")
        page.press(".govbot-form textarea", "Enter")
        page.wait_for_function("document.querySelectorAll('.govbot-floating .govbot-msg.bot').length > 1", timeout=60000)
        assert "公积金" in page.locator(".govbot-floating .govbot-msg.bot").last.inner_text()
    finally:
        context.close()
        portal.shutdown()
