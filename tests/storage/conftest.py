"""Storage tests run the real host with no OS keychain, so keys go to navllm's vault."""

from tests.support.secret_service import no_os_keychain  # noqa: F401 - pytest fixture
