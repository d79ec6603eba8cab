"""The production settings that the test run overrides or cannot see from requests."""

from gongzhi import settings as production


def test_passwords_are_hashed_with_argon2():
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_wrong_passwords_meet_growing_delays_after_five():
    assert production.GONGZHI_SIGN_IN_FREE_FAILURES == 5
    assert production.GONGZHI_SIGN_IN_DELAY_SECONDS == 60
    assert production.GONGZHI_SIGN_IN_MAX_DELAY_SECONDS == 3600


def test_sessions_end_twelve_hours_after_sign_in():
    assert production.GONGZHI_SESSION_MAX_AGE_SECONDS == 12 * 3600
    assert "gongzhi.accounts.middleware.SessionLifetimeMiddleware" in production.MIDDLEWARE


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
