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


@pytest.fixture
def portal(stack, tmp_path):
    """A portal page, served from another origin, that embeds the widget with one script tag: its address."""
    import functools
    import http.server
    import threading

    (tmp_path / "portal.html").write_text(
        f'<html><head><meta charset="utf-8"></head><body><h1>示例市人民政府</h1>'
        f'<script src="{stack["base"]}/widget.js"></script></body></html>',
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/portal.html"
    server.shutdown()


def test_widget_embeds_with_one_script_tag(browser, portal):
    """A portal page served from another origin embeds the widget with one script tag."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(portal)
        page.click(".govbot-launcher")
        page.wait_for_selector(".govbot-floating .govbot-msg.bot")
        page.fill(".govbot-form textarea", "公积金怎么提取")
        page.press(".govbot-form textarea", "Enter")
        page.wait_for_function("document.querySelectorAll('.govbot-floating .govbot-msg.bot').length > 1", timeout=60000)
        assert "公积金" in page.locator(".govbot-floating .govbot-msg.bot").last.inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}])
def test_the_floating_widget_keeps_its_input_on_screen_and_wraps_long_answers(browser, portal, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(portal)
        page.click(".govbot-launcher")
        page.wait_for_selector(".govbot-floating .govbot-msg.bot")
        for question in EIGHT[:5]:
            ask(page, question)
        ask(page, "请问" + "居住证" * 40 + "https://www.example.gov.cn/" + "a" * 120)  # one long unbroken line
        for selector in (".govbot-floating", ".govbot-floating textarea", ".govbot-floating .govbot-header"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0, selector
            assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"], selector
        log = page.locator(".govbot-floating .govbot-log")
        assert log.evaluate("n => n.scrollHeight > n.clientHeight")  # the transcript scrolls, not the panel
        assert log.evaluate("n => n.scrollWidth <= n.clientWidth")  # nothing wider than the panel
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_a_clarifying_question_is_labelled_and_stays_so_after_reload(page):
    asked = ask(page, "小学一年级报名是什么时间？")
    assert "clarify" in asked.get_attribute("class") and asked.locator(".govbot-buttons button").count() >= 2
    label = asked.locator(".govbot-label")
    assert label.is_visible() and label.inner_text() == "需要您确认"
    assert asked.inner_text().startswith("需要您确认")  # text a screen reader reads first, not a picture
    assert asked.locator(".govbot-feedback").count() == 0  # a question back, not an answer to rate
    greeting = page.locator(".govbot-msg.bot").first
    style = "n => getComputedStyle(n).backgroundColor + getComputedStyle(n).borderLeftColor"
    assert asked.evaluate(style) != greeting.evaluate(style)  # it looks unlike a confident answer
    page.reload()
    page.wait_for_selector(".govbot-msg.citizen")
    again = page.locator(".govbot-msg.bot.clarify")
    assert again.count() == 1 and again.locator(".govbot-label").inner_text() == "需要您确认"


def test_every_answered_reply_can_be_rated(page):
    with page.expect_response(lambda r: r.url.endswith("/api/chat") and r.request.method == "POST") as response:
        answer = ask(page, "公积金怎么提取")
    replies = response.value.json()["replies"]
    assert replies[0]["answer_status"] == "answered"
    bar = answer.locator(".govbot-feedback")
    assert bar.is_visible() and bar.locator("button", has_text="有用").is_visible() and bar.locator("button", has_text="没用").is_visible()
    bar.locator("button", has_text="没用").click()
    page.wait_for_function("document.querySelector('.govbot-log').innerText.includes('您的反馈我们已记录')")
    assert answer.locator(".govbot-feedback").count() == 0  # rated once


def test_a_new_conversation_forgets_the_old_one(page):
    ask(page, "居住证怎么办理？")
    first = page.evaluate("JSON.parse(localStorage.getItem('govbot.chat')).id")
    page.click(".govbot-new")
    assert page.locator(".govbot-msg").count() == 1 and page.locator(".govbot-msg.citizen").count() == 0
    assert page.locator(".govbot-msg.bot").inner_text().startswith("您好")  # greeted again
    assert page.evaluate("localStorage.getItem('govbot.chat')") is None
    answer = ask(page, "公积金怎么提取")
    assert "公积金" in answer.inner_text()
    second = page.evaluate("JSON.parse(localStorage.getItem('govbot.chat')).id")
    assert second and second != first
    page.reload()  # the new session's transcript has nothing of the old one
    page.wait_for_selector(".govbot-msg.citizen")
    assert page.locator(".govbot-msg.citizen").all_inner_texts() == ["公积金怎么提取"]


def test_no_new_conversation_while_waiting_for_a_person(page):
    assert page.locator(".govbot-new").is_enabled()
    page.click(".govbot-human")
    page.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('人工')")
    fresh = page.locator(".govbot-new")
    assert fresh.is_disabled() and "排队" in fresh.get_attribute("title")


def test_the_character_counter_appears_from_800_characters(page):
    counter = page.locator(".govbot-count")
    assert counter.get_attribute("aria-live") == "polite"
    page.fill(".govbot-form textarea", "字" * 799)
    assert not counter.is_visible() and counter.inner_text() == ""
    page.fill(".govbot-form textarea", "字" * 856)
    assert counter.is_visible() and counter.inner_text() == "856/1000" and "full" not in counter.get_attribute("class")
    page.fill(".govbot-form textarea", "字" * 1200)  # the textarea keeps 1000
    assert counter.inner_text().startswith("1000/1000") and "full" in counter.get_attribute("class")
    textarea = page.locator(".govbot-form textarea").bounding_box()
    assert textarea and textarea["y"] + textarea["height"] <= 800  # the counter does not push the input off screen
