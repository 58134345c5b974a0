// The cuts benchmarks compare on: one per (scale, k) in DIR/cut-NNNN, from the reference generator
// in ../shared when it is there (the one the rsync baseline was measured with), else cutgen, with
// the OPLE's times. Used by bench/transfer and bench/offline.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const SHARED = path.resolve(REPO, "..", "shared");

/** The instant of cut K as the OPLE states it: election day 20:00 UTC-6 plus 15 minutes per cut. */
function cutInstant(k) {
  return new Date(Date.UTC(2024, 5, 3, 2, 0, 0) + (k - 1) * 15 * 60_000);
}

/**
 * Gives every file of cut K the OPLE's mtime (cutInstant). rsync's quick check skips a file whose
 * size and mtime are unchanged, so two cuts generated (or copied) within the same second would let
 * rsync skip changed files and serve stale data (its run would then print RESULT DIFFERS).
 */
function stampCut(out, k) {
  const t = cutInstant(k);
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else fs.utimesSync(p, t, t);
    }
  };
  walk(out);
}

/** Cut K of the series in DIR/cut-NNNN (generated once), stamped with the OPLE's mtime. */
async function ensureCut(dir, k, scale, actas = false) {
  const out = path.join(dir, `cut-${String(k).padStart(4, "0")}`);
  if (!fs.existsSync(path.join(out, "index.html"))) {
    const gen = path.join(SHARED, "bench", "gen-cuts.mjs");
    if (fs.existsSync(gen)) {
      execFileSync(process.execPath, [gen, "--out", dir, "--scale", scale, "--cuts", "1", "--from", String(k), ...(actas ? ["--actas"] : [])], {
        stdio: "ignore",
      });
    } else {
      const { generateCut } = require(path.join(REPO, "packages/cutgen/dist"));
      await generateCut({ outDir: dir, k, scale, actas });
    }
  }
  stampCut(out, k);
  return out;
}

module.exports = { REPO, SHARED, cutInstant, stampCut, ensureCut };
