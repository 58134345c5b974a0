// The long suite (npm run test:hardening): the fast tests plus every *.hardening.test.ts, one file at a time.
const base = require("../jest.config.base.js")(__dirname);
module.exports = { ...base, testPathIgnorePatterns: ["/node_modules/", "/dist/"], testTimeout: 900000 };
