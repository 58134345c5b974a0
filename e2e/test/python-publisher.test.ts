// A second implementation of the publisher, written in Python from docs/protocol.md alone
// (conformance/python/prepcast_publisher.py), against the real receiver: `prep-receiver run` with
// TLS, its certificate pinned by fingerprint and checked by name through its subjectAltName,
// mutual authentication, an offer, chunks, a verified receipt; then a transfer cut short and
// resumed in a second session, a refused offer, and a refusal that ends the session (one Error
// frame, gRPC status and the prepcast-error-code trailer) as a non-JS client sees them; and the
// golden receiver sessions of conformance/sessions/receiver-golden.json (every frame the receiver
// sends checked field by field; an embargoed cut staged, then its volunteered active receipt).
// Then resume, the refusals, a delta-zstd@1 cut, a session ended by one Error frame, and a full-zstd@1
// cut offered with its manifest as one zstd frame (offer-manifest-zstd@1), and an idle session whose
// Pings the receiver answers with Pongs of the same value, each a golden session too. Needs Debian's python3-grpcio, python3-protobuf, python3-cryptography and
// python3-zstandard (/usr/bin/python3); skipped, saying so, when they are missing.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, PUBLISHER_BIN, cli } from "@prepcast/testkit";

const PYTHON = "/usr/bin/python3";
const SCRIPT = path.join(__dirname, "..", "..", "conformance", "python", "prepcast_publisher.py");
const probe = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf, cryptography, zstandard"], { encoding: "utf8" });
const available = probe.status === 0;
if (!available)
  console.warn(
    `python-publisher.test.ts skipped: ${PYTHON} lacks grpc/protobuf/cryptography/zstandard (apt-get install -y python3-grpcio python3-protobuf python3-cryptography python3-zstandard)`,
  );
const maybe = available ? describe : describe.skip;

jest.setTimeout(120_000);

