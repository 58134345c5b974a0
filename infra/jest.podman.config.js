// The container and systemd suites (npm run test:containers): *.podman.test.ts, one file at a time.
// They need podman and the images (npm run release, or infra/podman/build-image.sh); with
// PREPCAST_CONTAINERS=1 a missing tool or image fails instead of skipping.
const base = require("../jest.config.base.js")(__dirname);
module.exports = { ...base, testMatch: ["<rootDir>/test/**/*.podman.test.ts"], testPathIgnorePatterns: ["/node_modules/", "/dist/"], testTimeout: 1800000 };
