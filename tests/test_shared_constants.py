"""Values the extension and the host must agree on, read from both sides and compared.

The extension has no build step and its content scripts are classic scripts (``bridge.js`` runs
in the isolated world, ``page/*.js`` in the page's), so a module generated from Python could not
simply be imported by all of them; each keeps its own ``const`` and this test holds it to the
host's value. The JS side is read with regexes on the ``const NAME = ...`` lines: keep those
declarations on one line.

Part two checks ``extension/types/navllm.d.ts``, the page-visible API, against the protocol
models: the names a page passes must be the names the host accepts, and the closed value sets
(availability, roles, part types) must be the same on both sides.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import operator
import re
import typing
from pathlib import Path

import pytest

import navllm
from navllm import install
from navllm.link.state import DEFAULT_PORT
from navllm.protocol import PAGE_MESSAGES, common, page, tasks
from navllm.wire import framing

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "extension"
BRIDGE = EXT / "content/bridge.js"
PAGES = EXT / "background/pages.js"
NATIVE = EXT / "background/native.js"
MANIFEST = EXT / "manifest.json"
DTS = EXT / "types/navllm.d.ts"

# ---- reading JS ------------------------------------------------------------------------------


def js_const(path: Path, name: str) -> str:
    """The right-hand side of the one ``const NAME = ...;`` line in ``path``."""
    found = re.findall(rf"^\s*(?:export\s+)?const\s+{name}\s*=\s*(.+?);\s*(?://.*)?$", path.read_text(), re.M)
    assert len(found) == 1, f"expected one `const {name} = ...;` line in {path.relative_to(ROOT)}, found {len(found)}"
    return found[0]


def js_strings(expr: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', expr)]


def js_string_set(path: Path, name: str) -> set[str]:
    """``const NAME = new Set([...])`` or ``const NAME = [...]``: the strings in it."""
    expr = js_const(path, name)
    assert re.fullmatch(r"(new Set\()?\[[^\]]*\]\)?", expr), f"{name} in {path.name} is not a literal list: {expr}"
    values = js_strings(expr)
    assert len(values) == len(set(values)), f"{name} in {path.name} repeats a value"
    return set(values)


_OPS = {ast.Mult: operator.mul, ast.Add: operator.add, ast.Sub: operator.sub, ast.Pow: operator.pow}


def js_number(path: Path, name: str) -> int:
    """``const NAME = 8 * 1024 * 1024`` and the like: integer literals and + - * **."""

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        raise AssertionError(f"{name} in {path.name} is not a plain number")

    return value(ast.parse(js_const(path, name), mode="eval").body)


def js_string(path: Path, name: str) -> str:
    expr = js_const(path, name)
    assert re.fullmatch(r'"[^"]*"', expr), f"{name} in {path.name} is not a string literal: {expr}"
    return json.loads(expr)


# ---- the host's side -------------------------------------------------------------------------

# hello comes from the background itself (native.js), cancel travels as {cancel: id}: neither is
# a type a page sends.
HOST_PAGE_TYPES = {cls.model_fields["type"].default for cls in PAGE_MESSAGES} - {"hello", "cancel"}


def chrome_extension_id(manifest: dict) -> str:
    """Chrome's id for an unpacked extension with a ``key``: SHA-256 of the public key, first
    128 bits, each hex digit written as a letter a-p."""
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    return digest.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


# ---- part one: constants ---------------------------------------------------------------------


def test_page_request_types():
    assert js_string_set(PAGES, "PAGE_TYPES") == HOST_PAGE_TYPES, "background/pages.js PAGE_TYPES"
    # Every page type goes to the host: the shipped background answers none itself (the relay
    # benchmark's no-host baseline lives in the test driver's build, navllm/devtools/testbuild).
    assert js_string_set(BRIDGE, "PAGE_TYPES") == HOST_PAGE_TYPES, "content/bridge.js PAGE_TYPES"


def test_permissions_policy_features():
    """The features the background reads from embedders' allow attributes are the ones a caller may name."""
    js = js_string_set(EXT / "background/embedders.js", "FEATURES")
    assert js == set(typing.get_args(common.Feature)), "background/embedders.js FEATURES"
    assert set(typing.get_args(tasks.TaskKind)) <= js  # each task API's feature is named after its kind


def test_bench_echo_port_is_the_test_builds_alone():
    from navllm.devtools import browsers

    assert js_string(browsers.TESTBUILD / "bench-echo.js", "ECHO_PORT") == browsers.ECHO_PORT
    assert not [path for path in EXT.rglob("*.js") if browsers.ECHO_PORT in path.read_text()], "the shipped extension knows the echo port"


