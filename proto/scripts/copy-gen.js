// tsc does not copy the generated JavaScript; put it beside the compiled index.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const root = path.join(__dirname, "..");
fs.mkdirSync(path.join(root, "dist", "gen"), { recursive: true });
for (const f of ["prepcast.js", "prepcast.d.ts"]) fs.copyFileSync(path.join(root, "src", "gen", f), path.join(root, "dist", "gen", f));
