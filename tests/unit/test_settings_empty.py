"""An empty optional setting (`GOVBOT_READER_DIR=`, `GOVBOT_ANSWER_THRESHOLD=`) means unset: the default."""

import pytest

from govbot.settings import Settings


def test_empty_optional_settings_mean_the_default(monkeypatch):
    monkeypatch.setenv("GOVBOT_READER_DIR", "")
    monkeypatch.setenv("GOVBOT_ANSWER_THRESHOLD", " ")
    settings = Settings()
    assert settings.reader_dir is None
    assert settings.answer_threshold is None


def test_set_optional_settings_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVBOT_READER_DIR", str(tmp_path))
    monkeypatch.setenv("GOVBOT_ANSWER_THRESHOLD", "0.7")
    settings = Settings()
    assert settings.reader_dir == tmp_path
    assert settings.answer_threshold == pytest.approx(0.7)


def test_a_threshold_that_is_not_a_number_is_still_an_error(monkeypatch):
    monkeypatch.setenv("GOVBOT_ANSWER_THRESHOLD", "high")
    with pytest.raises(ValueError, match="answer_threshold"):
        Settings()