def test_page_scripts_send_only_page_types():
    sent = set()
    for script in (EXT / "page").glob("*.js"):
        sent |= set(re.findall(r'(?:\brequest|#call)\("([a-z-]+)"', script.read_text()))
    assert sent, "no request(...) calls found in extension/page: has the transport's name changed?"
    assert sent <= HOST_PAGE_TYPES


def test_protocol_version():
    assert js_number(NATIVE, "PROTOCOL") == navllm.PROTOCOL_VERSION


def test_input_cap():
    # bridge.js measures UTF-16 units, the host bytes: equal numbers keep the bridge from passing
    # anything the host would certainly refuse (non-ASCII text may still be refused by the host).
    assert js_number(BRIDGE, "MAX_MESSAGE") == framing.DEFAULT_INPUT_CAP


def test_host_name():
    assert js_string(NATIVE, "HOST_NAME") == install.HOST_NAME


def test_daemon_port():
    assert js_number(EXT / "background/daemon-port.js", "DEFAULT_DAEMON_PORT") == DEFAULT_PORT


def test_extension_ids():
    manifest = json.loads(MANIFEST.read_text())
    assert chrome_extension_id(manifest) == install.CHROME_EXTENSION_ID, "manifest key vs install.CHROME_EXTENSION_ID"
    assert manifest["browser_specific_settings"]["gecko"]["id"] == install.FIREFOX_EXTENSION_ID
    assert (f"chrome-extension://{install.CHROME_EXTENSION_ID}/", install.FIREFOX_EXTENSION_ID) == install.ALLOWED_CALLERS


def test_no_new_python_copies_of_the_ids():
    """Python modules take the host name and ids from ``navllm.install``, not a literal of their own."""
    literals = {install.HOST_NAME, install.CHROME_EXTENSION_ID, install.FIREFOX_EXTENSION_ID}
    copies = {
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "host/navllm").rglob("*.py"))
        if path != ROOT / "host/navllm/install/__init__.py"
        if any(value in path.read_text() for value in literals)
    }
    assert not copies, f"import these from navllm.install instead: {sorted(copies)}"


def test_reply_splitting_step():
    """An oversized reply (host.frames) is cut by the wire layer's step, which fits one frame escaped."""
    from navllm.host import frames

    assert framing.PART_CHARS * 6 + 1024 < framing.SAFE_FRAME  # any text, escaped 6x, fits one frame
    text = "a" * (3 * framing.SAFE_FRAME)
    parts = [json.loads(f)["body"] for f in frames("r", json.dumps({"id": "r", "data": text}).encode())]
    assert len(parts) > 1 and {len(p) for p in parts[:-1]} == {framing.PART_CHARS}


# ---- part two: navllm.d.ts against the protocol models ---------------------------------------

DTS_TEXT = DTS.read_text()


def _block(start: int) -> str:
    """The text between the ``{`` at or after ``start`` and its matching ``}``."""
    open_at = DTS_TEXT.index("{", start)
    depth = 0
    for i in range(open_at, len(DTS_TEXT)):
        depth += {"{": 1, "}": -1}.get(DTS_TEXT[i], 0)
        if depth == 0:
            return DTS_TEXT[open_at + 1 : i]
    raise AssertionError("unbalanced braces in navllm.d.ts")


def _top_level(body: str) -> str:
    """``body`` with every nested ``{...}`` emptied, so only its own members remain."""
    out, depth = [], 0
    for ch in body:
        if ch == "}":
            depth -= 1
        if depth == 0:
            out.append(ch)
        if ch == "{":
            depth += 1
    return "".join(out)


def ts_members(name: str) -> set[str]:
    """Property names (not methods) of ``interface NAME`` or ``class NAME``."""
    found = list(re.finditer(rf"\b(?:interface|class)\s+{name}\b", DTS_TEXT))
    assert len(found) == 1, f"expected one declaration of {name} in navllm.d.ts"
    body = _top_level(_block(found[0].end()))
    return set(re.findall(r"^\s*(?:readonly\s+)?(\w+)\??\s*:", body, re.M))


def ts_object_keys(source: str) -> set[str]:
    """Keys of an inline object type ``{ a: ...; b?: ... }``."""
    return set(re.findall(r"(?:^|[{;,])\s*(?:readonly\s+)?(\w+)\??\s*:", _top_level(source)))


def ts_union(name: str) -> set[str]:
    """The string literals of ``type NAME = "a" | "b";``."""
    match = re.search(rf"^type\s+{name}\s*=([^;]*);", DTS_TEXT, re.M)
    assert match, f"no `type {name} = ...;` in navllm.d.ts"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def wire_names(model: type[common.Model], *, without: tuple[str, ...] = ()) -> set[str]:
    """The names ``model`` accepts on the wire (its aliases), minus ``without``."""
    return {field.alias or name for name, field in model.model_fields.items()} - set(without)


ENVELOPE = ("id", "caller", "type")


