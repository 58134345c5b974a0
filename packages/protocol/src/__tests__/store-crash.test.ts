// A crash (SIGKILL) right after each durable step of an install, in a real child process: the
// reopened store is consistent (trust state, `current` and state.json agree), shows exactly the
// old or the new cut, never says "installed" about a cut that is neither live nor pending, and
// converges to the new cut when it is offered again. The kill -9 loop of the hardening suite
// found the `recorded` window: live 22, trust state at 23, re-offer refused as ALREADY_INSTALLED.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isPrepcastError } from "../errors";
import { sha256Hex } from "../hash";
import { CutStore, cutIdOf, verifyStoreAudit, type StoreStep } from "../store";
import { installPackage } from "../store/install";
import { buildTar } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, readTree, tempDir, type TestCut } from "./fixtures-package/signed-cut";

const REPO = path.resolve(__dirname, "../../../..");
const CHILD = path.join(__dirname, "fixtures-store", "crash-install.ts");
const REGISTER = path.join(REPO, "packages/site/scripts/ts-register.js");

const keys = makeKeys();
const opts = { rootPublicKey: keys.root.publicKey, now: NOW };
const LATER = "2024-06-02T22:00:00-06:00"; // after NOW: the embargoed cut waits for it
const cut1 = makeCut(keys, 1, { "index.html": "<h1>corte 1</h1>", "datos/a.json": '{"n":1}' });
const cut2 = makeCut(keys, 2, { "index.html": "<h1>corte 2</h1>", "datos/a.json": '{"n":2}', "datos/b.json": '{"b":2}' });
const cut2embargoed = makeCut(keys, 2, { "index.html": "<h1>corte 2e</h1>", "datos/a.json": '{"n":22}' }, { notBefore: LATER });

const work = tempDir("store-crash");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function writePackage(cut: TestCut, name: string): string {
  const file = path.join(work, `${name}.prep`);
  fs.writeFileSync(file, buildTar(packageEntries(cut)));
  return file;
}
const idOf = (cut: TestCut) => cutIdOf(cut.manifest.sequence, sha256Hex(cut.manifestBytes));

/** A store with cut 1 live, then a child that installs `next` and is killed after `step`. */
async function crashAt(step: StoreStep, next: TestCut, label: string): Promise<string> {
  const root = path.join(work, label);
  const store = await CutStore.open(root, { now: () => NOW });
  await installPackage(store, writePackage(cut1, `${label}-1`), opts);
  store.close();
  const r = spawnSync(
    process.execPath,
    ["-r", REGISTER, CHILD, root, writePackage(next, `${label}-2`), Buffer.from(keys.root.publicKey).toString("base64"), NOW.toISOString(), step],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (r.signal !== "SIGKILL") throw new Error(`the child was not killed at ${step} (status ${r.status}): ${r.stdout}${r.stderr}`);
  return root;
}

/** The reopened store's view, checked for consistency. */
async function reopen(root: string): Promise<{ store: CutStore; live: number | null; pending: number | null; trusted: number | null }> {
  const store = await CutStore.open(root, { now: () => NOW });
  const s = store.snapshot();
  const live = s.live === null ? null : store.record(s.live)!.sequence;
  const pending = s.pending === null ? null : store.record(s.pending)!.sequence;
  const trusted = s.trust.cuts["VER-2024/produccion"]?.sequence ?? null;
  // `current` and state.json agree; every recorded cut has its directory and nothing else is there
  expect(fs.readlinkSync(path.join(root, "current"))).toBe(`cuts/${s.live}`);
  expect(fs.readdirSync(path.join(root, "cuts")).sort()).toEqual(s.cuts.map((c) => c.id).sort());
  // the trust state never names a cut that is neither live nor pending
  expect(store.unsettled()).toBeNull();
  expect([live, pending]).toContain(trusted);
  return { store, live, pending, trusted };
}

describe("a crash right after each step of an install", () => {
  const steps: Array<[StoreStep, "old" | "new"]> = [
    ["committed", "old"], // the directory is under cuts/, state.json does not know it: removed
    ["recorded", "new"], // state.json has the cut and the trust state: the switch is completed
    ["switched", "new"], // `current` was switched: adopted
    ["activated", "new"],
  ];
  test.each(steps)("after %s: the store reopens consistent with the %s cut live, and converges on a re-offer", async (step, expected) => {
    const root = await crashAt(step, cut2, `live-${step}`);
    const { store, live, trusted } = await reopen(root);
    try {
      expect(live).toBe(expected === "new" ? 2 : 1);
      expect(trusted).toBe(live);
      // the publisher offers cut 2 again: installed now, or already live (never a refusal while not live)
      try {
        const r = await installPackage(store, writePackage(cut2, `live-${step}-again`), opts);
        expect(r.status).toBe("activated");
      } catch (e) {
        expect(isPrepcastError(e, "ALREADY_INSTALLED")).toBe(true);
        expect(store.live()!.record.sequence).toBe(2);
      }
      expect(store.live()!.record.id).toBe(idOf(cut2));
      expect(readTree(path.join(root, "current", "site"))).toEqual(cut2.files);
    } finally {
      store.close();
    }
    expect(() => verifyStoreAudit(root)).not.toThrow();
  });

  const embargoSteps: Array<[StoreStep, "old" | "pending"]> = [
    ["committed", "old"],
    ["recorded", "pending"], // not yet switched, and it must not be: it becomes pending
    ["pending", "pending"],
  ];
  test.each(embargoSteps)("embargoed cut, after %s: reopened as %s, cut 1 stays live until notBefore", async (step, expected) => {
    const root = await crashAt(step, cut2embargoed, `embargo-${step}`);
    const { store, live, pending } = await reopen(root);
    try {
      expect(live).toBe(1);
      expect(pending).toBe(expected === "pending" ? 2 : null);
      expect(readTree(path.join(root, "current", "site"))).toEqual(cut1.files);
    } finally {
      store.close();
    }
  });

  test("a switch that failed at run time leaves the cut unsettled until it is completed (what a re-offer does)", async () => {
    const root = path.join(work, "failed-switch");
    let fail = true;
    const store = await CutStore.open(root, {
      now: () => NOW,
      afterStep: (step) => {
        if (step === "recorded" && fail) throw new Error("EIO replacing current (injected)");
      },
    });
    try {
      await installPackage(store, writePackage(cut1, "fs-1"), { ...opts }).catch(() => undefined);
      fail = false;
      await store.settle(store.unsettled()!, "re-offer");
      fail = true;
      await expect(installPackage(store, writePackage(cut2, "fs-2"), opts)).rejects.toThrow(/injected/);
      expect(store.live()!.record.sequence).toBe(1);
      expect(store.unsettled()).toMatchObject({ sequence: 2 });
      expect(await store.settle(store.unsettled()!, "re-offer")).toBe("activated");
      expect(store.live()!.record.sequence).toBe(2);
      expect(store.unsettled()).toBeNull();
    } finally {
      store.close();
    }
  });
});
