// `prep-publisher drill` as a real process: the report in both formats, the exit code when a
// difusor misses cuts. Needs `npm run build` first.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, makePublisherKeys, runPublisherCli, startReceiver, tmpDir, writePublisherConfig, type ReceiverFixture } from "./helpers";

const work = tmpDir("drill-cli");
const receivers: ReceiverFixture[] = [];
afterAll(async () => {
  for (const r of receivers) await r.agent.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The CLI, with a longer bound: a drill runs whole cuts. */
const run = (args: string[]) => runPublisherCli(args, 60_000);

test("drill writes a Markdown report and exits 1 when a difusor missed cuts", async () => {
  if (!fs.existsSync(path.join(REPO, "apps/publisher/dist/cli/main.js"))) throw new Error("apps/publisher/dist is missing: run `npm run build` first");
  const keys = makePublisherKeys(work);
  receivers.push(await startReceiver(work, "ensayo", keys, { channels: ["simulacro"] }), await startReceiver(work, "prod", keys));
  const configFile = writePublisherConfig(work, keys, receivers);
  const bad = await run(["drill", "--config", configFile, "--cuts", "1", "--interval", "1", "--receivers", "nadie"]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("NOT_FOUND");
  const report = path.join(work, "informes", "simulacro.md");
  const r = await run(["drill", "--config", configFile, "--cuts", "1", "--interval", "1", "--settle", "20", "--report", report]);
  expect(r.stderr).toContain("ensayo: corte 1 en línea");
  expect(r.status).toBe(1); // "prod" refused the drill cut
  expect(r.stdout).toContain("SOME DIFUSORES MISSED CUTS");
  const md = fs.readFileSync(report, "utf8");
  expect(md).toContain("# Informe de simulacro PREPcast");
  expect(md).toMatch(/\| Difusor ENSAYO \(ensayo\) \| 1 de 1 \| 0 \|/);
  expect(md).toMatch(/\| Difusor PROD \(prod\) \| 0 de 1 \| [1-9]/);
  expect(md).toContain("CHANNEL_MISMATCH");
  // the drill's own state: sequences, audit log and receipts apart from production
  const state = path.join(work, "pub-state", "simulacro");
  expect(fs.readFileSync(path.join(state, "audit.log"), "utf8")).toContain('"channel":"simulacro"');
  expect(fs.existsSync(path.join(work, "pub-state", "audit.log"))).toBe(false);
});