maybe("a publisher written in Python from the spec, against the real receiver", () => {
  let c: Cluster;
  const id = "uv-python";
  const golden = "uv-golden"; // a receiver of its own for the golden sessions: empty, no partial left by the hostile cases
  const golden2 = "uv-golden-2"; // another for resume, refusals, delta and the Error ending (no staged cut left by the embargo cases)
  const pack = (sequence: number, files: Record<string, string>, corte: string, extra: string[] = [], name = `cut-${sequence}`): string => {
    const dir = path.join(c.dir, name);
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content);
    }
    const out = path.join(c.dir, `${name}.prep`);
    cli(PUBLISHER_BIN, ["pack", dir, "--keys", c.pubDir, "--sequence", String(sequence), "--corte", corte, "--out", out, "--json", ...extra]);
    return out;
  };
  const python = (pkg: string, extra: string[] = [], identity = path.join(c.pubDir, "identity.key"), receiverId = id) => {
    const r = c.receiver(receiverId);
    const run = spawnSync(
      PYTHON,
      [
        SCRIPT,
        "--address",
        `127.0.0.1:${r.pushPort}`,
        "--fingerprint",
        r.tlsFingerprint,
        "--receiver-id",
        receiverId,
        "--receiver-key",
        r.identityPublicKey,
        "--publisher-id",
        "ople",
        "--identity",
        identity,
        "--package",
        pkg,
        "--chunk-size",
        "1024",
        ...extra,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (run.stdout.trim() === "") throw new Error(`the Python publisher printed nothing (exit ${run.status}): ${run.stderr}`);
    return { code: run.status, out: JSON.parse(run.stdout.trim().split("\n").pop()!) };
  };

  beforeAll(async () => {
    c = await Cluster.create([
      { id, transport: "grpc" },
      { id: golden, transport: "grpc" },
      { id: golden2, transport: "grpc" },
    ]);
    await c.startReceiver(c.receiver(id));
    await c.startReceiver(c.receiver(golden));
    await c.startReceiver(c.receiver(golden2));
  });
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  test("reproduces the session test vectors of docs/protocol.md §13.2 byte for byte from the text", () => {
    const run = spawnSync(PYTHON, [path.join(__dirname, "..", "..", "conformance", "python", "check_vectors.py")], { encoding: "utf8", timeout: 30_000 });
    const out = JSON.parse(run.stdout.trim());
    expect(Object.entries(out.checks).filter(([, ok]) => !ok)).toEqual([]);
    expect(Object.keys(out.checks).length).toBeGreaterThanOrEqual(18); // with the full-zstd@1 and delta-zstd@1 streams of §13.2
    expect(run.status).toBe(0);
  });

  test("completes a session: pinned TLS by name, mutual auth, offer, chunks, a receipt it verified; the site serves the cut", async () => {
    const big = "SECCION|CASILLA|VOTOS\n" + "0001|B1|42\n".repeat(400); // several 1 KiB chunks
    const pkg = pack(1, { "index.html": "<h1>PREP desde Python</h1>\n", "datos/presidencia.csv": big }, "2024-06-02T20:15:00-06:00");
    const { code, out } = python(pkg);
    expect(out).toMatchObject({
      status: "delivered",
      resumedFrom: 0,
      receipt: { format: "prepcast/receipt@1", receiverId: id, publisherId: "ople", sequence: 1, state: "active" },
    });
    expect(code).toBe(0);
    expect(out.framesSent[0]).toBe("publisher_auth");
    const site = await fetch(`http://127.0.0.1:${c.receiver(id).sitePort}/datos/presidencia.csv`);
    expect(await site.text()).toBe(big);
  });

  test("a transfer cut short resumes in the next session from the receiver's offset", async () => {
    const big = "SECCION|CASILLA|VOTOS\n" + "0001|B1|43\n".repeat(600);
    const pkg = pack(2, { "index.html": "<h1>PREP desde Python</h1>\n", "datos/presidencia.csv": big }, "2024-06-02T20:30:00-06:00");
    const first = python(pkg, ["--stop-after-chunks", "3"]);
    expect(first.out).toMatchObject({ status: "interrupted", bytesSent: 3072 });
    const second = python(pkg);
    expect(second.out).toMatchObject({ status: "delivered", receipt: { sequence: 2, state: "active" } });
    expect(second.out.resumedFrom).toBeGreaterThanOrEqual(1024);
    expect(second.out.resumedFrom % 1024).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${c.receiver(id).sitePort}/datos/presidencia.csv`)).text()).toBe(big);
  });

  test("the hostile session cases of conformance/sessions/ get the answers the spec gives (OfferReply codes, one Error frame + gRPC status + trailer)", () => {
    const pkg = pack(
      3,
      { "index.html": "<h1>corte 3</h1>\n", "datos/presidencia.csv": "SECCION|CASILLA|VOTOS\n" + "0001|B1|44\n".repeat(300) },
      "2024-06-02T20:45:00-06:00",
    );
    const transcripts = path.join(__dirname, "..", "..", "conformance", "sessions", "hostile-offers.json");
    const { code, out } = python(pkg, ["--transcripts", transcripts]);
    const failed = out.results.filter((r: { ok: boolean }) => !r.ok);
    expect(failed).toEqual([]);
    expect(out.total).toBe(JSON.parse(fs.readFileSync(transcripts, "utf8")).cases.length);
    expect(code).toBe(0);
  });

  test("an older cut is refused in the OfferReply (ROLLBACK); a wrong identity ends the session with one Error, UNAUTHENTICATED and the trailer", () => {
    const older = path.join(c.dir, "cut-1.prep");
    const refused = python(older);
    expect(refused.out).toMatchObject({ status: "refused", code: "ROLLBACK" });
    expect(refused.code).toBe(2);
    // another publisher identity: the receiver refuses the PublisherAuth
    const other = path.join(c.dir, "other-keys");
    cli(PUBLISHER_BIN, ["init", "--dir", other, "--id", "ople", "--json"]);
    const bad = python(older, [], path.join(other, "identity.key"));
    expect(bad.out).toMatchObject({ status: "failed", code: "AUTH_FAILED", grpcStatus: "UNAUTHENTICATED", trailerCode: "AUTH_FAILED" });
    expect(bad.code).toBe(3);
  });

  test("the golden receiver sessions of conformance/sessions/receiver-golden.json: every frame the receiver sends matches, field by field (happy path; an embargoed cut staged, then its volunteered active receipt)", () => {
    const file = path.join(__dirname, "..", "..", "conformance", "sessions", "receiver-golden.json");
    const names: string[] = JSON.parse(fs.readFileSync(file, "utf8")).scenarios.map((x: { name: string }) => x.name);
    expect(names).toHaveLength(9);
    const files = (n: number) => ({ "index.html": `<h1>corte ${n}</h1>\n`, "datos/presidencia.csv": "SECCION|CASILLA|VOTOS\n" + `0001|B1|${n}\n`.repeat(200) });
    const happy = python(pack(10, files(10), "2024-06-02T21:00:00-06:00"), ["--golden", file, "--scenario", names[0]!], undefined, golden);
    expect(happy.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(happy.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "end"]);
    expect(happy.code).toBe(0);
    // notBefore 12 s ahead (packing and starting Python take seconds on a loaded machine): the
    // receipt after PayloadEnd is staged, the active one comes unprompted
    const notBefore = new Date(Date.now() + 12_000).toISOString();
    const pkg = pack(11, files(11), "2024-06-02T21:15:00-06:00", ["--not-before", notBefore]);
    const started = Date.now();
    const embargo = python(pkg, ["--golden", file, "--scenario", names[1]!], undefined, golden);
    expect(embargo.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(embargo.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "receipt", "end"]);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(notBefore));
    expect(Date.now() - started).toBeLessThan(45_000);
    // the runner can fail: the happy path's active receipt expected of a cut still embargoed
    const early = python(
      pack(12, files(12), "2024-06-02T21:30:00-06:00", ["--not-before", new Date(Date.now() + 60_000).toISOString()]),
      ["--golden", file, "--scenario", names[0]!],
      undefined,
      golden,
    );
    expect(early.out).toMatchObject({ status: "golden", ok: false });
    expect(early.out.why).toMatch(/step 8 receipt\.state is 'staged', expected 'active'/);
    expect(early.code).toBe(5);
  });

  test("golden: a resumed transfer, the refusals (live cut again, ROLLBACK, REPLAY, the session going on), a delta-zstd@1 cut, a chunk ending the session with one Error + ABORTED + trailer, a delta against a base not held (NOT_FOUND, then full), full-zstd@1 with manifest_zstd, an idle session's Pings answered; the runner fails a wrong code and a wrong Pong value", async () => {
    const file = path.join(__dirname, "..", "..", "conformance", "sessions", "receiver-golden.json");
    const scenarios: Array<{ name: string }> = JSON.parse(fs.readFileSync(file, "utf8")).scenarios;
    const named = (prefix: string) => scenarios.find((x) => x.name.startsWith(prefix))!.name;
    const run = (pkg: string, scenario: string, extra: string[] = [], golden = file) =>
      python(pkg, ["--golden", golden, "--scenario", scenario, ...extra], undefined, golden2);
    const csv = (n: number, lines: number) => "SECCION|CASILLA|VOTOS\n" + `0001|B1|${n}\n`.repeat(lines);
    // 7.7 KB that zstd alone shrinks only to 4.1 KB; with the base version as dictionary a changed copy is a few bytes
    const noisy = (seed: number, lines: number) => {
      let x = seed;
      let out = "SECCION|CLAVE\n";
      for (let i = 0; i < lines; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        out += `${i}|${x.toString(16).padStart(8, "0")}\n`;
      }
      return out;
    };
    const site = async (p: string) => (await fetch(`http://127.0.0.1:${c.receiver(golden2).sitePort}/${p}`)).text();

    // resume: 3 chunks of 1 KiB, the call cancelled; the second session's Hello names the cut and 3072 bytes
    const cut20 = pack(20, { "index.html": "<h1>corte 20</h1>\n", "datos/presidencia.csv": noisy(20, 600) }, "2024-06-02T22:00:00-06:00");
    const resumed = run(cut20, named("resume"));
    expect(resumed.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(resumed.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "drop", "hello", "receiver_auth", "offer_reply", "receipt", "end"]);
    const payload20 = noisy(20, 600).length + "<h1>corte 20</h1>\n".length; // the full payload: the files in manifest order
    expect(resumed.out.framesSent.filter((f: string) => f === "chunk")).toHaveLength(Math.ceil(payload20 / 1024)); // 3, then the rest from 3072
    expect(resumed.code).toBe(0);
    expect(await site("datos/presidencia.csv")).toBe(noisy(20, 600));

    // refusals against live cut 20: an older cut 19 (never installed) and another cut numbered 20
    const cut19 = pack(19, { "index.html": "<h1>corte 19</h1>\n" }, "2024-06-02T21:45:00-06:00");
    const other20 = pack(20, { "index.html": "<h1>otro corte 20</h1>\n" }, "2024-06-02T22:00:00-06:00", [], "other-20");
    const refusals = run(cut20, named("refusals"), ["--base", cut19, "--other", other20]);
    expect(refusals.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(refusals.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "offer_reply", "offer_reply", "end"]);
    expect(refusals.code).toBe(0);
    // the runner fails a receiver that deviates: the same session expecting REPLAY where the receiver says ROLLBACK
    const wrong = path.join(c.dir, "wrong-code.json");
    fs.writeFileSync(wrong, fs.readFileSync(file, "utf8").replace('"code": "ROLLBACK"', '"code": "REPLAY"'));
    const deviates = run(cut20, named("refusals"), ["--base", cut19, "--other", other20], wrong);
    expect(deviates.out).toMatchObject({ status: "golden", ok: false });
    expect(deviates.out.why).toMatch(/step 9 offerReply\.code is 'ROLLBACK', expected 'REPLAY'/);
    expect(deviates.code).toBe(5);

    // delta-zstd@1 from live cut 20 to cut 21: index.html unchanged (COPY), the CSV changed (dictionary), a new file
    const files21 = { "index.html": "<h1>corte 20</h1>\n", "datos/presidencia.csv": noisy(20, 600) + "600|ffffffff\n", "datos/nuevo.csv": "A|B\n1|2\n" };
    const delta = run(pack(21, files21, "2024-06-02T22:15:00-06:00"), named("delta"), ["--base", cut20]);
    // manifest order: nuevo (LITERAL), presidencia (LITERAL against base file 0, zstd with it as dictionary), index (COPY)
    expect(delta.out).toMatchObject({ status: "golden", ok: true, why: null, deltaOps: [1, 2, 0], deltaGroupMethods: [1] });
    expect(delta.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "end"]);
    expect(delta.out.deltaSize).toBeLessThan(400); // of 7.7 KB, whose CSV zstd alone makes 4.1 KB: compressed against its base version
    expect(delta.out.fullSize).toBeGreaterThan(7000);
    expect(await site("datos/presidencia.csv")).toBe(files21["datos/presidencia.csv"]);
    expect(await site("datos/nuevo.csv")).toBe(files21["datos/nuevo.csv"]);

    // a chunk whose sha256 does not match: one Error HASH_MISMATCH, nothing after it, ABORTED with the trailer
    const cut22 = pack(22, { "index.html": "<h1>corte 22</h1>\n", "datos/presidencia.csv": csv(22, 300) }, "2024-06-02T22:30:00-06:00");
    const mismatch = run(cut22, named("a chunk"));
    expect(mismatch.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(mismatch.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "error", "end"]);
    expect(mismatch.code).toBe(0);

    // a delta against cut 19, which this receiver never held: NOT_FOUND in place of the receipt, then full in the same session
    const fallback = run(cut22, named("a delta against a base"), ["--base", cut19]);
    expect(fallback.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(fallback.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "error", "offer_reply", "receipt", "end"]);
    expect(fallback.code).toBe(0);
    expect(await site("datos/presidencia.csv")).toBe(csv(22, 300));

    // full-zstd@1 with the manifest as one zstd frame (the Hello lists both): every file a LITERAL in one zstd group, no base
    const cut23 = { "index.html": "<h1>corte 23</h1>\n", "datos/presidencia.csv": csv(23, 300) };
    const zstd = run(pack(23, cut23, "2024-06-02T22:45:00-06:00"), named("full-zstd@1"));
    expect(zstd.out).toMatchObject({ status: "golden", ok: true, why: null, zstdOps: [1, 1], zstdGroupMethods: [1] });
    expect(zstd.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "end"]);
    expect(zstd.out.framesSent).toEqual(["publisher_auth", "offer", "chunk", "payload_end"]);
    expect(zstd.out.zstdSize).toBeLessThan(zstd.out.fullSize);
    expect(zstd.out.manifestZstdSize).toBeLessThan(zstd.out.manifestSize);
    expect(zstd.code).toBe(0);
    expect(await site("datos/presidencia.csv")).toBe(cut23["datos/presidencia.csv"]);
    expect(await site("index.html")).toBe(cut23["index.html"]);

    // an idle session: two Pings (a clock reading, then 2^53 - 1) each answered by a Pong with the same value
    const pkg23 = path.join(c.dir, "cut-23.prep");
    const idle = run(pkg23, named("idle session"));
    expect(idle.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(idle.out.framesReceived).toEqual(["hello", "receiver_auth", "pong", "pong", "end"]);
    expect(idle.out.framesSent).toEqual(["publisher_auth", "ping", "ping"]);
    expect(idle.code).toBe(0);
    // the runner can fail: a Pong expected with another value
    const otherValue = path.join(c.dir, "pong-value.json");
    const spec = JSON.parse(fs.readFileSync(file, "utf8"));
    spec.scenarios.find((x: { name: string }) => x.name.startsWith("idle session")).steps[6].expect.pong.unixMs = "9007199254740990";
    fs.writeFileSync(otherValue, JSON.stringify(spec));
    const wrongPong = run(pkg23, named("idle session"), [], otherValue);
    expect(wrongPong.out).toMatchObject({ status: "golden", ok: false });
    expect(wrongPong.out.why).toMatch(/step 7 pong\.unixMs is '9007199254740991', expected '9007199254740990'/);
    expect(wrongPong.code).toBe(5);
  });
});
