"""Response constraints for the constrained-decoding tests: schemas, regexes, refusals.

Each regex carries the Python ``re`` pattern that accepts exactly the same strings as the
JavaScript one (written by hand from the ECMAScript semantics), used to check outputs.
"""

from __future__ import annotations

import re

from navllm.protocol.common import ToolSpec

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 24},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "email": {"type": "string", "format": "email"},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, object] = {
    "person (required and optional)": PERSON,
    "nested object": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "address": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "maxLength": 20},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                },
                "required": ["city", "zip"],
                "additionalProperties": False,
            },
        },
        "required": ["id", "address"],
        "additionalProperties": False,
    },
    "array of strings 1..3": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 1, "maxItems": 3},
    "array of objects ..2": {
        "type": "array",
        "items": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"], "additionalProperties": False},
        "maxItems": 2,
    },
    "array of arrays": {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
        "minItems": 2,
        "maxItems": 2,
    },
    "enum": {"enum": ["red", "green", "blue"]},
    "enum of mixed types": {"enum": [1, "two", None, True, {"k": [3]}]},
    "const": {"const": "fixed value"},
    "number in [0, 1]": {"type": "number", "minimum": 0, "maximum": 1},
    "integer in (0, 100)": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 100},
    "integer multipleOf 5": {"type": "integer", "multipleOf": 5, "minimum": -50, "maximum": 50},
    "number with exclusive bounds": {"type": "number", "exclusiveMinimum": -2.5, "maximum": 7.25},
    "boolean": {"type": "boolean"},
    "string length 3..8": {"type": "string", "minLength": 3, "maxLength": 8},
    "string pattern": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"},
    "format date": {"type": "string", "format": "date"},
    "format email": {"type": "string", "format": "email"},
    "format ipv4": {"type": "string", "format": "ipv4"},
    "format uuid": {"type": "string", "format": "uuid"},
    "anyOf string or integer": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "integer"}]},
    "oneOf tagged union": {
        "oneOf": [
            {
                "type": "object",
                "properties": {"kind": {"const": "circle"}, "r": {"type": "number", "minimum": 0}},
                "required": ["kind", "r"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "square"}, "side": {"type": "integer", "minimum": 1}},
                "required": ["kind", "side"],
                "additionalProperties": False,
            },
        ]
    },
    "$defs and $ref": {
        "$defs": {
            "point": {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "required": ["x", "y"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/point"}, "to": {"$ref": "#/$defs/point"}},
        "required": ["from", "to"],
        "additionalProperties": False,
    },
    "draft-07 definitions": {
        "definitions": {"tag": {"type": "string", "enum": ["a", "b"]}},
        "type": "array",
        "items": {"$ref": "#/definitions/tag"},
        "maxItems": 4,
    },
    "nullable by type list": {
        "type": "object",
        "properties": {"note": {"type": ["string", "null"], "maxLength": 10}},
        "required": ["note"],
        "additionalProperties": False,
    },
    "nullable by anyOf": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 1}]},
    "map of integers ..3 keys": {"type": "object", "additionalProperties": {"type": "integer"}, "maxProperties": 3},
    "open object (additional allowed)": {"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"]},
    "tuple (prefixItems)": {
        "type": "array",
        "prefixItems": [{"type": "string", "maxLength": 5}, {"type": "integer"}, {"type": "boolean"}],
        "items": False,
        "minItems": 3,
    },
    "allOf": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string", "maxLength": 4}}, "required": ["b"]},
        ]
    },
    "rating (as the Prompt API tests use)": {
        "type": "object",
        "required": ["Rating"],
        "additionalProperties": False,
        "properties": {"Rating": {"type": "number", "minimum": 0, "maximum": 5}},
    },
    "any JSON": {},
    "empty string only": {"type": "string", "maxLength": 0},
}

# (JavaScript pattern, flags, equivalent Python pattern, Python flags)
JS_SPACE = "\\t\\n\\x0b\\x0c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
REGEXES: dict[str, tuple[str, str, str, int]] = {
    "yes or no": ("^(yes|no)$", "", "yes|no", 0),
    "phone": ("\\d{3}-\\d{4}", "", "[0-9]{3}-[0-9]{4}", 0),
    "two capitalised words": ("[A-Z][a-z]+ [A-Z][a-z]+", "", "[A-Z][a-z]+ [A-Z][a-z]+", 0),
    "sentiment, any case": ("positive|negative|neutral", "i", "positive|negative|neutral", re.IGNORECASE),
    "email-ish": ("\\w+@\\w+\\.(com|org)", "", "[0-9A-Za-z_]+@[0-9A-Za-z_]+\\.(com|org)", 0),
    "ipv4-ish": ("(\\d{1,3}\\.){3}\\d{1,3}", "", "([0-9]{1,3}\\.){3}[0-9]{1,3}", 0),
    "hex colour": ("^#[0-9A-Fa-f]{6}$", "", "#[0-9A-Fa-f]{6}", 0),
    "one line up to 20": (".{1,20}", "", "[^\\n\\r\\u2028\\u2029]{1,20}", 0),
    "no spaces 2..5": ("[^\\s]{2,5}", "", f"[^{JS_SPACE}]{{2,5}}", 0),
    "score": ("Score: (10|[0-9])\\/10", "", "Score: (10|[0-9])/10", 0),
    "unicode escapes": ("\\u00e9t\\u00e9|summer", "", "\u00e9t\u00e9|summer", 0),
    "dotAll": ("a.{0,3}b", "s", "a.{0,3}b", re.DOTALL),
    "lazy quantifier": ("<b>.{1,8}?</b>", "", "<b>[^\\n\\r\\u2028\\u2029]{1,8}</b>", 0),
    "named group": ("(?<year>\\d{4})-(?<month>0[1-9]|1[0-2])", "u", "([0-9]{4})-(0[1-9]|1[0-2])", 0),
}

