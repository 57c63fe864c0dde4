"""navllm: AI for every web page, on the user's own terms.

This package must stay import-light: the native host imports it before anything
else, and its start-up time is a measured target.
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
