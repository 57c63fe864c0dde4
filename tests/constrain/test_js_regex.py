"""JavaScript RegExp syntax and flags re-emitted for llguidance: each JS-specific meaning kept."""

from __future__ import annotations

import pytest

from navllm.protocol.errors import ErrorName, NavError
from navllm.providers.local.constrain.js_regex import js_regex_to_rust

SPACE = r"\t\n\x{B}\x{C}\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"


@pytest.mark.parametrize(
    ("pattern", "flags", "rust"),
    [
        ("^(yes|no)$", "", "(?:yes|no)"),
        ("^yes$|^no$", "", "yes|no"),
        (r"\d\w", "", "[0-9][0-9A-Za-z_]"),  # ASCII digits and word characters, as in JS
        (r"\s\S", "", f"[{SPACE}][^{SPACE}]"),  # JS whitespace includes U+FEFF
        (r"[\d\s-]", "", rf"[0-9{SPACE}\-]"),
        (r"[\d-z]", "", r"[0-9\-z]"),  # Annex B: a class escape can't bound a range
        ("a.c", "", r"a[^\n\r\x{2028}\x{2029}]c"),  # '.' stops at every JS line terminator
        ("a.c", "s", "a(?s:.)c"),
        ("abc", "i", "(?i:abc)"),
        ("a+?b*?c??d{2,3}?", "", "a+b*c?d{2,3}"),  # laziness doesn't change what matches whole
        ("a{,2}{x}", "", r"a\{,2\}\{x\}"),  # braces that are not quantifiers are literals
        (r"\u00e9\x41\cJ\0", "", r"éA\x{A}\x{0}"),
        (r"\uD83D\uDE00", "", "😀"),  # a surrogate pair is one code point
        (r"\u{1F600}", "u", "😀"),
        (r"\u{41}", "", "u{41}"),  # without 'u', '\u{41}' is 'u' repeated 41 times
        (r"\p{Lu}", "u", r"\p{Lu}"),
        (r"\p{Lu}", "", "p\\{Lu\\}"),
        ("(?<year>\\d{4})", "", "(?:[0-9]{4})"),
        ("(?i:ab)c", "", "(?i:ab)c"),
        ("(?m:a)", "", "(?:a)"),
        ("[^]", "", "(?s:.)"),
        (r"[\b]", "", r"[\x{8}]"),
        (r"\/\.a#b~c&d", "", r"/\.a\#b\~c\&d"),
        ("[\\]^&~-]", "", "[\\]\\^\\&\\~\\-]"),
        ("x", "gdym", "x"),  # flags that change nothing about a whole match
    ],
)
def test_translation(pattern, flags, rust):
    assert js_regex_to_rust(pattern, flags) == rust


@pytest.mark.parametrize(
    ("pattern", "flags", "name", "says"),
    [
        ("a(?=b)", "", ErrorName.NOT_SUPPORTED, "lookaround"),
        ("a(?<=b)", "", ErrorName.NOT_SUPPORTED, "lookaround"),
        ("(a)\\1", "", ErrorName.NOT_SUPPORTED, "backreference"),
        ("\\bx", "", ErrorName.NOT_SUPPORTED, "word-boundary"),
        ("a^", "", ErrorName.NOT_SUPPORTED, "'^'"),
        ("(a$)b", "", ErrorName.NOT_SUPPORTED, "'$'"),
        ("(a$)+", "", ErrorName.NOT_SUPPORTED, "'$'"),
        ("[]", "", ErrorName.NOT_SUPPORTED, "empty character class"),
        ("\\uD800", "", ErrorName.NOT_SUPPORTED, "surrogate"),
        ("(?s:a)", "", ErrorName.NOT_SUPPORTED, "'s' flag"),
        ("a", "v", ErrorName.NOT_SUPPORTED, "'v' flag"),
        ("a", "x", ErrorName.SYNTAX, "flags"),
        ("a)", "", ErrorName.SYNTAX, "unmatched"),
        ("(a", "", ErrorName.SYNTAX, "unterminated"),
        ("[a", "", ErrorName.SYNTAX, "unterminated"),
        ("*a", "", ErrorName.SYNTAX, "nothing to repeat"),
        ("a\\", "", ErrorName.SYNTAX, "ends with"),
    ],
)
def test_refusals(pattern, flags, name, says):
    with pytest.raises(NavError) as caught:
        js_regex_to_rust(pattern, flags)
    assert caught.value.name == name and says in caught.value.message
