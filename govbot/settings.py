"""All of govbot's settings in one place.

Values come from (highest first): keyword arguments, environment variables `GOVBOT_*`,
the TOML settings file (`$GOVBOT_SETTINGS_FILE`, default `$GOVBOT_HOME/settings.toml`),
then the defaults below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from knowledge.settings import KnowledgeSettings, default_model_dir


def _default_home() -> Path:
    return Path(os.environ.get("GOVBOT_HOME", "./var"))


def _settings_file() -> Path:
    return Path(os.environ.get("GOVBOT_SETTINGS_FILE", _default_home() / "settings.toml"))


class Settings(KnowledgeSettings, BaseSettings):
    """The knowledge library's settings (`knowledge.settings.KnowledgeSettings`: state, retrieval,
    answering, the LLM composer) and the rest of govbot's."""

    model_config = SettingsConfigDict(env_prefix="GOVBOT_", extra="ignore")

    # --- dialogue (Rasa in .venv-rasa; its actions in the app venv) -----------------------------
    rasa_port: int = 5005
    # the API process hosts Rasa's action endpoint (/actions/webhook): one knowledge engine serves
    # both; false: a separate action server on `action_port` (`python -m actions.server`)
    host_actions: bool = True
    action_port: int = 5055
    rasa_timeout_s: float = 15.0
    rasa_bin: Path = Path(".venv-rasa/bin/rasa")
    rasa_model_cache: Path = default_model_dir().parent / "rasa-models"  # trained models, by content hash
    max_message_chars: int = 1000

    # --- handoff to a person (govbot/conversations/queue.py) -----------------------------------
    office_hours: str = "00:00-24:00"  # when operators answer chats, e.g. "08:30-17:30"
    office_days: str = "1234567"  # ISO weekdays with office hours (1 = Monday)
    office_timezone: str = "Asia/Shanghai"
    claim_timeout_s: int = 300  # waiting longer than this, the citizen is offered to leave a message
    minutes_per_citizen: float = 3.0  # for the estimated wait: minutes per citizen ahead in the queue
    cors_origins: list[str] = ["*"]  # portals allowed to embed the chat widget

    # --- WeChat official account (api/channels/wechat; empty token: the channel is off) ---------
    wechat_token: SecretStr = SecretStr("")
    wechat_aes_key: SecretStr = SecretStr("")  # EncodingAESKey (43 chars): compatible and secure modes
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr = SecretStr("")  # empty: passive replies only (no customer-service API)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_timeout_s: float = 3.5  # WeChat waits 5 s for a passive reply, network included
    wechat_max_chars: int = 600  # one WeChat text message (also capped at 2,048 UTF-8 bytes)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ):
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_settings_file())

    def ensure_dirs(self) -> "Settings":
        for path in (self.home, self.index_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
