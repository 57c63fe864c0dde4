"""Rendering a model's own chat template (``tokenizer.chat_template``) with jinja2, sandboxed.

The template is part of a converted model (``chatTemplate`` in its ``navllm-model.json``): the
converter checks it parses before the weights are converted, the local engine renders every
prompt with it, and the local benchmark builds its prompt with it.

The template comes from a downloaded file, so it runs in jinja2's immutable sandbox: it can format
strings and loop over messages, but cannot reach Python attributes or mutate what it is given.
Globals and extensions match what Hugging Face renders templates with: ``raise_exception``,
``bos_token``, ``eos_token``, ``add_generation_prompt``, ``strftime_now``, ``namespace``, loop
controls (``break``, ``continue``: Llama and Qwen tool templates) and the ``{% generation %}``
marker around assistant text (SmolLM3), rendered as its body.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NoReturn

from ..protocol.errors import ErrorName, NavError


def _generation_extension() -> type:
    from jinja2.ext import Extension

    class Generation(Extension):
        """``{% generation %}…{% endgeneration %}``: Hugging Face's marker of the text an assistant
        turn generates (for training masks); rendering it is rendering its body."""

        tags = {"generation"}  # noqa: RUF012 - jinja2 declares it a plain set

        def parse(self, parser: Any) -> Any:
            next(parser.stream)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)

    return Generation


class ChatTemplate:
    def __init__(self, template: str, bos: str | None, eos: str | None):
        from jinja2 import TemplateSyntaxError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.loopcontrols", _generation_extension()],
        )
        env.filters["tojson"] = _tojson
        env.globals.update(raise_exception=_raise, strftime_now=lambda fmt: datetime.now().strftime(fmt))
        try:
            self._template = env.from_string(template)
        except TemplateSyntaxError as exc:
            raise NavError(ErrorName.DATA, f"the model's chat template does not parse: {exc.message}") from exc
        self.source = template
        self.bos = bos or ""
        self.eos = eos or ""

    def render(self, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        """The prompt text for ``messages`` (dicts with ``role`` and ``content``)."""
        from jinja2 import TemplateError

        try:
            return self._template.render(
                messages=messages,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos,
                eos_token=self.eos,
            )
        except _TemplateRaised as exc:
            raise NavError(ErrorName.NOT_SUPPORTED, f"the model's chat template refused the messages: {exc}") from exc
        except TemplateError as exc:
            raise NavError(ErrorName.OPERATION, f"the model's chat template failed: {exc}") from exc


class _TemplateRaised(Exception):
    pass


def _raise(message: str) -> NoReturn:
    raise _TemplateRaised(message)


def _tojson(value: Any, indent: int | None = None, **_ignored: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)
