"""Who is calling: WeChat's SHA-1 signatures over the callback's query string.

`signature` = SHA-1 of the lexicographically sorted [token, timestamp, nonce], concatenated;
`msg_signature` (compatible and secure modes) adds the request's `Encrypt` field to that list.
The plain `signature` does not cover the body, so a captured signed URL could be replayed with
another body: POSTs must also carry a timestamp close to our clock (see `fresh`).
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_PARAM_CHARS = 128  # timestamps, nonces and SHA-1 hex digests are far shorter
MAX_CLOCK_SKEW_S = 300  # WeChat's retries come within ~15 s; this only bounds replays


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _well_formed(*values: str | None) -> bool:
    return all(isinstance(v, str) and 0 < len(v) <= MAX_PARAM_CHARS for v in values)


def check_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None) -> bool:
    if not token or not _well_formed(signature, timestamp, nonce):
        return False
    return hmac.compare_digest(sha1_signature(token, timestamp, nonce), signature.lower())


def check_msg_signature(token: str, msg_signature: str | None, timestamp: str | None, nonce: str | None, encrypt: str) -> bool:
    if not token or not encrypt or not _well_formed(msg_signature, timestamp, nonce):
        return False
    return hmac.compare_digest(sha1_signature(token, timestamp, nonce, encrypt), msg_signature.lower())


def fresh(timestamp: str, now: float | None = None, skew_s: float = MAX_CLOCK_SKEW_S) -> bool:
    """The request's timestamp is within `skew_s` of our clock."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((time.time() if now is None else now) - sent) <= skew_s


def handshake(token: str, signature: str | None, timestamp: str | None, nonce: str | None, echostr: str | None) -> str | None:
    """The GET verification WeChat makes when the callback URL is configured: the echostr to
    send back, or None when the request is not WeChat's."""
    if not _well_formed(echostr) or not check_signature(token, signature, timestamp, nonce):
        return None
    return echostr
