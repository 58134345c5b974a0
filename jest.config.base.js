// Shared jest settings: TypeScript through @swc/jest (CommonJS); tests in src/**/__tests__ and test/.
// Workspace packages (and the apps' library entries) resolve to their TypeScript sources so a test
// never runs against a stale build.
// The environment removes the temporary directories test helpers register (jest.environment.js);
// jest's own cache lives in node_modules/.cache, not in the system temp directory.
// Two workers even on two cores: most suites drive real processes and sockets and spend their time
// waiting on them (one worker left a core idle ~40 % of the time), so the CI machine's two cores
// run two test files at once.
const path = require("node:path");
module.exports = (dir) => ({
  rootDir: dir,
  testEnvironment: path.join(__dirname, "jest.environment.js"),
  cacheDirectory: path.join(__dirname, "node_modules", ".cache", "jest"),
  transform: {
    "^.+\\.tsx?$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  testMatch: ["<rootDir>/src/**/__tests__/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/", "\\.hardening\\.test\\.ts$", "\\.podman\\.test\\.ts$"],
  moduleNameMapper: {
    "^@prepcast/proto$": path.join(__dirname, "proto/src/index.ts"),
    "^@prepcast/(publisher|receiver)$": path.join(__dirname, "apps/$1/src/index.ts"),
    "^@prepcast/([a-z-]+)$": path.join(__dirname, "packages/$1/src/index.ts"),
    "^@prepcast/([a-z-]+)/testing$": path.join(__dirname, "packages/$1/src/testing/index.ts"),
  },
  testTimeout: 60000,
  maxWorkers: 2,
});
