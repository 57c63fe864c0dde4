// ESLint for the extension (tests/lint/test_eslint.py runs it). It lives here, not in extension/,
// because extension/ is what gets packed and shipped.
//
// tests/run installs eslint, @eslint/js and globals (pinned) into .cache/npm, outside any
// node_modules this file would find by itself, so they are looked up there after the usual
// places (a node_modules beside or above this file).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

async function load(name) {
  const errors = [];
  for (const base of ["./", "./.cache/npm/"]) {
    let path;
    try {
      path = createRequire(new URL(base, import.meta.url)).resolve(name);
    } catch (error) {
      errors.push(error.message.split("\n")[0]);
      continue;
    }
    return (await import(pathToFileURL(path).href)).default;
  }
  throw new Error(`eslint.config.mjs: cannot find ${name} (bash tests/run installs it): ${errors.join("; ")}`);
}

const js = await load("@eslint/js");
const globals = await load("globals");

// Rules past js/recommended, each for a kind of bug it catches.
const rules = {
  // Unused code is often a misspelling or a forgotten call; a leading _ marks one kept on purpose.
  "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
  // == only for `x == null` (null or undefined), which the code uses on purpose.
  eqeqeq: ["error", "always", { null: "ignore" }],
  // A shadowed name reads the wrong binding by accident.
  "no-shadow": ["error", { builtinGlobals: false, hoist: "functions" }],
  "prefer-const": "error",
  "no-var": "error",
  // A name read before its declaration in the same scope throws (TDZ); inner functions that run
  // later may refer to names declared further down.
  "no-use-before-define": ["error", { functions: false, classes: false, variables: false }],
  "no-implicit-globals": "error",
  "no-throw-literal": "error",
  "no-promise-executor-return": "error",
  "no-self-compare": "error",
  "no-template-curly-in-string": "error",
  "no-unmodified-loop-condition": "error",
  "no-unreachable-loop": "error",
  "array-callback-return": "error",
};

export default [
  // `eslint .` from here lints the extension's source, not copies of it or installed packages.
  { ignores: ["build/", "dist/", ".cache/", ".venv/", "artifacts/", "host/navllm/_assets/"] },
  { files: ["extension/**/*.js"], ...js.configs.recommended },
  { files: ["extension/**/*.js"], rules, linterOptions: { reportUnusedDisableDirectives: "error" } },
  {
    // The background: ES modules, a service worker in Chromium, an event page in Firefox.
    files: ["extension/background/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.serviceworker, ...globals.webextensions },
    },
  },
  {
    // The extension's own pages and the modules they share: ES modules in a window.
    files: ["extension/ui/**/*.js", "extension/common/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.browser, ...globals.webextensions },
    },
  },
  {
    // The page-side client (published apart, for sites): an ES module in a web page, no extension APIs.
    files: ["extension/client/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: globals.browser,
    },
  },
  {
    // The content script: a classic script in the isolated world, with the extension APIs.
    files: ["extension/content/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.browser, ...globals.webextensions },
    },
  },
  {
    // The MAIN-world page scripts: classic scripts in the page's own window, without the
    // extension APIs. They share one scope, each wrapped in an IIFE; what one leaves for the
    // next is the temporary global below, which begin.js defines and end.js deletes.
    files: ["extension/page/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.browser, __navllmBuild: "readonly" },
    },
  },
];
