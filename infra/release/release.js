#!/usr/bin/env node
// npm run release -- --key FILE [--out release] [--no-images]
//
// Writes what the OPLE hands out, into release/:
//   prepcast-publisher-V.tgz, prepcast-receiver-V.tgz   installable with `npm install -g ./FILE`:
//       the app with its whole production tree bundled: the @prepcast/* workspace packages (built
//       JavaScript only) and every registry package at the version package-lock.json pinned, so
//       each difusor installs the tree CI tested, without the registry; native addons
//       (better-sqlite3, zstd-napi) are compiled on the target by npm's install scripts.
//       Each also carries its systemd unit and example environment file in systemd/.
//   prepcast-publisher-V.image.tar, prepcast-receiver-V.image.tar   the images built from
//       infra/docker/*.Dockerfile (podman save, docker-archive format: `docker load` reads it
//       on every Docker version, and so does `podman load`).
//   SHA256SUMS, SHA256SUMS.sig   the sums and their Ed25519 signature by the OPLE's release key
//       (`prep-publisher release-key`); check with `prep-receiver verify-release` or OpenSSL.
// Needs `npm run build` first (the npm script runs it) and, for images, podman (infra/podman/).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..", "..");
const APPS = [
  {
    name: "@prepcast/publisher",
    dir: "apps/publisher",
    file: "prepcast-publisher",
    unit: "prep-publisher",
    image: "prepcast/publisher",
    dockerfile: "infra/docker/publisher.Dockerfile",
  },
  {
    name: "@prepcast/receiver",
    dir: "apps/receiver",
    file: "prepcast-receiver",
    unit: "prep-receiver",
    image: "prepcast/receiver",
    dockerfile: "infra/docker/receiver.Dockerfile",
  },
];
/** The Node.js line releases run on (the images' base and the tarballs' engines). */
const NODE_ENGINE = ">=24";

function usage(message) {
  if (message) process.stderr.write(`release: ${message}\n`);
  process.stderr.write("usage: npm run release -- --key RELEASE.key [--out DIR] [--no-images] [--only-sign]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { key: process.env.PREPCAST_RELEASE_KEY, out: path.join(REPO, "release"), images: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--key") opts.key = argv[++i];
    else if (a === "--out") opts.out = path.resolve(argv[++i] ?? "");
    else if (a === "--no-images") opts.images = false;
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown option ${a}`);
  }
  if (!opts.key) usage("no release key: pass --key FILE (or PREPCAST_RELEASE_KEY); create one with `prep-publisher release-key --dir DIR`");
  return opts;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 << 20, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr || r.stdout || String(r.error)).slice(-3000)}`);
  return r.stdout;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/**
 * The registry packages an app needs, as the repository's package-lock.json resolved them (the
 * tree CI tested): walks dependencies from the app's workspace the way Node resolves them
 * (nearest node_modules first), through the @prepcast workspaces it uses. Returns lock paths.
 */
