"""Developer tooling that drives real browsers: ``navllm demo`` and ``navllm bench relay`` use it,
and so do the end-to-end tests. It needs the ``demo`` extra (Playwright, Marionette) and is
imported only by those two commands and by tests; nothing in the host imports it.

- ``browsers``: launch Chromium or Firefox with the extension and a registered host, run scripts
  in tabs, send admin requests, serve static pages.
- ``testbuild/``: the files the driver adds to its own copy of the extension as ``_test/`` (an
  extension page to send admin requests from, and a background that adds the relay benchmark's
  no-host echo to the shipped one). Never part of the extension packages.
"""
