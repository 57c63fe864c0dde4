"""The native host's link to the user's daemon: where it listens, starting it on demand, and the
WebSocket the host relays the browser's frames over, so every browser shares one model.

Standard library only: a relaying host should cost little memory and start fast (docs/daemon.md).
"""
