"""``navllm providers list | presets | add | edit | remove | order | test``: the provider chain.

The order of the list is the fallback order. Changes go through the same validation as
the settings page, so a bad value is refused and nothing stored changes.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import Commands


def _entry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", help="start from a preset (see `navllm providers presets`)")
    parser.add_argument("--kind", choices=("openai", "anthropic", "local", "echo"), help="the API the provider speaks")
    parser.add_argument("--base-url", help="the endpoint, e.g. http://gpu-box:8000/v1")
    parser.add_argument("--model", help="the model to ask for")
    parser.add_argument("--label", help="the name shown in settings and prompts")
    parser.add_argument("--context-window", type=int, help="tokens the model accepts")
    parser.add_argument("--timeout", type=float, help="seconds to wait for each byte from the server")
    parser.add_argument("--deadline", type=float, help="seconds one request may take in all, retries included")
    parser.add_argument("--max-reply-chars", type=int, help="characters one reply may hold before it is cut off")
    parser.add_argument(
        "--inputs",
        type=_inputs,
        help="what the model reads, from text,image,audio (text is always included); `preset` goes back to the preset's list",
    )


INPUT_TYPES = ("text", "image", "audio")
PRESET_INPUTS = "preset"


def _inputs(value: str) -> list[str] | str:
    if value.strip() == PRESET_INPUTS:
        return PRESET_INPUTS
    chosen = [t.strip() for t in value.split(",") if t.strip()]
    if not chosen or any(t not in INPUT_TYPES for t in chosen):
        raise argparse.ArgumentTypeError(f"{value!r}: name input types from {','.join(INPUT_TYPES)}, comma-separated, or {PRESET_INPUTS}")
    return chosen


def register(commands: Commands) -> None:
    group = commands.add_parser("providers", help="the providers pages may use, in fallback order")
    sub = group.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="the chain, in order").set_defaults(run=run_list)
    sub.add_parser("presets", help="known endpoints to start from").set_defaults(run=run_presets)
    add = sub.add_parser("add", help="add a provider at the end of the chain (or at --position)")
    add.add_argument("name")
    _entry_options(add)
    add.add_argument("--position", type=int)
    add.add_argument("--disabled", action="store_true")
    add.set_defaults(run=run_add)
    edit = sub.add_parser("edit", help="change a provider")
    edit.add_argument("name")
    _entry_options(edit)
    switch = edit.add_mutually_exclusive_group()
    switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
    switch.add_argument("--disable", dest="enabled", action="store_false")
    edit.set_defaults(run=run_edit)
    remove = sub.add_parser("remove", help="remove a provider")
    remove.add_argument("name")
    remove.add_argument("--delete-key", action="store_true", help="also forget its key")
    remove.set_defaults(run=run_remove)
    order = sub.add_parser("order", help="set the fallback order (name every provider)")
    order.add_argument("names", nargs="+")
    order.set_defaults(run=run_order)
    test = sub.add_parser("test", help="ask a provider for one token and show the latency")
    test.add_argument("name")
    test.set_defaults(run=run_test)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        "preset": args.preset,
        "kind": args.kind,
        "base_url": args.base_url,
        "model": args.model,
        "label": args.label,
        "context_window": args.context_window,
        "timeout": args.timeout,
        "deadline": args.deadline,
        "max_reply_chars": args.max_reply_chars,
    }
    given = {k: v for k, v in fields.items() if v is not None}
    if args.inputs is not None:
        given["inputs"] = None if args.inputs == PRESET_INPUTS else args.inputs
    return given


def run_list(args: argparse.Namespace) -> int:
    from .. import settings
    from ..providers.chain import describe

    for position, config in enumerate(settings.load().providers, 1):
        entry = describe(config)
        where = entry.get("resolvedBaseUrl", "on this device" if config.kind == "local" else "")
        key = ""
        if entry.get("keyNeeded") is not None:
            key = "key set" if entry["key"]["present"] else ("NO KEY" if entry["keyNeeded"] else "no key needed")
        state = "" if config.enabled else "(disabled)"
        inputs = "+".join(entry["resolvedInputs"])
        print(f"{position}. {config.name:<14} {config.kind:<9} {config.model or '':<28} {where:<40} {inputs:<16} {key} {state}".rstrip())
    return 0


def run_presets(args: argparse.Namespace) -> int:
    from ..providers.presets import PRESETS

    for preset in PRESETS.values():
        key = "key needed" if preset.key_needed else "no key"
        print(f"{preset.id:<11} {preset.label:<36} {preset.base_url:<52} {'+'.join(preset.inputs):<16} {key}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from ..providers.chain import add_provider

    entry = {"name": args.name, **_given(args)}
    if args.disabled:
        entry["enabled"] = False
    config = add_provider(entry, args.position)
    print(f"added {config.name}; store its key with `navllm keys set {config.name}` if it needs one")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from ..providers.chain import update_provider

    changes = _given(args)
    if args.enabled is not None:
        changes["enabled"] = args.enabled
    update_provider(args.name, changes)
    print(f"updated {args.name}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ..providers.chain import remove_provider

    remove_provider(args.name, args.delete_key)
    print(f"removed {args.name}")
    return 0


def run_order(args: argparse.Namespace) -> int:
    from ..providers.chain import order_providers

    print(" → ".join(order_providers(args.names)))
    return 0


def run_test(args: argparse.Namespace) -> int:
    import asyncio

    from .. import settings
    from ..providers.chain import check_provider, find
    from ..providers.router import Router

    current = settings.load()

    async def check() -> dict[str, Any]:
        provider = Router(lambda: current).build(find(args.name, current))
        try:
            return await check_provider(provider)
        finally:
            if hasattr(provider, "aclose"):  # remote providers hold HTTP connection pools
                await provider.aclose()

    result = asyncio.run(check())
    if result["ok"]:
        print(f"{args.name}: OK, {result['model']} answered in {result['latencyMs']:.0f} ms")
        return 0
    print(f"{args.name}: {result['error']['name']}: {result['error']['message']}")
    return 1
