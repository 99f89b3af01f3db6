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
from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text, func, insert, or_, select, update

from govbot.database import ensure_schema
from govbot.sealing import Sealer, SealError
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
    Column("totp_secret", Text, nullable=True),  # sealed (govbot/sealing.py); NULL: no second factor
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
    Index("ix_audit_log_action_time", "action", "time"),
)


class AccountError(ValueError):
    """Bad account input (unknown role, weak password, duplicate name)."""


class OtpRequired(Exception):
    """The password was right; this account also needs its authenticator's one-time code."""


class LoginThrottled(Exception):
    """Too many failed logins for this account or from this address: wait `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"登录失败次数过多，请 {max(1, round(retry_after / 60))} 分钟后再试")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginPolicy:
    """Failed logins allowed within `window_minutes`, per account (since its last success) and per
    address; the weakest password accepted (zxcvbn's 0–4 score) and its shortest length."""

    failures_per_account: int = 5
    failures_per_address: int = 20
    window_minutes: int = 15
    min_password_score: int = 3
    min_password_length: int = 10


# zxcvbn's dictionaries are English: the words Chinese passwords are most often built from (pinyin
# surnames and given names, places, "I love you" and its number forms, 密码 in pinyin, this service)
CHINESE_PASSWORD_WORDS = (
    "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang han feng deng "
    "cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren shen yao jiang cui zhong tan "
    "zhangsan lisi wangwu zhaoliu wei jun hong ming hua jian ping ling yan fang xin jie tao qiang lei yun "
    "beijing shanghai guangzhou shenzhen zhongguo china woaini aini 5201314 1314520 521 1314 520 888888 666666 "
    "mima admin guanli zhengfu rexian 12345 govbot password"
).split()


def policy_of(settings) -> LoginPolicy:
    return LoginPolicy(
        settings.login_failures_per_account,
        settings.login_failures_per_address,
        settings.login_window_minutes,
        settings.min_password_score,
        settings.min_password_length,
    )


def password_problem(password: str, username: str, policy: LoginPolicy) -> str:
    """Why `password` is too weak, in Chinese ('' if it is not)."""
    if len(password) < policy.min_password_length:
        return f"密码至少需要{policy.min_password_length}个字符"
    from zxcvbn import zxcvbn  # loads its word lists: only when a password is set

    estimate = zxcvbn(password[:100], user_inputs=[username, *CHINESE_PASSWORD_WORDS])
    if estimate["score"] < policy.min_password_score:
        return "密码太容易被猜到：请避免常见词、用户名、键盘顺序和年份，可用几个不相关的词加数字和符号组成较长的密码"
    return ""


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to check an unknown user's password against: the same work as for a real one."""
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Accounts:
    def __init__(self, url: str, policy: LoginPolicy | None = None, sealer: Sealer | None = None):
        """`sealer`: the key that seals the accounts' TOTP secrets (without it, TOTP cannot be set up)."""
        ensure_schema(url)
        self.engine = open_engine(url)
        self.policy = policy or LoginPolicy()
        self.sealer = sealer

    def add_user(self, username: str, password: str, role: str, department: str = "", actor: str = "cli") -> User:
        if role not in ROLES:
            raise AccountError(f"未知角色“{role}”，可选：{'、'.join(ROLES)}")
        if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
            raise AccountError("用户名只能包含字母、数字、下划线和连字符（最多64个字符）")
        problem = password_problem(password, username, self.policy)
        if problem:
            raise AccountError(problem)
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

    def login(self, username: str, password: str, ip: str = "", otp: str | None = None) -> Session | None:
        """The session, or None for a wrong name or password (the same answer, in the same time);
        raises LoginThrottled after too many failures for the account or from the address, and
        OtpRequired when the password is right but the account's one-time code is missing."""
        self._throttle(username, ip)
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active.is_(True))).first()
        try:
            ok = _hasher.verify(row.password_hash if row is not None else _dummy_hash(), password) and row is not None
        except (VerifyMismatchError, InvalidHashError):
            ok = False
        if ok and row.totp_secret:
            if not otp:
                raise OtpRequired()
            ok = self._otp_ok(username, row.totp_secret, otp)
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

    # --- the second factor (TOTP, RFC 6238: any authenticator app) ---------------------------------
    TOTP_ROLES = ("admin", "reviewer")

    def enable_totp(self, username: str, actor: str = "cli") -> str:
        """A new TOTP secret for an admin or reviewer: the otpauth:// URI to scan (shown once)."""
        import pyotp

        if self.sealer is None:
            raise AccountError("缺少密钥，无法保存动态口令")
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise AccountError(f"用户“{username}”不存在")
        if row.role not in self.TOTP_ROLES:
            raise AccountError("动态口令用于管理员和审核人账号")
        secret = pyotp.random_base32()
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username).values(totp_secret=self.sealer.seal(secret, username)))
        self.record(actor, "user.totp", username, after={"totp": True})
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="govbot")

    def disable_totp(self, username: str, actor: str = "cli") -> None:
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username).values(totp_secret=None))
        self.record(actor, "user.totp", username, after={"totp": False})

    def _otp_ok(self, username: str, sealed: str, otp: str) -> bool:
        import pyotp

        if self.sealer is None:
            return False
        try:
            secret = self.sealer.open(sealed, username)
        except SealError:
            return False
        return pyotp.TOTP(secret).verify(otp.strip(), valid_window=1)

    def _throttle(self, username: str, ip: str) -> None:
        policy, now = self.policy, _now()
        start = now - timedelta(minutes=policy.window_minutes)
        failed = (audit.c.action == "login.failed", audit.c.time >= start)
        with self.engine.connect() as conn:
            last_ok = conn.execute(select(func.max(audit.c.time)).where(audit.c.action == "login", audit.c.target == username)).scalar()
            since = max(start, _aware(last_ok)) if last_ok else start
            mine = conn.execute(
                select(func.count(), func.min(audit.c.time)).where(
                    audit.c.action == "login.failed", audit.c.target == username, audit.c.time >= since
                )
            ).first()
            here = conn.execute(select(func.count(), func.min(audit.c.time)).where(*failed, audit.c.ip == ip)).first() if ip else (0, None)
        for (count, oldest), allowed in ((mine, policy.failures_per_account), (here, policy.failures_per_address)):
            if count >= allowed:
                retry = int((_aware(oldest) + timedelta(minutes=policy.window_minutes) - now).total_seconds()) + 1
                self.record(username or "?", "login.throttled", username, ip=ip)
                raise LoginThrottled(max(1, retry))

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
