"""API keys: the OS keychain when a trusted one is available, else our encrypted vault.

Nothing here ever hands a secret back to a caller; only providers read them, once per process.
"""
