"""``navllm serve``: the host's core behind a local HTTP API for apps, with an OpenAI-compatible surface.

Apps authenticate with tokens the user made (``policy/apps.py``); each app is a caller of its own
(``app:NAME``) on the same dispatcher, policy and providers as the native host (``app.Core``).
See docs/daemon.md.
"""