def literal_values(annotation: object) -> set[str]:
    args = typing.get_args(annotation)
    return set(args) if all(isinstance(a, str) for a in args) else set().union(*map(literal_values, args))


def test_value_sets():
    assert ts_union("LanguageModelAvailability") == set(typing.get_args(common.Availability))
    assert ts_union("LanguageModelMessageRole") == literal_values(common.Message.model_fields["role"].annotation)
    assert ts_union("LanguageModelMessageType") == literal_values(common.Expected.model_fields["type"].annotation)
    # Every part type a message may carry on the wire, and the page's own copy of the list.
    part_types = set().union(
        *(
            literal_values(p.model_fields["type"].annotation)
            for p in (common.TextPart, common.MediaPart, common.ToolCallPart, common.ToolResponsePart)
        )
    )
    assert ts_union("LanguageModelMessageType") == part_types
    assert js_string_set(EXT / "page/prompt-input.js", "MESSAGE_TYPES") == part_types
    assert js_string_set(EXT / "page/language-model.js", "SAMPLING_MODES") == ts_union("LanguageModelSamplingMode")


def test_messages_and_parts():
    assert ts_members("LanguageModelMessage") == wire_names(common.Message)
    assert ts_members("LanguageModelExpected") == wire_names(common.Expected)
    assert ts_members("LanguageModelTool") == wire_names(common.ToolSpec)
    # A page sends every part type as input (media travels re-encoded as mimeType/data; tool calls as history).
    content = re.search(r"^type LanguageModelMessageContent\s*=(.*?);\n\n", DTS_TEXT, re.M | re.S)
    assert content and set(re.findall(r'type: "([^"]+)"', content.group(1))) == ts_union("LanguageModelMessageType")
    # Tool calls the host streams back (or a page gives as history), and the results a page returns for them.
    assert ts_members("LanguageModelToolCall") - {"callId"} == wire_names(common.ToolCallPart, without=("type",))
    call_init, *response_inits = [ts_object_keys(m.group(1)) for m in re.finditer(r"constructor\(init: \{(.*?)\}\);", DTS_TEXT)]
    assert call_init == wire_names(common.ToolCallPart, without=("type",))
    assert len(response_inits) == 2 and set().union(*response_inits) == wire_names(common.ToolResponsePart, without=("type",))


def test_language_model_options():
    # Page-side only: samplingMode (and the deprecated topK/temperature, ignored on pages) become
    # the host's `sampling`; provider and model are navigator.llm's choice.
    core = ts_members("LanguageModelCreateCoreOptions")
    assert core - {"samplingMode", "topK", "temperature"} == wire_names(page.CoreOptions, without=("provider", "model", "sampling"))
    assert ts_members("LanguageModelCreateOptions") - {"signal", "monitor"} == wire_names(
        page.CreateSession, without=(*ENVELOPE, "options")
    )
    prompt = ts_members("LanguageModelPromptOptions") - {"signal"}
    assert prompt == wire_names(page.Prompt, without=(*ENVELOPE, "session", "input", "sampling"))
    assert prompt == wire_names(page.Measure, without=(*ENVELOPE, "session", "input"))


def _js_range(name: str) -> tuple[float, float]:
    """The bounds llm.js checks ``opts.NAME`` against: ``optionalNumber(opts.X, "X", integer, lo, hi)``."""
    match = re.search(rf'optionalNumber\(opts\.{name}, "{name}", \w+, ([\d.]+), ([\d.]+)\)', (EXT / "page/llm.js").read_text())
    assert match, f"llm.js no longer checks {name} with optionalNumber"
    return float(match.group(1)), float(match.group(2))


def _host_range(field: str) -> tuple[float, float]:
    meta = {type(m).__name__: m for m in common.Sampling.model_fields[field].metadata}
    low = meta["Ge"].ge if "Ge" in meta else meta["Gt"].gt
    return float(low), float(meta["Le"].le)


def test_navigator_llm_options():
    assert ts_members("ModelChoice") == wire_names(page.ModelChoice)
    sampling = {"temperature": "temperature", "topK": "top_k", "maxTokens": "max_tokens"}
    session = ts_members("SessionOptions")
    # Sent as the host's sampling, model choice and create options; the rest stays in the page.
    assert sampling.keys() <= wire_names(common.Sampling)
    assert session - sampling.keys() - wire_names(page.ModelChoice) - {"systemPrompt", "responseConstraint", "signal", "monitor"} == {
        "initialPrompts",
        "tools",
    }
    assert {"initialPrompts"} <= wire_names(page.CreateSession) and {"tools"} <= wire_names(page.CoreOptions)
    # What the page accepts is what the host accepts: llm.js's checks and the d.ts comments.
    for js_name, field in sampling.items():
        assert _js_range(js_name) == _host_range(field), js_name
    assert "/** 0 … 2 */\n    temperature?" in DTS_TEXT and _host_range("temperature") == (0, 2)
    assert "/** An integer, 1 … 1000 */\n    topK?" in DTS_TEXT and _host_range("top_k") == (1, 1000)
    embed = re.search(r"embed\(texts: [^,]+, options\?: \{([^}]*)\}\)", DTS_TEXT)
    assert embed and ts_object_keys(embed.group(1)) <= wire_names(page.Embed)


