"""The production settings that the test run overrides or cannot see from requests."""

from gongzhi import settings as production


def test_passwords_are_hashed_with_argon2():
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_accounts_lock_after_five_failed_logins():
    assert production.AXES_FAILURE_LIMIT == 5
    assert production.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_sessions_expire_after_thirty_idle_minutes():
    assert production.SESSION_COOKIE_AGE == 30 * 60
    assert production.SESSION_SAVE_EVERY_REQUEST is True


def test_second_factor_middleware_runs_after_authentication():
    order = production.MIDDLEWARE
    assert order.index("django_otp.middleware.OTPMiddleware") > order.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert order.index("gongzhi.accounts.middleware.SecondFactorMiddleware") > order.index(
        "django_otp.middleware.OTPMiddleware"
    )
