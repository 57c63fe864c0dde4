"""Fixtures for key store tests: a real Secret Service on a private bus, and no access to the user's own."""

from tests.support.secret_service import no_os_keychain, secret_service  # noqa: F401 - pytest fixtures