@pytest.mark.parametrize("name", ["LanguageModelMessage", "LanguageModelCreateOptions", "SessionOptions", "LanguageModelToolCall"])
def test_reader_sees_members(name):
    """Guard the d.ts reader itself: a regex that stopped matching must not pass as agreement."""
    assert len(ts_members(name)) >= 3


# ---- the task APIs: page scripts and navllm.d.ts against the host's TaskOptions ----------------

WA = EXT / "page/writing-assistance.js"
# The d.ts options interface of each kind, and its page-only members (never sent as TaskOptions).
TASK_INTERFACES = {
    "summarizer": "SummarizerCreateOptions",
    "writer": "WriterCreateOptions",
    "rewriter": "RewriterCreateOptions",
    "proofreader": "ProofreaderCreateOptions",
    "translator": "TranslatorCreateOptions",
    "language-detector": "LanguageDetectorCreateOptions",
}


def _ts_interface_members(name: str) -> set[str]:
    """``ts_members`` of an interface plus those of the interfaces it extends (one level each)."""
    found = re.search(rf"\binterface\s+{name}\b(?:\s+extends\s+([\w\s,]+))?\s*\{{", DTS_TEXT)
    assert found, f"no interface {name} in navllm.d.ts"
    members = ts_members(name)
    for parent in (found.group(1) or "").replace(" ", "").split(","):
        if parent:
            members |= _ts_interface_members(parent)
    return members


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_task_kinds():
    kinds = set(typing.get_args(tasks.TaskKind))
    assert set(TASK_INTERFACES) == kinds
    assert js_string_set(EXT / "page/llm.js", "TASK_KINDS") == kinds
    namespaced = re.search(r"^\s*type TaskKind\s*=([^;]*);", DTS_TEXT, re.M)
    assert namespaced and set(re.findall(r'"([^"]+)"', namespaced.group(1))) == kinds
    scripts = "".join(
        (EXT / "page" / f).read_text() for f in ("writing-assistance.js", "proofreader.js", "translator.js", "language-detector.js")
    )
    assert set(re.findall(r'kind: "([a-z-]+)"', scripts)) | set(re.findall(r'writingTask\("\w+", "([a-z-]+)"', scripts)) == kinds


@pytest.mark.parametrize("kind", list(TASK_INTERFACES))
def test_task_options(kind):
    # What a page may pass for a kind is what the host takes for it; signal and monitor stay in the page.
    page_side = _ts_interface_members(TASK_INTERFACES[kind]) - {"signal", "monitor"}
    host_side = {_camel(name) for name in tasks.FIELDS[kind] | set(tasks.CHOICES.get(kind, {}))}
    assert page_side == host_side


def test_task_enums():
    ts = {
        "summarizer": {"type": "SummarizerType", "format": "SummarizerFormat", "length": "SummarizerLength"},
        "writer": {"tone": "WriterTone", "format": "WriterFormat", "length": "WriterLength"},
        "rewriter": {"tone": "RewriterTone", "format": "RewriterFormat", "length": "RewriterLength"},
    }
    for kind, options in ts.items():
        for option, union in options.items():
            values = tasks.CHOICES[kind][option]
            assert ts_union(union) == set(values), union
            js_name = f"{kind.upper()}_{option.upper()}S"
            assert js_string_set(WA, js_name) == set(values), js_name
            # The page's default is the host's (listed first there).
            assert re.search(rf'\["{option}", member\.enumeration\({js_name}, "{values[0]}"\)\]', WA.read_text()), (kind, option)


def test_task_calls():
    # Per-call options: `context` goes to the host, the signal stays in the page.
    sent = wire_names(tasks.TaskRun, without=(*ENVELOPE, "task", "input"))
    assert ts_members("WritingCallOptions") - {"signal"} == sent == wire_names(tasks.TaskMeasure, without=(*ENVELOPE, "task", "input"))
    assert ts_members("TaskCallOptions") == {"signal"}


def test_correction_types():
    from navllm.tasks import proofread

    assert ts_union("CorrectionType") == js_string_set(EXT / "page/proofreader.js", "CORRECTION_TYPES")
    # The types the host's classifier gives: each has its name in the explanations it writes.
    assert set(re.findall(r'"([a-z-]+)": "[A-Z]', Path(proofread.__file__).read_text())) == ts_union("CorrectionType")
