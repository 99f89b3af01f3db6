"""The citizens' and staff pages name the city and hotline of the settings, escaped for where they go."""

from __future__ import annotations

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
