"""Register the native-messaging host with the browsers: manifests, launcher, Windows keys, doctor."""

HOST_NAME = "org.navllm.host"
CHROME_EXTENSION_ID = "mgbpedbjfbkohpmiilfdaedkkiddmnkh"
CHROME_ORIGIN = f"chrome-extension://{CHROME_EXTENSION_ID}/"
FIREFOX_EXTENSION_ID = "navllm@navllm.org"
ALLOWED_CALLERS = (CHROME_ORIGIN, FIREFOX_EXTENSION_ID)
