"""The router rebuilds a provider when a setting it was built with changes, and only then."""

from navllm.providers.router import Router
from navllm.settings import Settings


def test_a_tuning_change_rebuilds_the_provider_and_nothing_else_does():
    current = Settings(echo_enabled=True, providers=[])
    router = Router(lambda: current)
    first = router.chain()[0]
    assert router.chain()[0] is first

    current = current.model_copy(update={"history_enabled": True})
    assert router.chain()[0] is first  # unrelated setting: same instance, nothing reloaded

    current = current.model_copy(update={"echo_delay_ms": 250})
    rebuilt = router.chain()[0]
    assert rebuilt is not first
    assert rebuilt._delay == 0.25
