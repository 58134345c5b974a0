import * as fs from "node:fs";
import * as path from "node:path";
import { AUDIT_GENESIS_HASH, AuditLog, auditEntryHash, canonicalize, readAuditLog, sha256Hex, verifyAuditLog } from "../index";
import { errorOf, tempDir } from "./helpers";

describe("audit log", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, "audit.log");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function writeEntries(n: number): void {
    let t = 0;
    const log = AuditLog.open(file, { now: () => new Date(Date.UTC(2024, 5, 2, 20, 0, t++)) });
    for (let i = 1; i <= n; i++) log.append("cut.installed", { sequence: i, note: `entry ${i}` });
    log.close();
  }
  const lines = () => fs.readFileSync(file, "utf8").split("\n").slice(0, -1);
  const writeLines = (ls: string[]) => fs.writeFileSync(file, ls.map((l) => `${l}\n`).join(""));

  it("writes canonical, hash-chained JSON lines", () => {
    writeEntries(3);
    const ls = lines();
    expect(ls).toHaveLength(3);
    const first = JSON.parse(ls[0]!);
    expect(ls[0]).toBe(canonicalize(first));
    expect(Object.keys(first)).toEqual(["data", "event", "hash", "prev", "seq", "time"]);
    expect(first.prev).toBe(AUDIT_GENESIS_HASH);
    expect(first.seq).toBe(1);
    expect(first.time).toBe("2024-06-02T20:00:00Z");
    // hash = sha256Hex(prev + "\n" + canonical(entry without hash)), recomputed here by hand
    const { hash, ...rest } = first;
    expect(hash).toBe(sha256Hex(`${first.prev}\n${canonicalize(rest)}`));
    expect(auditEntryHash(rest)).toBe(hash);
    expect(JSON.parse(ls[1]!).prev).toBe(hash);
    const v = verifyAuditLog(file);
    expect(v).toEqual({ ok: true, entries: 3, lastHash: JSON.parse(ls[2]!).hash });
    expect(readAuditLog(file).map((e) => e.data.sequence)).toEqual([1, 2, 3]);
  });

  it("continues the chain after reopening", () => {
    writeEntries(2);
    const log = AuditLog.open(file);
    const e = log.append("cut.activated", { sequence: 2 });
    log.close();
    expect(e.seq).toBe(3);
    expect(e.prev).toBe(JSON.parse(lines()[1]!).hash);
    expect(verifyAuditLog(file).entries).toBe(3);
  });

  it("two AuditLog objects on one file in one process extend a single chain", () => {
    const a = AuditLog.open(file);
    const b = AuditLog.open(path.join(dir, ".", "audit.log"));
    for (let i = 0; i < 10; i++) (i % 2 ? a : b).append("x.event", { i });
    a.close();
    b.append("x.event", { last: true });
    b.close();
    expect(verifyAuditLog(file).entries).toBe(11);
  });

  it("picks up entries appended by another writer before extending the chain", () => {
    const a = AuditLog.open(file);
    a.append("x.event", { by: "a" });
    // a second process is simulated by appending a valid entry with plain fs
    const last = JSON.parse(lines()[0]!);
    const partial = { data: { by: "other" }, event: "x.event", prev: last.hash, seq: 2, time: "2024-06-02T20:00:00Z" };
    fs.appendFileSync(file, `${canonicalize({ ...partial, hash: auditEntryHash(partial) })}\n`);
    a.append("x.event", { by: "a again" });
    a.close();
    expect(verifyAuditLog(file).entries).toBe(3);
  });

  it("detects an edited field", () => {
    writeEntries(4);
    const ls = lines();
    ls[1] = ls[1]!.replace('"sequence":2', '"sequence":9');
    writeLines(ls);
    const e = errorOf(() => verifyAuditLog(file));
    expect(e.code).toBe("AUDIT_LOG_TAMPERED");
    expect(e.where).toBe(`${file}:2`);
    expect(e.details?.reason).toBe("hash-mismatch");
  });

  it("detects an edit that also recomputes the line's own hash (the next line no longer chains)", () => {
    writeEntries(4);
    const ls = lines();
    const entry = JSON.parse(ls[1]!);
    entry.data.note = "rewritten";
    const { hash: _old, ...rest } = entry;
    ls[1] = canonicalize({ ...rest, hash: auditEntryHash(rest) });
    writeLines(ls);
    const e = errorOf(() => verifyAuditLog(file));
    expect(e.where).toBe(`${file}:3`);
    expect(e.details?.reason).toBe("prev-mismatch");
  });

  it("detects two swapped lines", () => {
    writeEntries(4);
    const ls = lines();
    [ls[1], ls[2]] = [ls[2]!, ls[1]!];
    writeLines(ls);
    expect(errorOf(() => verifyAuditLog(file)).where).toBe(`${file}:2`);
  });

  it("detects a deleted line", () => {
    writeEntries(4);
    const ls = lines();
    ls.splice(2, 1);
    writeLines(ls);
    const e = errorOf(() => verifyAuditLog(file));
    expect(e.code).toBe("AUDIT_LOG_TAMPERED");
    expect(e.where).toBe(`${file}:3`);
  });

  it("detects an inserted line, even a well-formed copy", () => {
    writeEntries(3);
    const ls = lines();
    ls.splice(1, 0, ls[0]!);
    writeLines(ls);
    expect(errorOf(() => verifyAuditLog(file)).where).toBe(`${file}:2`);
  });

  it("detects a line that is not canonical JSON", () => {
    writeEntries(2);
    const ls = lines();
    ls[0] = ls[0]!.replace('"data":', '"data": ');
    writeLines(ls);
    expect(errorOf(() => verifyAuditLog(file)).details?.reason).toBe("not-canonical");
  });

  it("reports a torn final line distinctly: the chain before it is intact", () => {
    writeEntries(3);
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, whole.length - 20));
    const e = errorOf(() => verifyAuditLog(file));
    expect(e.code).toBe("AUDIT_LOG_TAMPERED");
    expect(e.details?.reason).toBe("torn-tail");
    expect(e.details?.intactEntries).toBe(2);
    expect(e.where).toBe(`${file}:3`);
    expect(e.message).toMatch(/the 2 entries before it are intact/);
  });

  it("detects lines cut from the end only against a recorded last hash", () => {
    writeEntries(3);
    const recorded = verifyAuditLog(file).lastHash;
    writeLines(lines().slice(0, 2));
    expect(verifyAuditLog(file).entries).toBe(2); // the file alone cannot tell
    expect(errorOf(() => verifyAuditLog(file, { expectLastHash: recorded })).details?.reason).toBe("last-hash-mismatch");
  });

  it("refuses to append to a tampered log, and startNew moves it aside and records the break", () => {
    writeEntries(3);
    const ls = lines();
    ls[0] = ls[0]!.replace("entry 1", "entry X");
    writeLines(ls);
    const tamperedBytes = fs.readFileSync(file);
    expect(errorOf(() => AuditLog.open(file)).code).toBe("AUDIT_LOG_TAMPERED");
    expect(fs.readFileSync(file).equals(tamperedBytes)).toBe(true); // nothing appended, nothing lost
    const log = AuditLog.startNew(file, "tampered log found at startup");
    log.close();
    const moved = fs.readdirSync(dir).find((n) => n.startsWith("audit.log.broken-"))!;
    expect(fs.readFileSync(path.join(dir, moved)).equals(tamperedBytes)).toBe(true);
    const fresh = readAuditLog(file);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.event).toBe("audit.log-restarted");
    expect(fresh[0]!.data.previousLog).toBe(path.join(dir, moved));
  });

  it("refuses a torn tail on open unless asked to recover, and recovery keeps the fragment", () => {
    writeEntries(2);
    fs.appendFileSync(file, '{"data":{"seq');
    expect(errorOf(() => AuditLog.open(file)).details?.reason).toBe("torn-tail");
    const log = AuditLog.open(file, { recoverTornTail: true });
    log.append("x.after", {});
    log.close();
    const entries = readAuditLog(file);
    expect(entries.map((e) => e.event)).toEqual(["cut.installed", "cut.installed", "audit.torn-tail-recovered", "x.after"]);
    expect(Buffer.from(entries[2]!.data.fragmentBase64 as string, "base64").toString()).toBe('{"data":{"seq');
  });

  it("records operational values outside canonical JSON instead of losing the event", () => {
    const log = AuditLog.open(file);
    const e = log.append("x.event", { ratio: 0.5, big: 2 ** 60, n: 10n, when: new Date("2024-06-03T02:15:00Z"), skipped: undefined, list: [1, undefined] });
    log.close();
    expect(e.data).toEqual({ ratio: "0.5", big: String(2 ** 60), n: "10", when: "2024-06-03T02:15:00Z", list: [1, null] });
    expect(readAuditLog(file)[0]!.data).toEqual(e.data);
  });

  it("refuses a bad event name or a function in data without writing anything", () => {
    const log = AuditLog.open(file);
    expect(errorOf(() => log.append("Bad Event", {})).code).toBe("INTERNAL");
    expect(errorOf(() => log.append("x.event", { f: () => 1 })).code).toBe("NOT_CANONICAL");
    log.close();
    expect(fs.readFileSync(file).length).toBe(0);
  });
});
