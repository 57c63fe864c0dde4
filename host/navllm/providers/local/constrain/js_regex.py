"""A page's RegExp (ECMAScript syntax and flags) rewritten for llguidance's regex dialect.

llguidance speaks the Rust ``regex`` crate's syntax, which differs from JavaScript in what
``.``, ``\\d``, ``\\w``, ``\\s`` and ``\\uXXXX`` mean and in which characters need escaping, so
the pattern is re-emitted term by term rather than passed through. A constraint must match the
whole output, so ``^`` and ``$`` are accepted where they anchor the pattern's ends and dropped;
features no token mask can express (lookaround, backreferences, word boundaries) and the ``v``
flag raise NotSupportedError naming them.

Two rare differences remain: matching is by code point, as with the ``u`` flag (without it
JavaScript counts a character outside the BMP as two, so ``/^.$/`` rejects an emoji), and ``i``
folds case the Unicode way (so ``/s/i`` also takes the long s, which JavaScript's ``i``
without ``u`` does not).
"""

from __future__ import annotations

from ....protocol.errors import ErrorName, NavError

# Characters the Rust regex crate treats as syntax (escaped when meant literally).
_META = set("\\.+*?()|[]{}^$#&-~")
_JS_FLAGS = set("dgimsuyv")
# ECMAScript WhiteSpace and LineTerminator: what \s means in JavaScript.
_SPACE = r"\t\n\x{B}\x{C}\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"
_CLASS_ESCAPES = {"d": "0-9", "w": "0-9A-Za-z_", "s": _SPACE}
_CONTROL = {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}
_LINE_ENDS = r"[^\n\r\x{2028}\x{2029}]"


def js_regex_to_rust(pattern: str, flags: str = "") -> str:
    """The Rust-syntax regex matching exactly the strings the JS RegExp matches whole."""
    for flag in flags:
        if flag not in _JS_FLAGS or flags.count(flag) > 1:
            raise NavError(ErrorName.SYNTAX, f"invalid regular expression flags {flags!r}")
    if "v" in flags:
        raise NavError(ErrorName.NOT_SUPPORTED, "the RegExp 'v' flag (set notation) is not supported in a response constraint")
    body = _Translator(pattern, dot_all="s" in flags, unicode="u" in flags).translate()
    return f"(?i:{body})" if "i" in flags else body


def _unsupported(what: str) -> NavError:
    return NavError(ErrorName.NOT_SUPPORTED, f"{what} is not supported in a RegExp response constraint")


def _literal(code: int, in_class: bool = False) -> str:
    char = chr(code)
    if char in _META or (in_class and char == "^"):
        return "\\" + char
    if char.isprintable():
        return char
    return f"\\x{{{code:X}}}"


