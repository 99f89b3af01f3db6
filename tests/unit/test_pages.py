"""The citizens' and staff pages name the city and hotline of the settings, escaped for where they go."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from govbot.settings import Settings


def test_pages_and_widget_are_filled_from_settings(tmp_path):
    settings = Settings(home=tmp_path, city_name="北湖市<b>", hotline_number='12999"')
    client = TestClient(create_app(settings))  # no lifespan: the pages need only the settings
    index = client.get("/").text
    assert "<title>北湖市&lt;b&gt;12999&quot;政务服务智能助手</title>" in index
    widget = client.get("/widget.js")
    assert widget.headers["content-type"].startswith("application/javascript")
    assert 'var HOTLINE = "12999\\"";' in widget.text and 'var CITY = "北湖市<b>";' in widget.text
    console = client.get("/console")
    assert "12999&quot;热线坐席工作台" in console.text and console.headers["x-frame-options"] == "DENY"
    assert "如：北湖市&lt;b&gt;" in client.get("/admin").text
    for page in (index, widget.text, console.text):
        assert "{{" not in page and "示例市" not in page and "12345" not in page


STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
IMPORT = re.compile(r"""^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']""", re.M)
MODULE_TAG = re.compile(r'<script type="module" src="(/static/[^"]+)"></script>')


def _modules_reached(entry: Path) -> set[Path]:
    """Every module a page's entry imports, directly or not, as files (an unresolved import fails)."""
    seen, todo = set(), [entry]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        assert module.is_file(), f"{module} is imported but does not exist"
        seen.add(module)
        for match in IMPORT.finditer(module.read_text(encoding="utf-8")):
            target = match.group(1) or match.group(2)
            assert target.startswith("."), f"{module.name} imports {target}: only relative imports, no packages"
            todo.append((module.parent / target).resolve())
    return seen


def test_staff_pages_are_es_modules_under_their_folders_and_small(tmp_path):
    client = TestClient(create_app(Settings(home=tmp_path)))
    reached = set()
    for url, folder in (("/console", "console"), ("/admin", "admin")):
        html = client.get(url).text
        assert MODULE_TAG.findall(html) == [f"/static/{folder}/main.js"], "one module entry per page"
        assert "<script>" not in html and re.findall(r"<script", html) == ["<script"]
        modules = _modules_reached(STATIC / folder / "main.js")
        assert all(m.parent.name in (folder, "shared") for m in modules)
        reached |= modules
        for module in modules:
            served = client.get(f"/static/{module.parent.name}/{module.name}")
            assert served.status_code == 200 and served.headers["content-type"].startswith("application/javascript")
            assert served.headers["x-frame-options"] == "DENY"
    written = {p.resolve() for folder in ("console", "admin", "shared") for p in (STATIC / folder).glob("*.js")}
    assert written == reached, f"modules no page loads: {sorted(p.name for p in written - reached)}"
    for path in STATIC.rglob("*"):
        if path.suffix in (".js", ".css", ".html"):
            lines = path.read_text(encoding="utf-8").count("\n")
            assert lines <= 400, f"{path.relative_to(STATIC)} has {lines} lines (keep a file under about 400)"
            assert "innerHTML" not in path.read_text(encoding="utf-8") and "eval(" not in path.read_text(encoding="utf-8")


def test_static_route_serves_only_the_staff_folders(tmp_path):
    client = TestClient(create_app(Settings(home=tmp_path)))
    assert client.get("/static/shared/http.js").status_code == 200
    for url in (
        "/static/chat/widget.js",
        "/static/other/main.js",
        "/static/admin/nothing.js",
        "/static/admin/..%2fpages.py",
        "/static/admin/Main.js",
        "/console.js",
        "/admin.js",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/widget.js").status_code == 200 and client.get("/widget.css").headers["content-type"].startswith("text/css")
