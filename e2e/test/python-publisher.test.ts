// A second implementation of the publisher, written in Python from docs/protocol.md alone
// (conformance/python/prepcast_publisher.py), against the real receiver: `prep-receiver run` with
// TLS, its certificate pinned by fingerprint and checked by name through its subjectAltName,
// mutual authentication, an offer, chunks, a verified receipt; then a transfer cut short and
// resumed in a second session, a refused offer, and a refusal that ends the session (one Error
// frame, gRPC status and the prepcast-error-code trailer) as a non-JS client sees them; and the
// golden receiver sessions of conformance/sessions/receiver-golden.json (every frame the receiver
// sends checked field by field; an embargoed cut staged, then its volunteered active receipt).
// Needs Debian's python3-grpcio, python3-protobuf and python3-cryptography (/usr/bin/python3);
// skipped, saying so, when they are missing.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, PUBLISHER_BIN, cli } from "@prepcast/testkit";

const PYTHON = "/usr/bin/python3";
const SCRIPT = path.join(__dirname, "..", "..", "conformance", "python", "prepcast_publisher.py");
const probe = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf, cryptography"], { encoding: "utf8" });
const available = probe.status === 0;
if (!available)
  console.warn(
    `python-publisher.test.ts skipped: ${PYTHON} lacks grpc/protobuf/cryptography (apt-get install -y python3-grpcio python3-protobuf python3-cryptography)`,
  );
const maybe = available ? describe : describe.skip;

jest.setTimeout(120_000);

maybe("a publisher written in Python from the spec, against the real receiver", () => {
  let c: Cluster;
  const id = "uv-python";
  const golden = "uv-golden"; // a receiver of its own for the golden sessions: empty, no partial left by the hostile cases
  const pack = (sequence: number, files: Record<string, string>, corte: string, extra: string[] = []): string => {
    const dir = path.join(c.dir, `cut-${sequence}`);
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content);
    }
    const out = path.join(c.dir, `cut-${sequence}.prep`);
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
    ]);
    await c.startReceiver(c.receiver(id));
    await c.startReceiver(c.receiver(golden));
  });
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  test("reproduces the session test vectors of docs/protocol.md §13.2 byte for byte from the text", () => {
    const run = spawnSync(PYTHON, [path.join(__dirname, "..", "..", "conformance", "python", "check_vectors.py")], { encoding: "utf8", timeout: 30_000 });
    const out = JSON.parse(run.stdout.trim());
    expect(Object.entries(out.checks).filter(([, ok]) => !ok)).toEqual([]);
    expect(Object.keys(out.checks).length).toBeGreaterThanOrEqual(15);
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
    expect(names).toHaveLength(2);
    const files = (n: number) => ({ "index.html": `<h1>corte ${n}</h1>\n`, "datos/presidencia.csv": "SECCION|CASILLA|VOTOS\n" + `0001|B1|${n}\n`.repeat(200) });
    const happy = python(pack(10, files(10), "2024-06-02T21:00:00-06:00"), ["--golden", file, "--scenario", names[0]!], undefined, golden);
    expect(happy.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(happy.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "end"]);
    expect(happy.code).toBe(0);
    // notBefore 4 s ahead: the receipt after PayloadEnd is staged, the active one comes unprompted
    const notBefore = new Date(Date.now() + 4000).toISOString();
    const pkg = pack(11, files(11), "2024-06-02T21:15:00-06:00", ["--not-before", notBefore]);
    const started = Date.now();
    const embargo = python(pkg, ["--golden", file, "--scenario", names[1]!], undefined, golden);
    expect(embargo.out).toMatchObject({ status: "golden", ok: true, why: null });
    expect(embargo.out.framesReceived).toEqual(["hello", "receiver_auth", "offer_reply", "receipt", "receipt", "end"]);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(notBefore));
    expect(Date.now() - started).toBeLessThan(30_000);
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
});
