"""Native-messaging transport: stdio hardening, framing, and the reader thread."""
