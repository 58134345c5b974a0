// The hand-over between a difusor and the OPLE with real CLI processes: `prep-receiver init`
// writes registration.yaml (with --local, a config whose every listener is on 127.0.0.1), and
// `prep-publisher register` adds it to the publisher's registry, keeping the config's comments.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PUBLISHER_BIN, REPO, tmpDir } from "./helpers";

const RECEIVER_BIN = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = tmpDir("register");

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string; json: Record<string, any> } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", timeout: 30_000 });
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    /* human output */
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

test("init writes publisher.yaml and, with --local, a loopback receiver config and registration.yaml that register adds", () => {
  expect(run(PUBLISHER_BIN, ["init", "--dir", "ople", "--id", "ople"]).status).toBe(0);
  const config = path.join(work, "ople", "publisher.yaml");
  expect(fs.existsSync(config)).toBe(true);

  const init = run(RECEIVER_BIN, ["init", "--dir", "difusor", "--id", "uv-xalapa", "--local", "--name", "Universidad Veracruzana", "--json"]);
  expect(init.json).toMatchObject({ ok: true, local: true, address: "127.0.0.1:8730", registration: "difusor/registration.yaml" });
  const rc = parse(fs.readFileSync(path.join(work, "difusor", "receiver.yaml"), "utf8"));
  expect(rc).toMatchObject({
    push: { listen: "127.0.0.1:8730", allowlist: ["127.0.0.1/32"] },
    site: { listen: "127.0.0.1:8080", workers: 1 },
    admin: { listen: "127.0.0.1:8731" },
  });
  const reg = parse(fs.readFileSync(path.join(work, "difusor", "registration.yaml"), "utf8"));
  expect(reg).toEqual({
    id: "uv-xalapa",
    name: "Universidad Veracruzana",
    transport: "grpc",
    address: "127.0.0.1:8730",
    tlsFingerprint: init.json.tlsFingerprint,
    identityPublicKey: init.json.identityPublicKey,
    publicUrl: "http://127.0.0.1:8080/",
  });

  const modeBefore = fs.statSync(config).mode & 0o777;
  // root registers into a config the service's group reads (root:prepcast 0640 in the guides)
  const asRoot = process.getuid?.() === 0;
  if (asRoot) fs.chownSync(config, 0, 65534);
  const added = run(PUBLISHER_BIN, ["register", "difusor/registration.yaml", "--config", "ople/publisher.yaml", "--json"]);
  expect(added.json).toMatchObject({ ok: true, receiver: "uv-xalapa", replaced: false });
  const text = fs.readFileSync(config, "utf8");
  expect(parse(text).receivers).toEqual([reg]);
  expect(text).toContain("# prep-publisher run --config publisher.yaml"); // comments kept
  expect(fs.statSync(config).mode & 0o777).toBe(modeBefore); // the mode init gave it is kept
  if (asRoot) expect([fs.statSync(config).uid, fs.statSync(config).gid]).toEqual([0, 65534]); // and its group

  // twice: refused, unless --replace
  const again = run(PUBLISHER_BIN, ["register", "difusor/registration.yaml", "--config", "ople/publisher.yaml", "--json"]);
  expect(again.status).toBe(1);
  expect(again.json).toMatchObject({ code: "STATE_CONFLICT" });
  expect(again.json.hint).toContain("--replace");
  expect(run(PUBLISHER_BIN, ["register", "difusor/registration.yaml", "--config", "ople/publisher.yaml", "--replace", "--json"]).json).toMatchObject({
    ok: true,
    replaced: true,
  });
  expect(parse(fs.readFileSync(config, "utf8")).receivers).toHaveLength(1);

  // a broken registration names every problem and leaves the config as it was
  const before = fs.readFileSync(config, "utf8");
  fs.writeFileSync(path.join(work, "bad.yaml"), "id: Otro Difusor\nname: x\naddress: 127.0.0.1:8730\nidentityPublicKey: k\n");
  const bad = run(PUBLISHER_BIN, ["register", "bad.yaml", "--config", "ople/publisher.yaml", "--json"]);
  expect(bad.json).toMatchObject({ code: "CONFIG_INVALID", where: "bad.yaml" });
  expect(bad.json.message).toMatch(/problem\(s\) in bad\.yaml:\n {2}- id: must be/);
  fs.writeFileSync(path.join(work, "unpinned.yaml"), "id: otro\nname: x\naddress: nowhere\nidentityPublicKey: k\n");
  const unpinned = run(PUBLISHER_BIN, ["register", "unpinned.yaml", "--config", "ople/publisher.yaml", "--json"]);
  expect(unpinned.json.message).toMatch(/- tlsFingerprint: required[\s\S]*- address: "nowhere" is not HOST:PORT \(write the receiver's push port as HOST:PORT/);
  expect(fs.readFileSync(config, "utf8")).toBe(before);
  // and init refuses a directory that already holds them
  expect(run(PUBLISHER_BIN, ["init", "--dir", "ople"]).stderr).toContain("already exists");
  expect(run(RECEIVER_BIN, ["init", "--dir", "difusor", "--id", "uv-xalapa"]).stderr).toContain("already exists");
});
