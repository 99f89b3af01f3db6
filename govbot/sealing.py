"""Personal data at rest, sealed with AES-256-GCM (`cryptography`).

The key is the setting `vault_key` (32 bytes, URL-safe base64: `GOVBOT_VAULT_KEY`) or, without it,
`$GOVBOT_HOME/vault.key`, made at first use with mode 0600. Every replica must share the key; a lost
key makes the sealed values unreadable (they are short-lived: see `vault_retention_days`). A sealed
value is "v1:" + base64(nonce ‖ ciphertext ‖ tag); the conversation id is authenticated with it, so a
value copied to another conversation does not open.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class SealError(ValueError):
    pass


def load_key(setting: str, home: Path) -> bytes:
    """The vault key: from the setting, else from the key file (created, 0600, if missing)."""
    if setting:
        key = base64.urlsafe_b64decode(setting + "=" * (-len(setting) % 4))
    else:
        path = Path(home) / "vault.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as out:
                    out.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        key = base64.urlsafe_b64decode(path.read_text().strip())
    if len(key) != 32:
        raise SealError("vault_key 须为 32 字节（URL 安全的 base64 编码）")
    return key


def key_for(settings) -> bytes:
    """This installation's key (`vault_key`, or the key file under `home`)."""
    return load_key(settings.vault_key.get_secret_value(), settings.home)


def sealer_for(settings) -> Sealer:
    return Sealer(key_for(settings))


class Sealer:
    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    def seal(self, text: str, context: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, value: str, context: str) -> str:
        if not value.startswith(PREFIX):
            raise SealError("not a sealed value")
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
        except Exception as exc:  # InvalidTag: another key or another conversation
            raise SealError("cannot open the sealed value") from exc
