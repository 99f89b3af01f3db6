"""Staff accounts, login sessions and the audit log.

Roles: operator and supervisor (the hotline), editor, reviewer and admin (policy owners).
Passwords are hashed with Argon2id. A login gives a session token, usable as a cookie (then
unsafe requests must echo the CSRF token in `X-CSRF-Token`) or as a bearer token (exempt).
The audit log is append-only: rows are inserted, never updated or deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Table, Text, func, insert, or_, select, update

from govbot.database import ensure_schema
from knowledge.pii import mask
from knowledge.store.schema import metadata
from knowledge.store.sql import open_engine

ROLES = ("operator", "supervisor", "editor", "reviewer", "admin")
SESSION_HOURS = 12
_hasher = PasswordHasher()

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("department", String(100), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
sessions = Table(
    "sessions",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
audit = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("before", JSON),
    Column("after", JSON),
    Column("note", Text, nullable=False, default=""),
)


class AccountError(ValueError):
    """Bad account input (unknown role, weak password, duplicate name)."""


@dataclass
class User:
    username: str
    role: str
    department: str

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "department": self.department}


@dataclass
class Session:
    token: str
    csrf: str
    user: User


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Accounts:
    def __init__(self, url: str):
        ensure_schema(url)
        self.engine = open_engine(url)

    def add_user(self, username: str, password: str, role: str, department: str = "", actor: str = "cli") -> User:
        if role not in ROLES:
            raise AccountError(f"未知角色“{role}”，可选：{'、'.join(ROLES)}")
        if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
            raise AccountError("用户名只能包含字母、数字、下划线和连字符（最多64个字符）")
        if len(password) < 8:
            raise AccountError("密码至少需要8个字符")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.username).where(users.c.username == username)).first():
                raise AccountError(f"用户“{username}”已存在")
            conn.execute(
                insert(users).values(
                    username=username,
                    password_hash=_hasher.hash(password),
                    role=role,
                    department=department,
                    active=True,
                    created_at=_now(),
                )
            )
        user = User(username, role, department)
        self.record(actor, "user.add", username, after=user.public())
        return user

    def login(self, username: str, password: str, ip: str = "") -> Session | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active.is_(True))).first()
        try:
            ok = row is not None and _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            ok = False
        if not ok:
            self.record(username or "?", "login.failed", username, ip=ip)
            return None
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(24), User(row.username, row.role, row.department))
        with self.engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    token=session.token, username=username, csrf=session.csrf, expires_at=_now() + timedelta(hours=SESSION_HOURS)
                )
            )
        self.record(username, "login", username, ip=ip)
        return session

    def session(self, token: str) -> Session | None:
        query = (
            select(sessions, users.c.role, users.c.department)
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token == token, users.c.active.is_(True))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at.replace(tzinfo=row.expires_at.tzinfo or timezone.utc) < _now():
            return None
        return Session(row.token, row.csrf, User(row.username, row.role, row.department))

    def logout(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.token == token).values(expires_at=_now()))

    def record(self, actor: str, action: str, target: str = "", *, ip: str = "", before=None, after=None, note: str = "") -> None:
        """Append one audit row (personal data in notes is masked)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit).values(
                    time=_now(), actor=actor, action=action, target=target, ip=ip, before=before, after=after, note=mask(note)
                )
            )

    def audit_log(self, actor: str | None = None, action: str | None = None, limit: int = 500) -> list[dict]:
        return self.search_audit(actor=actor, action=action, limit=limit)[0]

    def search_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        text: str = "",
        since: date | datetime | None = None,
        until: date | None = None,
        actors: list[str] | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> tuple[list[dict], int]:
        """Newest first; `action` matches a prefix (item. → every item action); `since` is a day (UTC) or a
        moment; `until` is an inclusive day."""
        conditions = []
        if actor:
            conditions.append(audit.c.actor == actor)
        if actors is not None:
            conditions.append(audit.c.actor.in_(actors))
        if action:
            conditions.append(audit.c.action.like(f"{action}%"))
        if target:
            conditions.append(audit.c.target == target)
        if since:
            start = since if isinstance(since, datetime) else datetime.combine(since, time.min, timezone.utc)
            conditions.append(audit.c.time >= start)
        if until:
            conditions.append(audit.c.time < datetime.combine(until + timedelta(days=1), time.min, timezone.utc))
        for word in text.split():
            pattern = f"%{word}%"
            conditions.append(
                or_(audit.c.target.like(pattern), audit.c.note.like(pattern), audit.c.action.like(pattern), audit.c.actor.like(pattern))
            )
        query = select(audit).where(*conditions).order_by(audit.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(audit).where(*conditions)).scalar()
            rows = [{**dict(r._mapping), "time": r.time.isoformat()} for r in conn.execute(query)]
        return rows, total

    def usernames(self, department: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users.c.username).where(users.c.department == department)).scalars())
