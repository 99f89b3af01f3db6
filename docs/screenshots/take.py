"""Screenshots for the docs, taken from the real stack over the sample knowledge base.

    .venv/bin/python docs/screenshots/take.py

A temporary GOVBOT_HOME gets `govbot load-sample`, `govbot serve` runs on free ports (the same steps
as the tests' `sample_home` and `served` fixtures, which this reuses), staff accounts are added with
`govbot user add`, and Debian's Chromium (driven by Playwright) writes the PNGs next to this file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, password, run_cli, served  # noqa: E402

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ADMIN = {"width": 1280, "height": 720}  # the items table is dense: a shorter page keeps the PNG small
SLOW = 120000  # the first replies after a cold start can be slow
OPERATOR, POLICY = "zuoxi01", "zhengce01"


def ask(page, text: str):
    """The citizen types a question and presses Enter; returns the bot's reply box."""
    count = page.locator(".govbot-msg.bot").count()
    page.fill(".govbot-form textarea", text)
    page.press(".govbot-form textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.govbot-msg.bot').length > {count}", timeout=SLOW)
    return page.locator(".govbot-msg.bot").last


def shoot(page, name: str) -> None:
    path = HERE / name
    page.screenshot(path=str(path), type="png", animations="disabled")
    print(f"{path.relative_to(REPO)}  {path.stat().st_size // 1024} KB")


def add_staff(home: Path) -> None:
    for name, role, department in [(OPERATOR, "supervisor", ""), (POLICY, "admin", "")]:
        args = ["user", "add", name, "--role", role, "--password", password(name)]
        result = run_cli(home, *(args + (["--department", department] if department else [])))
        assert result.returncode == 0, result.stderr


def flag_a_gap(base: str) -> None:
    """An operator reports a question the knowledge base cannot answer: the gaps view has something to show."""
    operator = httpx.post(f"{base}/api/operator/login", json={"username": OPERATOR, "password": password(OPERATOR)})
    for question, note in [("老年人助餐卡丢了怎么补办？", "本周多位市民来电询问"), ("助餐卡丢失了去哪里补办", "")]:
        reply = httpx.post(
            f"{base}/api/operator/flags",
            headers={"Authorization": f"Bearer {operator.json()['token']}"},
            json={"question": question, "kind": "missing", "note": note},
        )
        assert reply.status_code == 200, reply.text


def log_in(page, base: str, path: str, name: str, shown: str) -> None:
    page.goto(base + path)
    page.fill("#login-user", name)
    page.fill("#login-pass", password(name))
    page.click("#login-submit")
    expect(page.locator(shown)).to_be_visible()


def take(browser, base: str) -> None:
    # the citizen on a phone: a clarifying question with buttons, then an answer with its source
    citizen_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True, device_scale_factor=1)
    citizen = citizen_ctx.new_page()
    citizen.goto(base + "/")
    citizen.wait_for_selector(".govbot-msg.bot")
    ask(citizen, "小学一年级报名是什么时间？")
    ask(citizen, "居住证怎么办理？")
    shoot(citizen, "chat-phone.png")
    citizen.set_viewport_size(DESKTOP)
    shoot(citizen, "chat-desktop.png")
    citizen.set_viewport_size(PHONE)
    # 转人工: the waiting room
    citizen.click(".govbot-human")
    citizen.wait_for_function("document.querySelector('.govbot-notice').innerText.includes('人工')", timeout=SLOW)
    shoot(citizen, "chat-waiting.png")
    sid = citizen.evaluate("JSON.parse(localStorage.getItem('govbot.chat')).id")

    # the operator opens the waiting conversation and asks agent assist
    ops_ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    ops = ops_ctx.new_page()
    log_in(ops, base, "/console", OPERATOR, "#chat-view")
    ops.locator(".gc-queue-item", has_text=sid).click(timeout=10000)
    ops.wait_for_function("document.querySelector('#pk-summary').innerText.includes('市民')")
    ops.fill("#assist-text", "居住证要带什么材料")
    ops.click("#assist-submit")
    ops.wait_for_selector("#chat-view .gc-suggestion")
    shoot(ops, "console.png")

    # the policy owners: the items list and the knowledge gaps
    flag_a_gap(base)
    admin_ctx = browser.new_context(viewport=ADMIN, locale="zh-CN", bypass_csp=True)
    admin = admin_ctx.new_page()
    log_in(admin, base, "/admin", POLICY, "#app")
    admin.goto(base + "/admin#items")
    admin.select_option("#f-kind", "qa")  # the Q&As: what the policy owners write most
    admin.click("#f-search")
    expect(admin.locator("#items-body tr").first).to_contain_text("政策问答")
    admin.locator("#f-search").blur()  # no focus ring in the picture
    shoot(admin, "admin-items.png")
    admin.goto(base + "/admin#gaps")
    expect(admin.locator("[data-testid=gaps-list] > li").first).to_be_visible()
    shoot(admin, "admin-gaps.png")
    for context in (citizen_ctx, ops_ctx, admin_ctx):
        context.close()


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="govbot-screens-"))
    try:
        loaded = run_cli(home, "load-sample")
        assert loaded.returncode == 0, loaded.stderr
        add_staff(home)
        with served(home) as stack, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                take(browser, stack["base"])
            finally:
                browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
