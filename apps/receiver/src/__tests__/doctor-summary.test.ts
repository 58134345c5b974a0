import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fromWireDoctor, toWireDoctor } from "@prepcast/session";
import { readDoctorSummary, writeDoctorSummary } from "../doctor/summary";

// ROOT/doctor.json is local input the agent puts on the wire: anything but the expected shape is
// "no summary", and the publisher bounds what it receives the same way.

const root = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-doctor-summary-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(root);
const good = { checkedAt: "2024-06-01T18:00:00.000Z", passed: 12, warnings: 2, failed: 1, skipped: 2, failedChecks: ["keys"], warningChecks: ["os", "ntp"] };
const file = path.join(root, "doctor.json");

test("written by doctor into a state directory, read back by the agent", async () => {
  expect(await writeDoctorSummary(root, good)).toMatchObject({ file: null, problem: expect.stringContaining("holds no agent state yet") });
  expect(fs.readdirSync(root)).toEqual([]);
  fs.writeFileSync(path.join(root, "audit.log"), "");
  expect(await writeDoctorSummary(root, good)).toEqual({ file, problem: null });
  expect((fs.statSync(file).mode & 0o777).toString(8)).toBe("644");
  expect(readDoctorSummary(root)).toEqual(good);
  expect(await writeDoctorSummary(path.join(root, "absent"), good)).toMatchObject({ file: null, problem: expect.stringContaining("holds no agent state yet") });
});

test.each([
  ["another format", { ...good, format: "x" }],
  ["a negative count", { format: "prepcast/doctor-summary@1", ...good, failed: -1 }],
  ["an id that is not a check's", { format: "prepcast/doctor-summary@1", ...good, failedChecks: ["<script>"] }],
  ["too many ids", { format: "prepcast/doctor-summary@1", ...good, warningChecks: Array.from({ length: 33 }, () => "os") }],
  ["no date", { format: "prepcast/doctor-summary@1", ...good, checkedAt: "ayer" }],
])("%s is no summary", (_name, doc) => {
  fs.writeFileSync(file, JSON.stringify(doc));
  expect(readDoctorSummary(root)).toBeNull();
});

test("an oversized file or a symlink is no summary", () => {
  fs.writeFileSync(file, JSON.stringify({ format: "prepcast/doctor-summary@1", ...good, pad: "x".repeat(20_000) }));
  expect(readDoctorSummary(root)).toBeNull();
  fs.rmSync(file);
  fs.writeFileSync(path.join(root, "elsewhere.json"), JSON.stringify({ format: "prepcast/doctor-summary@1", ...good }));
  fs.symlinkSync(path.join(root, "elsewhere.json"), file);
  expect(readDoctorSummary(root)).toBeNull();
});

test("on the wire: round trip, and a peer's summary bounded (ids shaped like checks, counts clamped)", () => {
  expect(fromWireDoctor(toWireDoctor(good))).toEqual(good);
  expect(fromWireDoctor({ checkedUnixMs: 1, passed: 5_000_000, failed: 1, failedChecks: ["keys", "\u001b[31mrojo", "x".repeat(40)] })).toMatchObject({
    passed: 1000,
    failedChecks: ["keys"],
  });
  expect(fromWireDoctor(null)).toBeNull();
});
