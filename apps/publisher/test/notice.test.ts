// Signed notices: what the receiver accepts, what it refuses, and its replay guard (the agent's
// NoticeKeeper writing the file the site server reads).
import * as fs from "node:fs";
import * as path from "node:path";
import { AuditLog, generateKeyPair, isPrepcastError } from "@prepcast/protocol";
import { signNotice, verifyNotice, type NoticeDoc } from "@prepcast/session";
import { REPO, tmpDir } from "./helpers";

const publisher = generateKeyPair();
const other = generateKeyPair();
const doc = (over: Partial<NoticeDoc> = {}): NoticeDoc => ({
  format: "prepcast/notice@1",
  kind: "suspension",
  publisherId: "ople",
  receiverId: "uv",
  process: "VER-2024",
  channel: "produccion",
  issuedAt: "2024-06-03T03:05:00.000Z",
  text: "Publicación suspendida por el OPLE.",
  ...over,
});
const expectFor = { publisherKey: publisher.publicKey, publisherId: "ople", receiverId: "uv", process: "VER-2024" };
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isPrepcastError(e) ? e.code : String(e);
  }
  return "accepted";
};

test("a notice signed by the pinned publisher for this receiver verifies", () => {
  const { notice, signature } = signNotice(doc(), publisher.secretKey);
  expect(verifyNotice(notice, signature, expectFor, "t")).toEqual(doc());
});

test.each([
  ["signed by another key", () => signNotice(doc(), other.secretKey), "SIGNATURE_INVALID"],
  [
    "with one byte changed",
    () => {
      const s = signNotice(doc(), publisher.secretKey);
      return { notice: Buffer.from(s.notice.toString().replace("suspendida", "suspendidA")), signature: s.signature };
    },
    "SIGNATURE_INVALID",
  ],
  [
    "with a truncated signature",
    () => {
      const s = signNotice(doc(), publisher.secretKey);
      return { notice: s.notice, signature: s.signature.subarray(0, 63) };
    },
    "SIGNATURE_INVALID",
  ],
  ["addressed to another receiver", () => signNotice(doc({ receiverId: "otro" }), publisher.secretKey), "PEER_NOT_ALLOWED"],
  ["naming another publisher", () => signNotice(doc({ publisherId: "intruso" }), publisher.secretKey), "PEER_NOT_ALLOWED"],
  ["for another process", () => signNotice(doc({ process: "PUE-2024" }), publisher.secretKey), "CHANNEL_MISMATCH"],
  ["with a time without offset", () => signNotice(doc({ issuedAt: "2024-06-03T03:05:00" }), publisher.secretKey), "PROTOCOL_ERROR"],
  ["with an unknown kind", () => signNotice({ ...doc(), kind: "borrar-todo" as NoticeDoc["kind"] }, publisher.secretKey), "PROTOCOL_ERROR"],
])("a notice %s is refused", (_what, make, code) => {
  const { notice, signature } = make();
  expect(codeOf(() => verifyNotice(notice, signature, expectFor, "t"))).toBe(code);
});

interface Keeper {
  apply(d: NoticeDoc, signed: { notice: Buffer; signature: Buffer }): Promise<"applied" | "duplicate">;
  status(): { active: { kind: string } | null; lastTest: { text: string } | null };
  noticeFile: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NoticeKeeper } = require(path.join(REPO, "apps/receiver/src/agent/notices")) as {
  NoticeKeeper: new (root: string, audit: AuditLog, channels: string[]) => Keeper;
};

test("the agent applies notices in order, ignores repeats, refuses replays and other channels", async () => {
  const root = tmpDir("notices");
  const audit = AuditLog.open(path.join(root, "audit.log"));
  try {
    const keeper = new NoticeKeeper(root, audit, ["produccion"]);
    const signed = (d: NoticeDoc) => {
      const s = signNotice(d, publisher.secretKey);
      return { notice: s.notice, signature: Buffer.from(s.signature) };
    };
    const suspension = doc();
    expect(await keeper.apply(suspension, signed(suspension))).toBe("applied");
    const file = JSON.parse(fs.readFileSync(keeper.noticeFile, "utf8")) as Record<string, unknown>;
    expect(file).toEqual({ title: "Publicación de resultados suspendida", text: suspension.text, active: true, issuedAt: suspension.issuedAt });
    expect(await keeper.apply(suspension, signed(suspension))).toBe("duplicate");
    // a test notice does not disturb the suspension, and is ordered on its own
    const t = doc({ kind: "test", text: "prueba", issuedAt: "2024-06-03T03:06:00.000Z" });
    expect(await keeper.apply(t, signed(t))).toBe("applied");
    expect(keeper.status()).toMatchObject({ active: { kind: "suspension" }, lastTest: { text: "prueba" } });
    const reinstatement = doc({ kind: "reinstatement", text: "restablecido", issuedAt: "2024-06-03T04:00:00.000Z" });
    expect(await keeper.apply(reinstatement, signed(reinstatement))).toBe("applied");
    expect(fs.existsSync(keeper.noticeFile)).toBe(false);
    // the old suspension replayed later is refused, and the site stays as it is
    const older = doc({ issuedAt: "2024-06-03T03:59:59.000Z", text: "repetido" });
    await expect(keeper.apply(older, signed(older))).rejects.toMatchObject({ code: "REPLAY" });
    expect(fs.existsSync(keeper.noticeFile)).toBe(false);
    const drill = doc({ channel: "simulacro", issuedAt: "2024-06-03T05:00:00.000Z" });
    await expect(keeper.apply(drill, signed(drill))).rejects.toMatchObject({ code: "CHANNEL_MISMATCH" });
    // the guard survives a restart of the agent
    const again = new NoticeKeeper(root, audit, ["produccion"]);
    await expect(again.apply(older, signed(older))).rejects.toMatchObject({ code: "REPLAY" });
    expect(again.status().active).toBeNull();
  } finally {
    audit.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
