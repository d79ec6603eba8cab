"""The API tests' callers (a signed-in session, an API key), shared with `api/tests`."""

from gongzhi.api.tests.conftest import as_key, as_user  # noqa: F401 - fixtures
