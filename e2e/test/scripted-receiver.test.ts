// The conformance runner for publisher implementations (conformance/python/scripted_receiver.py:
// a receiver that plays golden sessions from conformance/sessions/publisher-scenarios.json and
// checks every frame it receives against docs/protocol.md), proved against the real publisher:
// `prep-publisher push` with the scripted receiver registered in publisher.yaml (address, pinned
// TLS fingerprint, identity key) runs every scenario. Then against the kit's own Python publisher
// (the kit's two halves check each other), and negative runs so the runner can be seen to
// fail: a publisher offering a chunk_size below the §7.4 bound, one ending the transfer on the
// first receipt it gets (whatever cut it names), a full-zstd@1 payload with a bit flipped before
// it was hashed (only rebuilding the files per §9.2 tells), and a scenario with a wrong expectation.
// Scenarios that `need` what the Python publisher lacks (delta-zstd@1, offer-manifest-zstd@1) are skipped for it. Needs Debian's python3-grpcio, python3-protobuf and python3-cryptography
// (/usr/bin/python3); skipped, saying so, when they are missing.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, PUBLISHER_BIN, cli, freePort, runAsync as run } from "@prepcast/testkit";

const PYTHON = "/usr/bin/python3";
const KIT = path.join(__dirname, "..", "..", "conformance");
const RUNNER = path.join(KIT, "python", "scripted_receiver.py");
const PY_PUBLISHER = path.join(KIT, "python", "prepcast_publisher.py");
const SCENARIOS = path.join(KIT, "sessions", "publisher-scenarios.json");
const probe = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf, cryptography"], { encoding: "utf8" });
const available = probe.status === 0;
if (!available)
  console.warn(
    `scripted-receiver.test.ts skipped: ${PYTHON} lacks grpc/protobuf/cryptography (apt-get install -y python3-grpcio python3-protobuf python3-cryptography)`,
  );
const maybe = available ? describe : describe.skip;

jest.setTimeout(420_000); // eleven scenarios against the real publisher, each with its own publisher dir and push: ~100 s on an idle machine

interface Listening {
  address: string;
  tlsFingerprint: string;
  identityPublicKey: string;
  receiverId: string;
}
/** A payload the runner rebuilt and verified: its encoding, the manifest's form in the Offer, the ops of a §9.2 stream. */
interface Payload {
  encoding: string;
  manifest: "plain" | "zstd";
  ops?: { copy: number; literal: number; literalRef: number };
}
interface Summary {
  status: string;
  passed: number;
  total: number;
  results: Array<{ name: string; ok: boolean; why: string | null; sessions: Array<{ session: number; framesReceived: string[]; payloads: Payload[] }> }>;
}

