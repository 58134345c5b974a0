import * as fs from "node:fs";
import * as path from "node:path";
import { readAuditLog, verifyAuditLog } from "../audit-log";
import { sha256Hex } from "../hash";
import { CutStore, cutIdOf, verifyStoreAudit } from "../store";
import { activatePending, installPackage } from "../store";
import { buildTar } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, readTree, tempDir, type TestCut } from "./fixtures-package/signed-cut";

const keys = makeKeys();
const opts = { rootPublicKey: keys.root.publicKey, now: NOW };
const cuts: TestCut[] = [1, 2, 3, 4, 5, 6].map((n) =>
  makeCut(keys, n, { "index.html": `<h1>corte ${n}</h1>`, [`datos/corte-${n}.json`]: JSON.stringify({ n }) }),
);

function writePackage(dir: string, cut: TestCut): string {
  const file = path.join(dir, `cut-${cut.manifest.sequence}.prep`);
  fs.writeFileSync(file, buildTar(packageEntries(cut)));
  return file;
}

function idOf(cut: TestCut): string {
  return cutIdOf(cut.manifest.sequence, sha256Hex(cut.manifestBytes));
}

async function installAll(root: string, work: string, list: TestCut[], retain?: number): Promise<void> {
  const store = await CutStore.open(root, retain === undefined ? {} : { retain });
  try {
    for (const c of list) await installPackage(store, writePackage(work, c), opts);
  } finally {
    store.close();
  }
}

