"""Stop sequences: text that could still become a stop sequence is held back, never emitted."""

from navllm.providers.local.stops import StopMatcher


def feed(stops, pieces):
    matcher = StopMatcher(stops)
    out = [matcher.push(p) for p in pieces]
    return out, matcher


def test_split_stop_sequence_is_never_emitted():
    out, matcher = feed(["\nUser:"], ["Hello", " there\n", "Us", "er:", " more"])
    assert out == ["Hello", " there", "", "", ""]
    assert matcher.stopped and matcher.flush() == ""


def test_a_false_start_is_released_when_it_stops_matching():
    out, matcher = feed(["END"], ["aE", "N", "x b"])
    assert out == ["a", "", "ENx b"]
    assert not matcher.stopped


def test_earliest_of_several_stops_wins_and_flush_returns_held_text():
    out, matcher = feed(["bb", "ab"], ["xabb", "more"])
    assert out == ["x", ""] and matcher.stopped
    out, matcher = feed(["stop"], ["the st"])
    assert out == ["the "] and matcher.flush() == "st"


def test_no_stops_passes_everything_through():
    out, matcher = feed([], ["a", "b"])
    assert out == ["a", "b"] and matcher.flush() == ""