function productionClosure(lock, appDir) {
  const packages = lock.packages;
  const registry = new Set();
  const workspacesUsed = new Set();
  const parentOf = (p) => {
    const i = p.lastIndexOf("/node_modules/");
    return i >= 0 ? p.slice(0, i) : "";
  };
  const resolve = (name, from) => {
    for (let at = from; ; at = parentOf(at)) {
      const candidate = `${at ? `${at}/` : ""}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (at === "") return null;
    }
  };
  const visit = (lockPath) => {
    const entry = packages[lockPath];
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const name of Object.keys(deps)) {
      const found = resolve(name, lockPath);
      if (!found) {
        if (entry.optionalDependencies && name in entry.optionalDependencies) continue;
        throw new Error(`package-lock.json cannot resolve ${name} for ${lockPath || "the root"}: run npm install`);
      }
      const target = packages[found];
      if (target.link) {
        if (!workspacesUsed.has(target.resolved)) {
          workspacesUsed.add(target.resolved);
          visit(target.resolved);
        }
      } else if (!registry.has(found)) {
        if (target.optional && !fs.existsSync(path.join(REPO, found))) continue; // not for this platform
        registry.add(found);
        visit(found);
      }
    }
  };
  visit(appDir);
  return { registry: [...registry].sort(), workspaces: [...workspacesUsed].sort() };
}

/** Packs one workspace with npm (its `files` list decides the contents) and unpacks it into `into`. */
function packWorkspace(dir, into, tmp) {
  const out = run("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: path.join(REPO, dir) });
  const tgz = path.join(tmp, JSON.parse(out)[0].filename);
  fs.mkdirSync(into, { recursive: true });
  run("tar", ["-xzf", tgz, "-C", into, "--strip-components=1"]);
  fs.rmSync(tgz);
}

function publishable(file, version) {
  const pj = readJson(file);
  delete pj.private;
  delete pj.devDependencies;
  delete pj.scripts;
  if (version) pj.version = version;
  return pj;
}

/**
 * Stages an app as an npm package holding its whole production tree: the @prepcast workspaces it
 * uses (built JavaScript, via npm pack) and every registry package at the version the lockfile
 * pinned, copied from this checkout's node_modules without compiled native code. Everything is
 * bundled: npm's global install does not fetch the dependencies of bundled packages (it leaves
 * them empty), and a bundled tree installs the exact versions CI tested, without the registry.
 */
function stageApp(app, lock, version, tmp) {
  const stage = path.join(tmp, app.file);
  packWorkspace(app.dir, stage, tmp);
  const { registry, workspaces: used } = productionClosure(lock, app.dir);
  for (const dir of used) {
    const name = lock.packages[dir].name;
    const into = path.join(stage, "node_modules", ...name.split("/"));
    packWorkspace(dir, into, tmp);
    fs.writeFileSync(path.join(into, "package.json"), `${JSON.stringify(publishable(path.join(into, "package.json")), null, 2)}\n`);
  }
  const hoisted = new Map();
  for (const lockPath of registry) {
    // a workspace's own nested node_modules/X lands at the app's node_modules/X: refuse a clash
    const rel = lockPath.replace(/^(?:apps|packages|proto)\/[^/]*\/?(?=node_modules\/)/, "");
    if (hoisted.has(rel) && hoisted.get(rel) !== lock.packages[lockPath].version)
      throw new Error(`${rel} is needed at two versions (${hoisted.get(rel)} and ${lock.packages[lockPath].version})`);
    hoisted.set(rel, lock.packages[lockPath].version);
    const native = lock.packages[lockPath].hasInstallScript === true;
    const src = path.join(REPO, lockPath);
    const dst = path.join(stage, rel);
    fs.mkdirSync(dst, { recursive: true });
    // the package's own files; nested node_modules come as their own lock entries, and native
    // build outputs are left out: npm compiles them on the target for its Node.js
    for (const entry of fs.readdirSync(src)) {
      if (entry === "node_modules" || (native && (entry === "build" || entry === "prebuilds"))) continue;
      fs.cpSync(path.join(src, entry), path.join(dst, entry), { recursive: true, verbatimSymlinks: true });
    }
  }
  // the systemd unit and its example environment file, for the install guide's `install` step
  fs.mkdirSync(path.join(stage, "systemd"));
  for (const ext of ["service", "env"])
    fs.copyFileSync(path.join(REPO, "infra/systemd", `${app.unit}.${ext}`), path.join(stage, "systemd", `${app.unit}.${ext}`));
  const pj = publishable(path.join(stage, "package.json"), version);
  pj.files = [...(pj.files ?? []), "systemd"];
  pj.engines = { node: NODE_ENGINE };
  const direct = Object.keys(pj.dependencies ?? {});
  pj.dependencies = Object.fromEntries(
    direct
      .sort()
      .map((d) => [
        d,
        d.startsWith("@prepcast/") ? readJson(path.join(stage, "node_modules", ...d.split("/"), "package.json")).version : hoisted.get(`node_modules/${d}`),
      ]),
  );
  pj.bundleDependencies = direct.sort();
  fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(pj, null, 2)}\n`);
  return { stage, bundled: used.map((d) => lock.packages[d].name), registry: hoisted.size };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const protocol = require(path.join(REPO, "packages/protocol/dist/index.js"));
  const key = protocol.readSecretKeyFile(opts.key); // refuse a bad or world-readable key before an hour of building
  const version = readJson(path.join(REPO, "package.json")).version;
  const lock = readJson(path.join(REPO, "package-lock.json"));
  for (const app of APPS) {
    if (!fs.existsSync(path.join(REPO, app.dir, "dist/cli/main.js"))) throw new Error(`${app.dir}/dist is missing: run npm run build first`);
  }
  fs.rmSync(opts.out, { recursive: true, force: true });
  fs.mkdirSync(opts.out, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-release-"));
  const names = [];
  const t0 = Date.now();
  try {
    for (const app of APPS) {
      const { stage, bundled, registry } = stageApp(app, lock, version, tmp);
      const out = run("npm", ["pack", "--json", "--pack-destination", opts.out], { cwd: stage });
      const packed = JSON.parse(out)[0];
      const name = `${app.file}-${version}.tgz`;
      fs.renameSync(path.join(opts.out, packed.filename), path.join(opts.out, name));
      names.push(name);
      process.stdout.write(`release: ${name} (${packed.entryCount} files: ${bundled.join(" ")} and ${registry} registry packages)\n`);
    }
    if (opts.images) {
      run("bash", [path.join(REPO, "infra/podman/base-image.sh")], { stdio: ["ignore", "inherit", "inherit"] });
      for (const app of APPS) {
        const tag = `${app.image}:${version}`;
        const t = Date.now();
        run("bash", [path.join(REPO, "infra/podman/build-image.sh"), app.dockerfile, tag], { stdio: ["ignore", "inherit", "inherit"] });
        const name = `${app.file}-${version}.image.tar`;
        run("podman", ["save", "--quiet", "--format", "docker-archive", "-o", path.join(opts.out, name), `localhost/${tag}`]);
        names.push(name);
        process.stdout.write(`release: ${name} (${tag}, built in ${Math.round((Date.now() - t) / 1000)} s)\n`);
      }
    }
    const signed = protocol.signRelease(opts.out, names, key);
    protocol.verifyRelease(opts.out, key, { requireAll: true }); // what every recipient will check
    process.stdout.write(`release: SHA256SUMS signed by ${signed.keyid} (${names.length} files, ${Math.round((Date.now() - t0) / 1000)} s)\n`);
    process.stdout.write(`release: check it with: prep-receiver verify-release ${path.relative(process.cwd(), opts.out) || "."} --key release.pub\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`release: ${e.code ? `[${e.code}] ` : ""}${e.message}\n`);
  if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  process.exit(1);
}
