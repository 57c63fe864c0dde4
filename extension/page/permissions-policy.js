// MAIN world: whether this frame may use a policy-controlled feature (ns.permissionsPolicy.allows).
// A minimal version: a frame same-origin with the top document is allowed (the features'
// default allowlist is 'self'); elsewhere the browser's own answer is used when it offers one,
// and without one the frame is allowed.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const policy = document.featurePolicy ?? document.permissionsPolicy;
  const allowsFeature = policy && typeof policy.allowsFeature === "function" ? policy.allowsFeature : undefined;

  const allows = (feature) => {
    try {
      // Reading the top document throws unless it is same-origin.
      if (globalThis.top === globalThis || globalThis.top.document) return true;
    } catch {
      // cross-origin top: fall through to the browser's answer
    }
    if (allowsFeature === undefined) return true;
    try {
      return I.apply(allowsFeature, policy, [feature]) === true;
    } catch {
      return false;
    }
  };

  ns.permissionsPolicy = I.freeze({ __proto__: null, allows });
})();
