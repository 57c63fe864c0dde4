// MAIN world, registered by the background only while the user has navllm replace the
// browser's own Prompt API: asks navllm's LanguageModel (language-model.js) to take its place.
// Whichever of the two runs first, the marker or the event gets the message across.
(() => {
  "use strict";
  Object.defineProperty(globalThis, Symbol.for("navllm.preferPolyfill"), { value: true, configurable: true });
  globalThis.dispatchEvent(new Event("navllm-prefer-polyfill"));
})();
