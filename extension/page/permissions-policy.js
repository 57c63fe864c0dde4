// MAIN world: whether this frame's permissions policy lets it use a built-in AI feature
// ("language-model", "summarizer", "writer", "rewriter", "proofreader", "translator",
// "language-detector"), as far as a page script can know.
//
//   ns.permissionsPolicy.allows(feature) -> boolean
//
// Each feature's default allowlist is 'self': a document, and the frames of its origin, may use
// it; a cross-origin frame only when its embedder lets it (<iframe allow="language-model">) or
// a Permissions-Policy header says so. A page script cannot read that policy in every browser,
// so the answer is, in this order:
//
//   1. The browser's own, where it knows the feature: Chromium's document.featurePolicy (or
//      document.permissionsPolicy) with the feature among its features(). This holds for every
//      frame, the top one too (a header can switch a feature off there).
//   2. Allowed, in a frame that shares the top-level page's origin: the default allowlist
//      covers it. (A header switching the feature off cannot be read here.)
//   3. Allowed by the page, in a cross-origin frame of a browser that cannot say (Firefox, or
//      a Chromium without the built-in AI APIs, which knows no such feature and ignores
//      allow="language-model"): the embedder's `allow` attribute is out of reach here, its
//      <iframe> belonging to another origin. The host decides, as it does for every frame: a
//      frame whose origin differs from the top-level page's is refused (NotAllowedError, and
//      availability() "unavailable") unless its embedders delegate the feature to it, which the
//      extension's background reads in the embedding documents (background/embedders.js), or
//      the user let that top-level site delegate navllm to that frame's origin in navllm's
//      settings.
//
// Everything read later was captured here, at document_start, before any page script could
// replace it.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;

  const getterOf = (proto, key) => (proto ? I.getOwnPropertyDescriptor(proto, key)?.get : undefined);
  const documentProto = globalThis.Document?.prototype;
  // Chromium's interface is FeaturePolicy (document.featurePolicy); later drafts name it
  // PermissionsPolicy (document.permissionsPolicy). Both have allowsFeature() and features().
  const policies = [
    [getterOf(documentProto, "permissionsPolicy"), globalThis.PermissionsPolicy?.prototype],
    [getterOf(documentProto, "featurePolicy"), globalThis.FeaturePolicy?.prototype],
  ]
    .filter(([get, proto]) => get !== undefined && typeof proto?.allowsFeature === "function" && typeof proto?.features === "function")
    .map(([get, proto]) => ({ get, allowsFeature: proto.allowsFeature, features: proto.features }));
  const includes = Array.prototype.includes;

  // The browser's answer for `feature`, or undefined when it has none (no policy interface, or
  // one that does not know the feature and so would say no to anything).
  const browserAnswer = (feature) => {
    for (const policy of policies) {
      try {
        const object = I.apply(policy.get, globalThis.document, []);
        if (object == null) continue;
        if (!I.apply(includes, I.apply(policy.features, object, []), [feature])) continue;
        return I.apply(policy.allowsFeature, object, [feature]) === true;
      } catch {
        // a detached or otherwise unusable document: no answer from this interface
      }
    }
    return undefined;
  };

  // Where the browser cannot say, the frame is allowed: by the default allowlist when it shares
  // the top-level page's origin, and otherwise subject to the host's delegation rule (above).
  const allows = (feature) => browserAnswer(I.String(feature)) ?? true;

  ns.permissionsPolicy = I.freeze({ __proto__: null, allows });
})();
