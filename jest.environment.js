// The test environment of every package: Node's, plus one duty. Test helpers that make a temporary
// directory register it in globalThis.__prepcastTempDirs; it is removed here, after the test file
// and every one of its hooks have finished (an afterAll in a helper would run before the test
// file's own afterAll hooks, while its servers may still be writing there).
const fs = require("node:fs");
const { TestEnvironment } = require("jest-environment-node");

class PrepcastTestEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.__prepcastTempDirs = [];
  }

  async teardown() {
    for (const dir of this.global.__prepcastTempDirs ?? []) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    await super.teardown();
  }
}

module.exports = PrepcastTestEnvironment;
