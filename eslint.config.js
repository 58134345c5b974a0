// Flat config: typescript-eslint recommended rules over every source, with ESLint's
// recommended ones and Node globals for the JavaScript files (bins, configs, scripts, benchmarks).
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");

const readonly = (names) => Object.fromEntries(names.map((n) => [n, "readonly"]));
const nodeGlobals = readonly([
  "require",
  "module",
  "exports",
  "__dirname",
  "__filename",
  "process",
  "console",
  "Buffer",
  "URL",
  "URLSearchParams",
  "TextEncoder",
  "TextDecoder",
  "AbortController",
  "AbortSignal",
  "fetch",
  "structuredClone",
  "queueMicrotask",
  "performance",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "clearImmediate",
  "globalThis",
]);
// the scripts served to browsers (src/browser/*.ts in site and publisher): browser globals only
const browserGlobals = readonly([
  "window",
  "document",
  "location",
  "navigator",
  "console",
  "fetch",
  "URL",
  "URLSearchParams",
  "Blob",
  "TextEncoder",
  "TextDecoder",
  "DOMParser",
  "EventSource",
  "HTMLElement",
  "HTMLScriptElement",
  "crypto",
  "atob",
  "addEventListener",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "globalThis",
]);
const jestGlobals = readonly(["describe", "test", "it", "expect", "beforeAll", "afterAll", "beforeEach", "afterEach", "jest"]);

module.exports = tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "proto/src/gen/**", "bench/out/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", ecmaVersion: 2022, globals: { ...nodeGlobals, ...jestGlobals } },
  },
  { files: ["**/*.mjs"], languageOptions: { sourceType: "module", ecmaVersion: 2022, globals: nodeGlobals } },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  // Browser scripts: compiled one by one into classic scripts (tsconfig.browser.json), so no module syntax
  {
    files: ["**/src/browser/**/*.ts"],
    languageOptions: { globals: browserGlobals },
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration, ExportNamedDeclaration, ExportDefaultDeclaration, ExportAllDeclaration, TSImportEqualsDeclaration, TSExportAssignment",
          message: "a browser script is a classic script: no import/export (tsc would emit CommonJS the browser cannot run)",
        },
      ],
      "no-restricted-globals": ["error", "require", "module", "exports", "process", "Buffer", "__dirname", "__filename"],
    },
  },
  // The banner runs on any difusor's portal: ES5 syntax (test/browser-scripts.test.ts parses its output as ES5)
  { files: ["packages/site/src/browser/banner.ts"], rules: { "no-var": "off", "prefer-const": "off" } },
  // CommonJS files load each other with require()
  { files: ["**/*.js", "**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
);
