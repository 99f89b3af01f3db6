"""Staff accounts: failed logins are throttled per account and per address, weak passwords are refused."""

from __future__ import annotations

import pytest

from govbot.accounts import AccountError, Accounts, LoginPolicy, LoginThrottled


@pytest.fixture
def accounts(tmp_path):
    accounts = Accounts(f"sqlite:///{tmp_path / 'govbot.db'}", LoginPolicy(failures_per_account=5, failures_per_address=8))
    accounts.add_user("rv_a", "Reviewer-Hz7q-2026", "reviewer", "示例市民政局")
    accounts.add_user("rv_b", "Another-Qp4w-2026", "reviewer", "示例市民政局")
    return accounts


def test_ten_wrong_passwords_in_a_row_are_throttled(accounts):
    outcomes = []
    for _ in range(10):
        try:
            outcomes.append(accounts.login("rv_a", "wrong-password", ip="10.0.0.1"))
        except LoginThrottled as exc:
            outcomes.append(exc)
    assert outcomes[:5] == [None] * 5 and all(isinstance(o, LoginThrottled) for o in outcomes[5:])
    assert 1 <= outcomes[-1].retry_after <= 15 * 60 and "分钟后再试" in str(outcomes[-1])
    with pytest.raises(LoginThrottled):  # the right password does not open a throttled account either
        accounts.login("rv_a", "Reviewer-Hz7q-2026", ip="10.0.0.2")
    assert accounts.login("rv_b", "Another-Qp4w-2026", ip="10.0.0.2") is not None  # others are not locked out
    assert len(accounts.audit_log(action="login.throttled")) == 6


def test_an_address_trying_many_accounts_is_throttled(accounts):
    for n in range(8):
        assert accounts.login(f"nobody{n}", "whatever-123", ip="10.0.0.9") is None  # unknown names answer like wrong passwords
    with pytest.raises(LoginThrottled):
        accounts.login("rv_b", "Another-Qp4w-2026", ip="10.0.0.9")
    assert accounts.login("rv_b", "Another-Qp4w-2026", ip="10.0.0.10") is not None


def test_a_success_resets_the_account_count(accounts):
    for _ in range(4):
        accounts.login("rv_a", "wrong", ip="10.0.0.3")
    assert accounts.login("rv_a", "Reviewer-Hz7q-2026", ip="10.0.0.3") is not None
    for _ in range(4):
        assert accounts.login("rv_a", "wrong", ip="10.0.0.4") is None  # four more, not nine


@pytest.mark.parametrize("weak", ["short1!", "password123", "1234567890", "qwertyuiop", "zhangsan2024", "rv_new12345"])
def test_weak_passwords_are_refused_with_a_reason(accounts, weak):
    with pytest.raises(AccountError) as refused:
        accounts.add_user("rv_new", weak, "reviewer", "示例市民政局")
    assert "密码" in str(refused.value)


def test_an_admin_with_totp_needs_the_code(tmp_path):
    import pyotp

    from govbot.accounts import OtpRequired
    from govbot.sealing import Sealer

    accounts = Accounts(f"sqlite:///{tmp_path / 'govbot.db'}", sealer=Sealer(b"k" * 32))
    accounts.add_user("root1", "Admin-Hz7q-2026", "admin")
    accounts.add_user("op9", "Operator-Hz7q-2026", "operator", "示例市城市管理局")
    uri = accounts.enable_totp("root1")
    secret = pyotp.parse_uri(uri).secret
    with pytest.raises(OtpRequired):
        accounts.login("root1", "Admin-Hz7q-2026")
    assert accounts.login("root1", "wrong-password", otp="000000") is None  # no hint that a code is due
    assert accounts.login("root1", "Admin-Hz7q-2026", otp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111") is None
    assert accounts.login("root1", "Admin-Hz7q-2026", otp=pyotp.TOTP(secret).now()) is not None
    with pytest.raises(AccountError):
        accounts.enable_totp("op9")  # for admins and reviewers
    accounts.disable_totp("root1")
    assert accounts.login("root1", "Admin-Hz7q-2026") is not None