describe("CutStore", () => {
  test("install switches current atomically to the new cut, whose tree equals the cut byte for byte", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!]);
    expect(fs.readlinkSync(path.join(root, "current"))).toBe(`cuts/${idOf(cuts[0]!)}`);
    await installAll(root, work, [cuts[1]!]);
    expect(fs.readlinkSync(path.join(root, "current"))).toBe(`cuts/${idOf(cuts[1]!)}`);
    expect(readTree(path.join(root, "current", "site"))).toEqual(cuts[1]!.files);
    // the signed documents are kept byte for byte next to the site
    expect(fs.readFileSync(path.join(root, "current", "prepcast", "manifest.json")).equals(cuts[1]!.manifestBytes)).toBe(true);
    const state = JSON.parse(fs.readFileSync(path.join(root, "state.json"), "utf8"));
    expect(state.trust.cuts["VER-2024/produccion"].sequence).toBe(2);
    expect(state.live).toBe(idOf(cuts[1]!));
    expect(verifyAuditLog(path.join(root, "audit.log")).entries).toBeGreaterThanOrEqual(4);
    expect(readAuditLog(path.join(root, "audit.log")).map((e) => e.event)).toEqual(["cut.committed", "cut.activated", "cut.committed", "cut.activated"]);
  });

  test("retention keeps the live cut and the newest N previous ones", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, cuts, 2);
    const left = fs.readdirSync(path.join(root, "cuts")).sort();
    expect(left).toEqual([cuts[3]!, cuts[4]!, cuts[5]!].map(idOf).sort());
    const store = await CutStore.open(root, { retain: 2 });
    expect(store.live()!.record.sequence).toBe(6);
    expect(store.snapshot().cuts.map((c) => c.sequence)).toEqual([4, 5, 6]);
    store.close();
    expect(
      readAuditLog(path.join(root, "audit.log"))
        .filter((e) => e.event === "cut.removed")
        .map((e) => e.data.sequence),
    ).toEqual([1, 2, 3]);
  });

  test("an older cut is refused as ROLLBACK even after its directory was pruned", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, cuts.slice(0, 5), 1);
    const store = await CutStore.open(root);
    await expect(installPackage(store, writePackage(work, cuts[0]!), opts)).rejects.toMatchObject({ code: "ROLLBACK" });
    await expect(installPackage(store, writePackage(work, cuts[3]!), opts)).rejects.toMatchObject({ code: "ROLLBACK" });
    store.close();
    expect(fs.readlinkSync(path.join(root, "current"))).toBe(`cuts/${idOf(cuts[4]!)}`);
  });

  test("a newer sequence with an earlier corte is refused (CORTE_ROLLBACK) and audited; a signed retraction is accepted and audited with its reason", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[1]!]); // #2, corte 20:02
    const back = makeCut(keys, 3, { "index.html": "<h1>corte 3</h1>" }, { corte: "2024-06-02T20:01:00-06:00" });
    const store = await CutStore.open(root);
    try {
      await expect(installPackage(store, writePackage(work, back), opts)).rejects.toMatchObject({ code: "CORTE_ROLLBACK" });
      expect(fs.readlinkSync(path.join(root, "current"))).toBe(`cuts/${idOf(cuts[1]!)}`);
      const retraction = makeCut(
        keys,
        3,
        { "index.html": "<h1>corte 3</h1>" },
        { corte: "2024-06-02T20:01:00-06:00", retraction: { reason: "el corte 2 se publicó con un error de captura" } },
      );
      expect((await installPackage(store, writePackage(work, retraction), opts)).status).toBe("activated");
    } finally {
      store.close();
    }
    const log = readAuditLog(path.join(root, "audit.log"));
    expect(log.find((e) => e.event === "cut.refused")?.data).toMatchObject({ code: "CORTE_ROLLBACK" });
    expect(log.find((e) => e.event === "cut.retraction")?.data).toMatchObject({
      sequence: 3,
      corte: "2024-06-02T20:01:00-06:00",
      previousSequence: 2,
      previousCorte: "2024-06-02T20:02:00-06:00",
      reason: "el corte 2 se publicó con un error de captura",
    });
  });

  test("a state directory written before cortes were recorded gets them from its cut records", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[1]!]);
    const statePath = path.join(root, "state.json");
    const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
    delete state.trust.cuts["VER-2024/produccion"].corte;
    fs.writeFileSync(statePath, JSON.stringify(state));
    const store = await CutStore.open(root);
    try {
      expect(store.trustState().cuts["VER-2024/produccion"]).toMatchObject({ sequence: 2, corte: "2024-06-02T20:02:00-06:00" });
      const back = makeCut(keys, 3, { "index.html": "x" }, { corte: "2024-06-02T20:01:00-06:00" });
      await expect(installPackage(store, writePackage(work, back), opts)).rejects.toMatchObject({ code: "CORTE_ROLLBACK" });
    } finally {
      store.close();
    }
  });

  test("a different cut with the live sequence is REPLAY", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!, cuts[1]!]);
    const store = await CutStore.open(root);
    const other = makeCut(keys, 2, { "index.html": "<h1>falso</h1>" });
    await expect(installPackage(store, writePackage(tempDir("other"), other), opts)).rejects.toMatchObject({ code: "REPLAY" });
    store.close();
    expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>corte 2</h1>");
  });

  test("open() cleans crash leftovers: staging dirs, temp links, unreferenced cut dirs", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!]);
    fs.mkdirSync(path.join(root, "staging", "deadbeef", "site"), { recursive: true });
    fs.writeFileSync(path.join(root, "staging", "deadbeef", "site", "half.html"), "half");
    fs.symlinkSync("cuts/000009-aaaaaaaaaaaa", path.join(root, "current.tmp-123"));
    fs.mkdirSync(path.join(root, "cuts", "000009-aaaaaaaaaaaa", "prepcast"), { recursive: true });
    fs.writeFileSync(path.join(root, "state.json.tmp-1-x"), "{");
    const store = await CutStore.open(root);
    store.close();
    expect(fs.readdirSync(path.join(root, "staging"))).toEqual([]);
    expect(fs.readdirSync(root).sort()).toEqual(["audit.log", "current", "cuts", "staging", "state.json"]);
    expect(fs.readdirSync(path.join(root, "cuts"))).toEqual([idOf(cuts[0]!)]);
    expect(readAuditLog(path.join(root, "audit.log")).some((e) => e.event === "store.orphan-removed")).toBe(true);
  });

  test("a crash between the symlink switch and the state write: open() adopts what current points to", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!, cuts[1]!]);
    const stale = fs.readFileSync(path.join(root, "state.json"), "utf8");
    await installAll(root, work, [cuts[2]!]);
    // simulate: state.json still says cut 2 is live but cut 3 is committed and current already points to it
    const s = JSON.parse(fs.readFileSync(path.join(root, "state.json"), "utf8"));
    s.live = JSON.parse(stale).live;
    fs.writeFileSync(path.join(root, "state.json"), JSON.stringify(s));
    const store = await CutStore.open(root);
    expect(store.live()!.record.sequence).toBe(3);
    store.close();
    expect(readAuditLog(path.join(root, "audit.log")).at(-1)!.event).toBe("store.recovered");
  });

  test("a current that points outside cuts/ is STATE_INVALID, not followed", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!]);
    fs.rmSync(path.join(root, "current"));
    fs.symlinkSync("/etc", path.join(root, "current"));
    await expect(CutStore.open(root)).rejects.toMatchObject({ code: "STATE_INVALID" });
    expect(fs.existsSync(path.join(root, "lock"))).toBe(false);
  });

  test("a second writer on the same directory is refused while the first holds it", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    const first = await CutStore.open(root);
    await expect(CutStore.open(root)).rejects.toMatchObject({ code: "STATE_INVALID" });
    first.close();
    (await CutStore.open(root)).close();
  });

  test("an embargoed cut is committed and staged, and activated only once notBefore passes", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!]);
    const embargoed = makeCut(keys, 2, { "index.html": "<h1>embargo</h1>" }, { notBefore: "2024-06-02T21:00:00-06:00" });
    const store = await CutStore.open(root);
    const r = await installPackage(store, writePackage(tempDir("emb"), embargoed), opts);
    expect(r.status).toBe("staged");
    expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>corte 1</h1>");
    await expect(activatePending(store, NOW)).rejects.toMatchObject({ code: "EMBARGOED" });
    await activatePending(store, new Date("2024-06-02T21:00:00-06:00"));
    expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>embargo</h1>");
    expect(store.pending()).toBeNull();
    store.close();
  });

  test("a refused package leaves the audit chain verifiable and records the code", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[1]!]);
    const store = await CutStore.open(root);
    await expect(installPackage(store, writePackage(work, cuts[0]!), opts)).rejects.toMatchObject({ code: "ROLLBACK" });
    store.close();
    const log = readAuditLog(path.join(root, "audit.log"));
    expect(log.at(-1)).toMatchObject({ event: "cut.refused", data: { code: "ROLLBACK" } });
  });
});

