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

    # --- many replicas (issue 17, deploy/README.md) ---------------------------------------------
    # the state API replicas must agree on (event fan-out, WeChat dedupe and token, windows);
    # empty: this process's memory, right for one replica only (serve says so at start)
    redis_url: str = ""

    # --- dialogue (Rasa in .venv-rasa; its actions in the app venv) -----------------------------
    # a Rasa or action server run elsewhere (`govbot serve --only rasa|actions` on another
    # machine); empty: `serve` runs them as its children on loopback ports
    rasa_url: str = ""
    action_url: str = ""
    rasa_port: int = 5005
    # the API process hosts Rasa's action endpoint (/actions/webhook): one knowledge engine serves
    # both; false: a separate action server on `action_port` (`python -m actions.server`)
    host_actions: bool = True
    action_port: int = 5055
    rasa_timeout_s: float = 15.0
    # Rasa's HTTP API and the action endpoint answer only callers with this token (`serve` makes a
    # fresh one at every start when it is empty and hands it to its children)
    rasa_token: SecretStr = SecretStr("")
    # citizen turns one API process works on at once; beyond: 503 with Retry-After at once (about
    # what the machine answers within 5 s; bench/load.py measures it)
    max_pending_turns: int = 8
    rasa_bin: Path = Path(".venv-rasa/bin/rasa")
    rasa_model_cache: Path = default_model_dir().parent / "rasa-models"  # trained models, by content hash
    max_message_chars: int = 1000  # longer: a polite reply asking to shorten it (over 10,000: 422)
    # a follow-up is read in the service under discussion only if that was set this recently
    # (minutes between the answer that set it and the citizen's next message)
    context_minutes: float = 30.0

    # --- bounded work per request (api/guard.py, api/limits.py) ---------------------------------
    max_body_bytes: int = 64 * 1024  # any JSON or form body; imports have their own cap
    max_tracker_bytes: int = 8 * 1024 * 1024  # Rasa's calls to the action endpoint carry the tracker
    chat_session_idle_minutes: int = 120  # a web chat session lapses after this long without a turn
    chat_turns_per_minute_session: int = 30  # per chat session (429 with Retry-After beyond)
    chat_turns_per_minute_address: int = 300  # per client address, all sessions together

    # --- handoff to a person (govbot/conversations/queue.py) -----------------------------------
    office_hours: str = "00:00-24:00"  # when operators answer chats, e.g. "08:30-17:30"
    office_days: str = "1234567"  # ISO weekdays with office hours (1 = Monday)
    office_timezone: str = "Asia/Shanghai"
    claim_timeout_s: int = 300  # waiting longer than this, the citizen is offered to leave a message
    minutes_per_citizen: float = 3.0  # for the estimated wait: minutes per citizen ahead in the queue
    cors_origins: list[str] = ["*"]  # portals allowed to embed the chat widget
    https: bool = False
    # personal data (govbot/sealing.py): the vault's AES key (empty: $GOVBOT_HOME/vault.key, made
    # at first start, 0600) and how long a masked value's original is kept
    vault_key: SecretStr = SecretStr("")
    vault_retention_days: int = 7
    # staff accounts (govbot/accounts.py LoginPolicy): failed logins allowed per window, password strength
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    min_password_score: int = 3  # zxcvbn's estimate, 0 (guessed at once) to 4
    min_password_length: int = 10  # served over HTTPS (at a TLS proxy): HSTS and Secure cookies

    # --- WeChat official account (api/channels/wechat; empty token: the channel is off) ---------
    wechat_token: SecretStr = SecretStr("")
    wechat_aes_key: SecretStr = SecretStr("")  # EncodingAESKey (43 chars): compatible and secure modes
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr = SecretStr("")  # empty: passive replies only (no customer-service API)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_timeout_s: float = 3.5  # WeChat waits 5 s for a passive reply, network included
    wechat_max_chars: int = 600  # one WeChat text message (also capped at 2,048 UTF-8 bytes)

    @property
    def rasa_base(self) -> str:
        """Where the API finds Rasa: `rasa_url`, or the child `serve` runs."""
        return (self.rasa_url or f"http://127.0.0.1:{self.rasa_port}").rstrip("/")

    @property
    def action_base(self) -> str:
        """Where Rasa finds the actions: `action_url`, or the action server `serve` runs."""
        return (self.action_url or f"http://127.0.0.1:{self.action_port}").rstrip("/")

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
