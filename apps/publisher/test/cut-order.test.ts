// The cut order, end to end with real processes and a real receiver agent: `push` and `pack`
// refuse a cut whose corte is earlier than the latest one (CORTE_ROLLBACK) before signing it;
// `--retract REASON` signs it as a retraction, which the receiver accepts, and both audit logs
// record it with its reason. Needs `npm run build` first.
import * as fs from "node:fs";
import * as path from "node:path";
import { auditEvents, cut, makePublisherKeys, runPublisherCli, startReceiver, tmpDir, writePublisherConfig, type ReceiverFixture } from "./helpers";

const work = tmpDir("cut-order");
let rx: ReceiverFixture | null = null;

afterAll(async () => {
  await rx?.agent.stop();
});

async function json(args: string[]): Promise<{ status: number | null; out: Record<string, any> }> {
  const r = await runPublisherCli([...args, "--json"], 60_000);
  return { status: r.status, out: JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, any> };
}

test("push refuses a cut that goes back in time; --retract delivers it, recorded with its reason by the publisher and the receiver", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "uv", keys);
  const config = writePublisherConfig(work, keys, [rx]);
  const state = path.join(work, "pub-state");
  const [c1, c2] = [await cut(work, 1), await cut(work, 2)];
  expect((await json(["push", c2.dir, "--config", config])).out).toMatchObject({ ok: true, sequence: 1, delivered: 1 });

  const back = await json(["push", c1.dir, "--config", config]);
  expect(back.status).toBe(1);
  expect(back.out).toMatchObject({ ok: false, code: "CORTE_ROLLBACK" });
  expect(back.out.message).toContain(`corte ${c1.corte}, earlier than that of the latest cut, #1 (${c2.corte})`);
  expect(back.out.where).toBe(path.join(c1.dir, "data", "corte.json"));
  expect(back.out.hint).toContain("--retract");
  expect(
    auditEvents(state)
      .filter((e) => e.event === "cut_refused")
      .map((e) => e.data.code),
  ).toEqual(["CORTE_ROLLBACK"]);

  const reason = "el corte 1 se publicó con actas de otra elección";
  const retract = await json(["push", c1.dir, "--config", config, "--retract", reason]);
  expect(retract.out).toMatchObject({ ok: true, sequence: 2, delivered: 1 });
  expect(auditEvents(state).find((e) => e.event === "cut_retraction")?.data).toMatchObject({
    sequence: 2,
    corte: c1.corte,
    previousSequence: 1,
    previousCorte: c2.corte,
    reason,
  });
  expect(auditEvents(rx.root).find((e) => e.event === "cut.retraction")?.data).toMatchObject({
    sequence: 2,
    corte: c1.corte,
    previousSequence: 1,
    previousCorte: c2.corte,
    reason,
  });
  expect(JSON.parse(fs.readFileSync(path.join(rx.root, "current", "prepcast", "manifest.json"), "utf8")).retraction).toEqual({ reason });
}, 120_000);

test("pack refuses a corte earlier than the last cut it packed with these keys, and packs a retraction with --retract", async () => {
  const keys = path.join(work, "pack-keys");
  expect((await json(["init", "--dir", keys])).status).toBe(0);
  const [c1, c2] = [await cut(work, 1), await cut(work, 2)];
  const pack = (c: { dir: string; corte: string }, seq: number, extra: string[] = []) =>
    json(["pack", c.dir, "--keys", keys, "--sequence", String(seq), "--corte", c.corte, "--out", path.join(work, `p${seq}.prep`), ...extra]);
  expect((await pack(c2, 2)).out).toMatchObject({ ok: true, sequence: 2, retraction: null });
  expect(JSON.parse(fs.readFileSync(path.join(keys, "packed.json"), "utf8")).streams["VER-2024/produccion"]).toMatchObject({ sequence: 2, corte: c2.corte });

  const back = await pack(c1, 3);
  expect(back.status).toBe(1);
  expect(back.out).toMatchObject({ ok: false, code: "CORTE_ROLLBACK" });
  expect(fs.existsSync(path.join(work, "p3.prep"))).toBe(false);
  // an older sequence is not going forward (receivers refuse it by sequence): packed, the record unchanged
  expect((await pack(c1, 1)).status).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(keys, "packed.json"), "utf8")).streams["VER-2024/produccion"]).toMatchObject({ sequence: 2, corte: c2.corte });
  expect((await pack(c2, 3, ["--retract", "no vuelve atrás"])).out).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--retract" });
  const r = await pack(c1, 3, ["--retract", "el corte 2 tenía un error"]);
  expect(r.out).toMatchObject({ ok: true, sequence: 3, corte: c1.corte, retraction: "el corte 2 tenía un error" });
}, 120_000);