describe("verifyStoreAudit", () => {
  test("detects entries cut from the end of the log, which the chain alone cannot", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!, cuts[1]!]);
    const store = await CutStore.open(root);
    await expect(installPackage(store, writePackage(work, cuts[0]!), opts)).rejects.toMatchObject({ code: "ROLLBACK" });
    store.close();
    expect(verifyStoreAudit(root)).toMatchObject({ entries: 5, anchoredEntries: 5 });
    const log = path.join(root, "audit.log");
    const lines = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
    fs.writeFileSync(
      log,
      lines
        .slice(0, -1)
        .map((l) => `${l}\n`)
        .join(""),
    ); // drop the refusal
    expect(verifyAuditLog(log).entries).toBe(4); // still a valid chain on its own
    expect(() => verifyStoreAudit(root)).toThrow(expect.objectContaining({ code: "AUDIT_LOG_TAMPERED" }));
  });

  test("entries appended after the anchor (another writer, or a crash before the state write) are accepted", async () => {
    const work = tempDir("store");
    const root = path.join(work, "r");
    await installAll(root, work, [cuts[0]!]);
    const store = await CutStore.open(root);
    store.audit.append("agent_started", {});
    store.close();
    expect(verifyStoreAudit(root)).toMatchObject({ entries: 3, anchoredEntries: 2 });
  });
});
