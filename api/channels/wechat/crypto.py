"""WeChat message encryption (compatible and secure modes), per the official spec.

key = base64decode(EncodingAESKey + "=") (32 bytes), IV = key[:16], AES-256-CBC, PKCS#7 padding
to a multiple of 32 bytes; plaintext = 16 random bytes + 4-byte big-endian length + message + AppId.
Decryption checks the padding, the length and the AppId. Callers verify `msg_signature` before
decrypting, so nobody without the token can use us as a padding oracle.

AES itself comes from the `cryptography` package. Without it the plaintext mode still works and
these classes raise `CryptoUnavailable` (logged at start-up when an AES key is configured).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # pragma: no cover - depends on the environment
    Cipher = None

BLOCK = 32  # WeChat pads to 32 bytes, not to AES's 16
MAX_CIPHERTEXT_BYTES = 64 * 1024


class CryptoError(ValueError):
    """The ciphertext is not a valid WeChat envelope for this account."""


class CryptoUnavailable(RuntimeError):
    """No AES implementation is installed (the `cryptography` package)."""


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    if not data or len(data) % 16:
        raise CryptoError("ciphertext length is not a multiple of the AES block")
    n = data[-1]
    if not 1 <= n <= block or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding")
    return data[:-n]


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise CryptoError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise CryptoError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CryptoError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypts replies and decrypts requests for one official account (AppId)."""

    def __init__(self, encoding_aes_key: str, app_id: str):
        if Cipher is None:
            raise CryptoUnavailable("加密模式需要 cryptography 软件包")
        if not app_id:
            raise CryptoError("AppId is required in compatible and secure modes")
        self.key = aes_key(encoding_aes_key)
        self.iv = self.key[:16]
        self.app_id = app_id

    def _cipher(self):
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv))

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        body = message.encode("utf-8")
        plain = pkcs7_pad(prefix + struct.pack(">I", len(body)) + body + self.app_id.encode("utf-8"))
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("Encrypt is not base64") from exc
        if not raw or len(raw) % 16 or len(raw) > MAX_CIPHERTEXT_BYTES:
            raise CryptoError("bad ciphertext length")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("bad message length")
        message, app_id = plain[20 : 20 + length], plain[20 + length :]
        if app_id != self.app_id.encode("utf-8"):
            raise CryptoError("the message is for another AppId")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CryptoError("the message is not UTF-8") from exc
