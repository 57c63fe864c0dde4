// MAIN world, last of the page scripts: install what the others queued, then remove the
// temporary namespace before any page script runs.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const { defineProperty } = ns.intrinsics;
  for (const { target, name, value } of ns.definitions) {
    if (!(name in target)) defineProperty(target, name, { value, enumerable: true, configurable: false, writable: false });
  }
  for (const { name, value } of ns.globals) {
    if (!(name in globalThis)) defineProperty(globalThis, name, { value, enumerable: false, configurable: true, writable: true });
  }
  delete globalThis.__navllmBuild;
})();