class _Translator:
    def __init__(self, pattern: str, *, dot_all: bool, unicode: bool):
        self.src = pattern
        self.pos = 0
        self.dot_all = dot_all
        self.unicode = unicode

    def translate(self) -> str:
        out, _ = self._disjunction(at_start=True)
        if self.pos < len(self.src):  # only an unmatched ')' stops the top level early
            raise NavError(ErrorName.SYNTAX, f"unmatched ')' in regular expression /{self.src}/")
        return out

    # --- structure -----------------------------------------------------------------------

    def _peek(self, n: int = 1) -> str:
        return self.src[self.pos : self.pos + n]

    def _disjunction(self, at_start: bool) -> tuple[str, bool]:
        """Alternatives up to ')' or the end; also whether any of them ended with ``$``."""
        parts, ended = [], False
        while True:
            text, alt_ended = self._alternative(at_start)
            parts.append(text)
            ended |= alt_ended
            if self._peek() != "|":
                return "|".join(parts), ended
            self.pos += 1

    def _alternative(self, at_start: bool) -> tuple[str, bool]:
        out: list[str] = []
        consumed = not at_start  # has anything that matches characters come before?
        ended = False
        while self.pos < len(self.src) and self._peek() not in ("|", ")"):
            char = self._peek()
            if char == "^":
                self.pos += 1
                if consumed:
                    raise _unsupported("'^' anywhere but at the start")
                continue
            if char == "$":
                self.pos += 1
                ended = True
                continue
            if ended:
                raise _unsupported("'$' anywhere but at the end")
            atom, atom_ended = self._atom(at_start=not consumed)
            quantifier = self._quantifier()
            if atom_ended and (quantifier or self._continues()):
                raise _unsupported("'$' anywhere but at the end")
            ended = atom_ended
            out.append(atom + quantifier)
            consumed = True
        return "".join(out), ended

    def _continues(self) -> bool:
        return self.pos < len(self.src) and self._peek() not in ("|", ")", "$")

    def _quantifier(self) -> str:
        char = self._peek()
        if char in ("*", "+", "?"):
            self.pos += 1
            quantifier = char
        elif char == "{" and (braces := self._braces()):
            quantifier = braces
        else:
            return ""
        if self._peek() == "?":  # laziness changes which match is found, not whether one exists
            self.pos += 1
        return quantifier

    def _braces(self) -> str:
        """``{n}``, ``{n,}`` or ``{n,m}`` at the cursor (consumed), else '' (a literal brace)."""
        end = self.src.find("}", self.pos)
        inner = self.src[self.pos + 1 : end] if end > 0 else ""
        low, _, high = inner.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            return ""
        self.pos = end + 1
        return "{" + inner + "}"

    def _atom(self, at_start: bool) -> tuple[str, bool]:
        char = self._peek()
        if char == "(":
            return self._group(at_start)
        if char in ("*", "+", "?") or (char == "{" and self._braces()):
            raise NavError(ErrorName.SYNTAX, f"nothing to repeat in regular expression /{self.src}/")
        self.pos += 1
        if char == ".":
            return ("(?s:.)" if self.dot_all else _LINE_ENDS), False
        if char == "[":
            return self._class(), False
        if char == "\\":
            return self._escape(), False
        return _literal(ord(char)), False

    def _group(self, at_start: bool) -> tuple[str, bool]:
        self.pos += 1
        prefix = "(?:"
        if self._peek() == "?":
            head = self._peek(3)
            if head[:2] in ("?=", "?!") or head in ("?<=", "?<!"):
                raise _unsupported("lookaround ('(?=', '(?!', '(?<=', '(?<!')")
            if head[:2] == "?:":
                self.pos += 2
            elif head[:2] == "?<":
                end = self.src.find(">", self.pos)
                if end < 0:
                    raise NavError(ErrorName.SYNTAX, f"invalid group name in regular expression /{self.src}/")
                self.pos = end + 1
            else:
                prefix = self._modifiers()
        body, ended = self._disjunction(at_start)
        if self._peek() != ")":
            raise NavError(ErrorName.SYNTAX, f"unterminated group in regular expression /{self.src}/")
        self.pos += 1
        return prefix + body + ")", ended

    def _modifiers(self) -> str:
        """ES2025 ``(?ims-ims:...)``; ``m`` is moot when the whole output must match."""
        end = self.src.find(":", self.pos)
        spec = self.src[self.pos + 1 : end] if end > 0 else ""
        on, _, off = spec.partition("-")
        if end < 0 or not set(on + off) <= set("ims"):
            raise NavError(ErrorName.SYNTAX, f"invalid group in regular expression /{self.src}/")
        if "s" in on + off:
            raise _unsupported("a group that switches the 's' flag")
        self.pos = end + 1
        rust = on.replace("m", "") + ("-" + off.replace("m", "") if off.replace("m", "") else "")
        return f"(?{rust}:" if rust else "(?:"

    # --- escapes and classes ---------------------------------------------------------------

    def _escape(self, in_class: bool = False) -> str:
        if self.pos >= len(self.src):
            raise NavError(ErrorName.SYNTAX, f"regular expression /{self.src}/ ends with '\\'")
        char = self._peek()
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char] if in_class else f"[{_CLASS_ESCAPES[char]}]"
        if char.lower() in _CLASS_ESCAPES:
            return f"[^{_CLASS_ESCAPES[char.lower()]}]"
        if char == "b" and in_class:
            return _literal(0x08, in_class)
        if char in ("b", "B"):
            raise _unsupported(f"the word-boundary assertion '\\{char}'")
        if char in "123456789":
            raise _unsupported(f"the backreference '\\{char}'")
        if char == "0" and self._peek().isdigit():
            raise _unsupported("a legacy octal escape")
        if char == "k" and (self.unicode or "(?<" in self.src):
            raise _unsupported("the named backreference '\\k'")
        if char in ("p", "P") and self.unicode:
            end = self.src.find("}", self.pos)
            if self._peek() != "{" or end < 0:
                raise NavError(ErrorName.SYNTAX, f"invalid property escape in regular expression /{self.src}/")
            prop = self.src[self.pos : end + 1]
            self.pos = end + 1
            return f"\\{char}{prop}"
        return _literal(self._escaped_code(char), in_class)

    def _escaped_code(self, char: str) -> int:
        """The code point of a character escape whose letter ``char`` was just consumed."""
        if char in _CONTROL:
            return _CONTROL[char]
        if char == "0":
            return 0
        if char == "c" and self._peek().isascii() and self._peek().isalpha():
            self.pos += 1
            return ord(self.src[self.pos - 1]) % 32
        if char == "x" and _is_hex(self._peek(2), 2):
            self.pos += 2
            return int(self.src[self.pos - 2 : self.pos], 16)
        if char == "u":
            return self._unicode_escape()
        return ord(char)  # an identity escape: '\/', '\.', and (outside unicode mode) '\q' == 'q'

    def _unicode_escape(self) -> int:
        if self.unicode and self._peek() == "{":
            end = self.src.find("}", self.pos)
            digits = self.src[self.pos + 1 : end]
            if end < 0 or not _is_hex(digits, len(digits)) or not digits or int(digits, 16) > 0x10FFFF:
                raise NavError(ErrorName.SYNTAX, f"invalid unicode escape in regular expression /{self.src}/")
            self.pos = end + 1
            return int(digits, 16)
        if not _is_hex(self._peek(4), 4):
            return ord("u")
        code = int(self._peek(4), 16)
        self.pos += 4
        if 0xD800 <= code < 0xDC00 and self._peek(2) == "\\u" and _is_hex(self.src[self.pos + 2 : self.pos + 6], 4):
            low = int(self.src[self.pos + 2 : self.pos + 6], 16)
            if 0xDC00 <= low < 0xE000:
                self.pos += 6
                return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        if 0xD800 <= code < 0xE000:
            raise _unsupported("a lone surrogate escape")
        return code

    def _class(self) -> str:
        negated = self._peek() == "^"
        if negated:
            self.pos += 1
        items: list[str] = []
        while self._peek() != "]":
            if self.pos >= len(self.src):
                raise NavError(ErrorName.SYNTAX, f"unterminated character class in regular expression /{self.src}/")
            items.append(self._class_atom())
            if self._peek() == "-" and self.src[self.pos + 1 : self.pos + 2] not in ("", "]"):
                self.pos += 1
                high = self._class_atom()
                if _is_set(items[-1]) or _is_set(high):
                    items.append(_literal(ord("-"), True) + high)  # Annex B: '[\d-z]' is a literal '-'
                else:
                    items[-1] += "-" + high
        self.pos += 1
        if not items:
            if negated:
                return "(?s:.)"
            raise _unsupported("the empty character class '[]'")
        return ("[^" if negated else "[") + "".join(items) + "]"

    def _class_atom(self) -> str:
        char = self._peek()
        self.pos += 1
        if char == "\\":
            return self._escape(in_class=True)
        return _literal(ord(char), in_class=True)


def _is_set(item: str) -> bool:
    return item.startswith(("[", "\\p", "\\P")) or item in _CLASS_ESCAPES.values()


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdefABCDEF" for c in text)
