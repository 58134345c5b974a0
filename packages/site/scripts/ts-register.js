// Lets cluster workers forked from TypeScript sources (jest runs src/, not dist/) load .ts files:
// transpiles with @swc/core (already used by @swc/jest) and maps @prepcast/* to their src/ like
// jest.config.base.js does. Production runs from dist/ and never loads this file.
const path = require("node:path");
const Module = require("node:module");
const { addHook } = require("pirates");
const swc = require("@swc/core");

const repoRoot = path.resolve(__dirname, "../../..");
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@prepcast\/([a-z-]+)$/.exec(request);
  if (m) {
    const target = m[1] === "proto" ? path.join(repoRoot, "proto/src/index.ts") : path.join(repoRoot, "packages", m[1], "src/index.ts");
    return originalResolve.call(this, target, parent, ...rest);
  }
  return originalResolve.call(this, request, parent, ...rest);
};

addHook(
  (code, filename) =>
    swc.transformSync(code, {
      filename,
      jsc: { parser: { syntax: "typescript" }, target: "es2022" },
      module: { type: "commonjs" },
      sourceMaps: "inline",
    }).code,
  { exts: [".ts"], ignoreNodeModules: true },
);