maybe("the scripted receiver (runner for publisher implementations)", () => {
  let c: Cluster;
  let port: number;
  let keysDir: string;
  const receiverId = "scripted";

  /** Starts the runner for the given scenarios; resolves once it printed its listening line. */
  const startRunner = (scenarios: string[], file = SCENARIOS, pub: Cluster = c) =>
    new Promise<{ listening: Listening; done: Promise<{ code: number | null; summary: Summary; stderr: string }> }>((resolve, reject) => {
      const args = [
        RUNNER,
        "--scenarios",
        file,
        "--listen",
        `127.0.0.1:${port}`,
        "--keys-dir",
        keysDir,
        "--receiver-id",
        receiverId,
        "--publisher-id",
        "ople",
        "--publisher-key",
        path.join(pub.pubDir, "identity.pub"),
        "--root-key",
        path.join(pub.pubDir, "root.pub"),
        "--connect-timeout",
        "60",
      ];
      for (const s of scenarios) args.push("--scenario", s);
      const p = spawn(PYTHON, args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let listening = false;
      const done = new Promise<{ code: number | null; summary: Summary; stderr: string }>((res) =>
        p.on("close", (code) => res({ code, summary: JSON.parse(stdout.trim().split("\n").pop() ?? "null"), stderr })),
      );
      p.stderr.on("data", (d) => (stderr += d));
      p.stdout.on("data", (d) => {
        stdout += d;
        if (!listening && stdout.includes("\n")) {
          listening = true;
          resolve({ listening: JSON.parse(stdout.split("\n")[0]!), done });
        }
      });
      p.on("close", (code) => {
        if (!listening) reject(new Error(`the scripted receiver exited ${code} before listening: ${stderr}`));
      });
    });

  const cutDir = (n: number, bytes: number): string => {
    const dir = path.join(c.dir, `cut-${n}`);
    fs.mkdirSync(path.join(dir, "datos"), { recursive: true });
    fs.writeFileSync(path.join(dir, "index.html"), `<h1>corte ${n}</h1>\n`);
    let rows = "SECCION|CASILLA|VOTOS\n";
    for (let i = 0; rows.length < bytes; i++) rows += `${String(i).padStart(5, "0")}|B${i % 7}|${(i * 7919 + n) % 1000}\n`;
    fs.writeFileSync(path.join(dir, "datos", "presidencia.csv"), rows);
    return dir;
  };
  let corte = 0; // each push a later corte (§5.2: cortes go forward)
  const push = (pub: Cluster, dir: string, timeoutS: number) =>
    run(process.execPath, [
      PUBLISHER_BIN,
      "push",
      dir,
      "--config",
      pub.pubConfig,
      "--corte",
      `2024-06-02T20:${String(10 + corte++).padStart(2, "0")}:00-06:00`,
      "--timeout",
      String(timeoutS),
      "--json",
    ]);
  /** The scenarios after which the publisher counts the cut as delivered (a staged receipt counts, §8.5). */
  const delivers = (name: string) => /happy|resume|embargoed|another cut|zstd/.test(name);
  /** A later cut of `dir`: the same index.html (a COPY in a delta), a longer CSV (a LITERAL against its base version). */
  const nextCut = (dir: string, n: number): string => {
    const next = path.join(c.dir, `cut-${n}`);
    fs.cpSync(dir, next, { recursive: true });
    fs.appendFileSync(path.join(next, "datos", "presidencia.csv"), `99999|B1|${n}\n`);
    return next;
  };
  const scenarioNames = (): string[] => JSON.parse(fs.readFileSync(SCENARIOS, "utf8")).scenarios.map((s: { name: string }) => s.name);

  const publishers: Cluster[] = [];
  /** The scripted receiver registered like any receiver in publisher.yaml: address, pinned TLS fingerprint, identity key. */
  const register = (pub: Cluster, l: Listening) =>
    fs.appendFileSync(
      pub.pubConfig,
      `  - id: ${receiverId}\n    name: Receptor guionizado\n    transport: grpc\n    address: ${l.address}\n    tlsFingerprint: ${l.tlsFingerprint}\n    identityPublicKey: ${l.identityPublicKey}\n`,
    );

  beforeAll(async () => {
    c = await Cluster.create([]);
    port = await freePort();
    keysDir = path.join(c.dir, "scripted-keys");
  });
  afterAll(async () => {
    for (const p of publishers) await p.stop();
    await c?.stop();
    c?.cleanup();
  });

  test("the scenario file lists the golden sessions", () => {
    const spec = JSON.parse(fs.readFileSync(SCENARIOS, "utf8"));
    expect(spec.format).toBe("prepcast/publisher-scenarios@1");
    expect(scenarioNames().length).toBeGreaterThanOrEqual(14);
  });

  test("the real publisher (prep-publisher push) passes every scenario", async () => {
    const results: Summary["results"] = [];
    // one runner and one push per scenario (a publisher that redials after an ending must not
    // open the next scenario's session); after a refusal or an Error push gives up at its timeout
    const sizes: Record<string, number> = { "resume from the receiver's offset": 1_300_000 };
    let resumePayload = 0;
    for (const [i, name] of scenarioNames().entries()) {
      // the runner needs the publisher's keys, the publisher the runner's: keys first, then the runner
      const pub = await Cluster.create([], { dir: path.join(c.dir, `publisher-${i + 1}`) });
      publishers.push(pub);
      const { listening, done } = await startRunner([name], SCENARIOS, pub);
      register(pub, listening);
      const dir = cutDir(i + 1, sizes[name] ?? 4000);
      if (/resume/.test(name)) resumePayload = fs.statSync(path.join(dir, "index.html")).size + fs.statSync(path.join(dir, "datos", "presidencia.csv")).size;
      const delivered = delivers(name);
      // a scenario of two cuts (the delta): one push a session, the second of a later cut of the first
      let first: Awaited<ReturnType<typeof push>> | null = null;
      const pushes = async () => {
        if (!/delta-zstd@1 against/.test(name)) return push(pub, dir, delivered ? 60 : 3);
        first = await push(pub, dir, 60);
        return push(pub, nextCut(dir, 100 + i), 60);
      };
      const [r, p] = await Promise.all([done, pushes()]);
      results.push(...r.summary.results);
      const firstOut = first ? `first push (${(first as { code: number }).code}): ${JSON.stringify(first)}\n` : "";
      if (!r.summary.results.every((x) => x.ok) || (first && (first as { code: number }).code !== 0))
        console.error(`${name}: ${JSON.stringify(r.summary)}\n${firstOut}push: ${p.stdout}\n${p.stderr}\nrunner: ${r.stderr}`);
      if (first) expect({ name, first: (first as { code: number }).code }).toEqual({ name, first: 0 });
      // push's own verdict: the receipt the runner signed was accepted (or, refused / ended, not)
      expect({ name, push: p.code }).toEqual({ name, push: delivered ? 0 : 3 });
      if (/embargoed/.test(name)) expect(p.stdout).toMatch(/staged/);
    }
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(scenarioNames());
    // the resumed session sent exactly the rest: every chunk after the first, not the first again
    const resume = results.find((r) => /resume/.test(r.name))!;
    expect(resume.sessions).toHaveLength(2);
    expect(resume.sessions[1]!.framesReceived.filter((f) => f === "chunk")).toHaveLength(Math.ceil(resumePayload / 524_288) - 1);
    const refused = results.find((r) => /refused/.test(r.name))!;
    expect(refused.sessions[0]!.framesReceived).not.toContain("chunk");
    // the encodings the Hello listed were used: full-zstd@1 alone (plain manifest); then full-zstd@1
    // with the zstd manifest and a delta against the first cut, whose unchanged index.html is a COPY
    // and whose longer CSV a LITERAL with the base version as dictionary
    const zstd = results.find((r) => /^full-zstd@1/.test(r.name))!;
    expect(zstd.sessions[0]!.payloads).toEqual([{ encoding: "full-zstd@1", manifest: "plain", ops: { copy: 0, literal: 2, literalRef: 0 } }]);
    const delta = results.find((r) => /^delta-zstd@1/.test(r.name))!;
    expect(delta.sessions.map((x) => x.payloads)).toEqual([
      [{ encoding: "full-zstd@1", manifest: "zstd", ops: { copy: 0, literal: 2, literalRef: 0 } }],
      [{ encoding: "delta-zstd@1", manifest: "zstd", ops: { copy: 1, literal: 0, literalRef: 1 } }],
    ]);
    const happyRun = results.find((r) => /^happy/.test(r.name))!;
    expect(happyRun.sessions[0]!.payloads).toEqual([{ encoding: "full", manifest: "plain" }]);
    // the staged cut was offered once: no second Offer while the receiver held it staged
    const embargo = results.find((r) => /embargoed/.test(r.name))!;
    expect(embargo.sessions[0]!.framesReceived.filter((f) => f === "offer")).toHaveLength(1);
  });

  test("the kit's Python publisher passes every scenario (one run per session); one offering chunk_size 1000 (below §7.4's 1024), one ending the transfer on the first receipt and a full-zstd@1 payload with a bit flipped are caught", async () => {
    const pkg = path.join(c.dir, "python-cut.prep");
    cli(PUBLISHER_BIN, [
      "pack",
      cutDir(20, 1_100_000),
      "--keys",
      c.pubDir,
      "--sequence",
      "100",
      "--corte",
      "2024-06-02T23:00:00-06:00",
      "--out",
      pkg,
      "--json",
    ]);
    const python = (l: Listening, extra: string[]) =>
      run(PYTHON, [
        PY_PUBLISHER,
        "--address",
        l.address,
        "--fingerprint",
        l.tlsFingerprint,
        "--receiver-id",
        receiverId,
        "--receiver-key",
        l.identityPublicKey,
        "--publisher-id",
        "ople",
        "--identity",
        path.join(c.pubDir, "identity.key"),
        "--package",
        pkg,
        ...extra,
      ]);
    const happy = scenarioNames()[0]!;
    const spec = JSON.parse(fs.readFileSync(SCENARIOS, "utf8"));

    const results: Summary["results"] = [];
    // what the Python publisher implements; a scenario that `needs` more is skipped for it, saying so
    const speaks = new Set(["full-zstd@1"]);
    const skipped: string[] = [];
    for (const scenario of spec.scenarios) {
      const needs: string[] = scenario.needs ?? [];
      if (!needs.every((x) => speaks.has(x))) {
        skipped.push(scenario.name);
        console.warn(
          `the Python publisher skips "${scenario.name}": it needs ${needs.filter((x) => !speaks.has(x)).join(", ")} (it speaks full and full-zstd@1 only)`,
        );
        continue;
      }
      const { listening, done } = await startRunner([scenario.name]);
      // the Python publisher makes one session a run and does not redial: one run per session
      const runs: Array<{ code: number | null; stdout: string }> = [];
      const extra = needs.includes("full-zstd@1") ? ["--encoding", "full-zstd@1"] : [];
      for (let i = 0; i < scenario.sessions.length; i++) runs.push(await python(listening, extra));
      const r = await done;
      if (!r.summary.results[0]!.ok) console.error(`${scenario.name}: ${JSON.stringify(r.summary)}\n${runs.map((x) => x.stdout).join("")}`);
      results.push(...r.summary.results);
      if (scenario.name === happy) expect(JSON.parse(runs[0]!.stdout.trim())).toMatchObject({ status: "delivered", resumedFrom: 0 });
      if (/resume/.test(scenario.name)) expect(JSON.parse(runs[1]!.stdout.trim())).toMatchObject({ status: "delivered", resumedFrom: 524_288 });
      // a staged receipt is a delivery (§8.5); a receipt for another cut is set aside, not taken for this one
      if (/embargoed/.test(scenario.name)) expect(JSON.parse(runs[0]!.stdout.trim())).toMatchObject({ status: "delivered", receipt: { state: "staged" } });
      if (/another cut/.test(scenario.name)) expect(JSON.parse(runs[0]!.stdout.trim())).toMatchObject({ status: "delivered", receipt: { state: "active" } });
      if (/another receiver/.test(scenario.name)) expect(JSON.parse(runs[0]!.stdout.trim())).toMatchObject({ status: "failed", code: "PROTOCOL_ERROR" });
    }
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(skipped).toEqual(spec.scenarios.filter((x: { needs?: string[] }) => x.needs?.includes("delta-zstd@1")).map((x: { name: string }) => x.name));
    expect(results).toHaveLength(spec.scenarios.length - skipped.length);

    // a wrong payload is caught: the full-zstd@1 stream with one bit flipped before it is hashed
    // (payload_sha256 matches what is sent, so only rebuilding the files from §9.2 can tell):
    // in the header's target manifest SHA-256, then inside the zstd frame's last block
    const zstd = spec.scenarios.find((x: { name: string }) => /^full-zstd@1/.test(x.name)).name;
    for (const [flip, why] of [
      ["6", /the stream's header does not name the offered manifest/],
      ["-2", /(HASH_MISMATCH|PROTOCOL_ERROR|SIZE_MISMATCH): .*§9\.2/],
    ] as const) {
      const liar = await startRunner([zstd]);
      const [rl] = await Promise.all([liar.done, python(liar.listening, ["--encoding", "full-zstd@1", "--flip-payload-byte", flip])]);
      expect(rl.summary).toMatchObject({ status: "failed", passed: 0, total: 1 });
      expect(rl.summary.results[0]!.why).toMatch(why);
      expect(rl.code).toBe(5);
    }

    const bad = await startRunner([happy]);
    const [rb, pb] = await Promise.all([bad.done, python(bad.listening, ["--chunk-size", "1000"])]);
    expect(rb.summary).toMatchObject({ status: "failed", passed: 0, total: 1 });
    expect(rb.summary.results[0]!.why).toMatch(/chunk_size 1000 outside 1024/);
    expect(rb.code).toBe(5);
    // the runner ended that session as a receiver would: one Error frame, the publisher saw it
    expect(JSON.parse(pb.stdout.trim())).toMatchObject({ status: "failed", code: "PROTOCOL_ERROR", grpcStatus: "ABORTED", trailerCode: "PROTOCOL_ERROR" });

    // a publisher that ends the transfer on the first receipt it gets is caught: the scenario's
    // receipt for another cut made the offered cut's own (no override), so the Python publisher
    // half-closes right after it, as one taking another cut's receipt for its own would
    const other = spec.scenarios.find((x: { name: string }) => /another cut/.test(x.name));
    const first = other.sessions[0].steps.find((x: { send?: { receipt?: { manifestSha256?: string } } }) => x.send?.receipt?.manifestSha256);
    delete first.send.receipt.manifestSha256;
    const file = path.join(c.dir, "takes-first-receipt.json");
    fs.writeFileSync(file, JSON.stringify({ ...spec, scenarios: [other] }));
    const taker = await startRunner([other.name], file);
    const [rt] = await Promise.all([taker.done, python(taker.listening, [])]);
    expect(rt.summary).toMatchObject({ status: "failed", passed: 0, total: 1 });
    expect(rt.summary.results[0]!.why).toMatch(/ended the session before the receipt of the cut it offered/);
    expect(rt.code).toBe(5);
  });

  test("a scenario with a wrong expectation fails, naming the field", async () => {
    const spec = JSON.parse(fs.readFileSync(SCENARIOS, "utf8"));
    const happy = spec.scenarios[0];
    const offer = happy.sessions[0].steps.find((s: { expect?: { offer?: unknown } }) => s.expect?.offer);
    offer.expect.offer.chunkSize = 1024; // the reference publisher uses 512 KiB
    const file = path.join(c.dir, "wrong-expectation.json");
    fs.writeFileSync(file, JSON.stringify({ ...spec, scenarios: [happy] }));
    const pub = await Cluster.create([], { dir: path.join(c.dir, "publisher-wrong") });
    publishers.push(pub);
    const { listening, done } = await startRunner([happy.name], file, pub);
    register(pub, listening);
    const [r, p] = await Promise.all([done, push(pub, cutDir(30, 4000), 4)]);
    expect(r.summary).toMatchObject({ status: "failed", passed: 0, total: 1 });
    expect(r.summary.results[0]!.why).toMatch(/Offer\.chunkSize is 524288, the scenario expects 1024/);
    expect(r.code).toBe(5);
    expect(p.code).not.toBe(0);
  });
});
