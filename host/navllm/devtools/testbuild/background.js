// The test build's background (navllm.devtools.browsers.extension_copy points the manifest's
// background.service_worker and background.scripts here): the shipped background, plus the
// relay benchmark's no-host echo. Order matters: modules run in import order, and the echo's
// onConnect listener must be registered before main.js's (see bench-echo.js).
import "./bench-echo.js";
import "../background/main.js";
