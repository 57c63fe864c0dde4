"""Request dispatch: one port, many requests in flight, streams, cancellation, sessions."""
