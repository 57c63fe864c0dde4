from ..page import Envelope


class AdminRequest(Envelope):
    """Marker base: the dispatcher accepts these only from callers of kind ``extension``."""
