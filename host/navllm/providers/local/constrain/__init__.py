"""Constrained decoding on the local model: a reply that matches what the page asked, by construction.

What this package owns, and where:

- ``token_mask``: a page's ``responseConstraint`` (JSON Schema or RegExp) and ``tools`` as one
  llguidance grammar, and the per-token mask the sampler applies (``GrammarConstraint``);
- ``js_regex``: a page's RegExp (ECMAScript syntax and flags) rewritten in llguidance's dialect;
- ``schema_refs``: ``$ref`` checks for a schema (local references only, no cycles);
- ``tool_calls``: the tool-call syntax shown to the model, the grammar its calls must follow,
  and the parsing of calls back out of its reply;
- ``instructions``: the messages the chat template renders (tools and the constraint's text
  shown to the model, tool calls and results written out as text);
- ``decoder``: one generation's mask and reply reader, which the engine's conversation drives.

The conversation (``providers/local/conversation.py``) calls ``prepare`` for the messages to
render and ``decoder`` for the mask and the reading of the reply. Nothing here imports
llguidance or numpy until a constrained request arrives.
"""

from __future__ import annotations

from .decoder import LocalDecoder, decoder
from .instructions import constraint_instruction, prepare
from .token_mask import GrammarConstraint, Vocabulary, build_constraint, check_constraint

__all__ = [
    "GrammarConstraint",
    "LocalDecoder",
    "Vocabulary",
    "build_constraint",
    "check_constraint",
    "constraint_instruction",
    "decoder",
    "prepare",
]
