"""The vault of personal data: sealed at rest, opened only for its conversation, kept a few days."""

from __future__ import annotations

import stat
from datetime import timedelta

from sqlalchemy import select, update

from govbot.records import pii_vault, records_for
from govbot.sealing import load_key
from govbot.settings import Settings


def test_originals_are_sealed_opened_for_their_conversation_and_purged(tmp_path):
    settings = Settings(home=tmp_path)
    records = records_for(settings)
    key_file = tmp_path / "vault.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and load_key("", tmp_path) == load_key("", tmp_path)
    shown = records.remember_pii("web-a", "我的手机 138 1234 5678，身份证 110101 19900307 7578")
    assert shown == "我的手机 138****5678，身份证 110101********7578"
    with records.engine.connect() as conn:
        stored = [r.raw for r in conn.execute(select(pii_vault))]
    assert len(stored) == 2 and all(raw.startswith("v1:") and "5678" not in raw for raw in stored)
    assert records.reveal("web-a", "138****5678") == "138 1234 5678"
    assert records.reveal("web-b", "138****5678") == ""  # another conversation's
    raw_db = (tmp_path / "govbot.db").read_bytes()
    assert b"12345678" not in raw_db and b"19900307" not in raw_db
    with records.engine.begin() as conn:
        conn.execute(update(pii_vault).values(created_at=pii_vault.c.created_at - timedelta(days=settings.vault_retention_days + 1)))
    assert records.reveal("web-a", "138****5678") == ""  # too old to use
    records.remember_pii("web-c", "电话13912345678")
    with records.engine.connect() as conn:
        assert [r.conversation_id for r in conn.execute(select(pii_vault))] == ["web-c"]  # the old ones are gone