UNSUPPORTED_SCHEMAS: dict[str, object] = {
    "not": {"not": {"type": "string"}},
    "if/then/else": {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}},
    "uniqueItems": {"type": "array", "uniqueItems": True},
    "contains": {"type": "array", "contains": {"type": "integer"}},
    "dependentRequired": {"type": "object", "dependentRequired": {"a": ["b"]}},
    "propertyNames": {"type": "object", "propertyNames": {"pattern": "^a"}},
    "unknown format": {"type": "string", "format": "color"},
    "overlapping oneOf": {
        "oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "object", "properties": {"b": {"type": "string"}}}]
    },
    "circular $ref": {
        "$defs": {"node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node",
    },
    "self $ref": {"type": "object", "properties": {"next": {"$ref": "#"}}},
    "remote $ref": {"$ref": "https://example.com/schema.json"},
    "lookahead pattern": {"type": "string", "pattern": "^a(?=b)"},
}

UNSATISFIABLE_SCHEMAS: dict[str, object] = {
    "false": False,
    "minLength > maxLength": {"type": "string", "minLength": 5, "maxLength": 2},
    "empty enum": {"enum": []},
    "minimum > maximum": {"type": "integer", "minimum": 10, "maximum": 1},
    "incompatible allOf": {"allOf": [{"type": "string"}, {"type": "number"}]},
    "required property false": {"type": "object", "properties": {"a": False}, "required": ["a"]},
    "minItems > maxItems": {"type": "array", "minItems": 3, "maxItems": 1},
}

UNSUPPORTED_REGEXES: dict[str, tuple[str, str]] = {
    "lookahead": ("a(?=b)", ""),
    "negative lookbehind": ("(?<!a)b", ""),
    "backreference": ("(a)\\1", ""),
    "named backreference": ("(?<x>a)\\k<x>", ""),
    "word boundary": ("\\bword\\b", ""),
    "caret mid-pattern": ("a^b", ""),
    "dollar mid-pattern": ("a$b", ""),
    "v flag": ("[a-z]", "v"),
}

# Tools for the tool-call tests: a string/enum schema, an array schema, and no arguments at all.
TOOLS = [
    ToolSpec(
        name="get_weather",
        description="Current weather for a city.",
        input_schema={
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 20}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        name="add",
        description="Adds numbers.",
        input_schema={
            "type": "object",
            "properties": {"terms": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 4}},
            "required": ["terms"],
        },
    ),
    ToolSpec(name="now", description="The current time.", input_schema={"type": "object", "properties": {}, "additionalProperties": False}),
]

# Strings each RegExp must accept whole, and strings it must refuse (by JavaScript's semantics).
REGEX_EXAMPLES: dict[str, tuple[list[str], list[str]]] = {
    "yes or no": (["yes", "no"], ["yes!", "Yes", "noyes"]),
    "phone": (["555-1234"], ["555-123", "٣٣٣-1234", "x555-1234"]),
    "sentiment, any case": (["Positive", "NEUTRAL", "negative"], ["good"]),
    "email-ish": (["a_b@c9.org"], ["é@x.com", "a@b.net"]),
    "one line up to 20": (["any text, 20 chars!!"], ["two\nlines", "x\u2028y", "twenty-one characters"]),
    "no spaces 2..5": (["ab", "a-b_c"], ["a b", "a\ufeffb", "a"]),
    "unicode escapes": (["été", "summer"], ["ete"]),
    "dotAll": (["a\nb", "a\r\n\tb"], ["ab c"]),
    "named group": (["2024-12"], ["2024-13"]),
}

# JSON texts each schema must accept, written as a person or model might (spacing included).
SCHEMA_EXAMPLES: dict[str, list[str]] = {
    "person (required and optional)": ['{"name": "Ann", "age": 30}', '{\n  "name": "Bo",\n  "age": 7,\n  "email": "bo@example.com"\n}'],
    "array of strings 1..3": ['["a"]', '[ "x", "y", "z" ]'],
    "oneOf tagged union": ['{"kind": "circle", "r": 1.5}', '{"kind":"square","side":2}'],
    "nullable by type list": ['{"note": null}', '{"note": "hi"}'],
    "rating (as the Prompt API tests use)": ['{"Rating": 4.5}', '{"Rating":0}'],
    "map of integers ..3 keys": ["{}", '{"a": 1, "b": -2}'],
    "any JSON": ['[1, {"a": [true, null]}, "x"]', "3.5e2"],
}
