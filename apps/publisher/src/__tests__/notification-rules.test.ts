// Which audit entries become notices to people, once per episode (notify/rules.ts).
import type { AuditEntry } from "@prepcast/protocol";
import { NotificationRules } from "../notify/rules";

let seq = 0;
const entry = (event: string, data: Record<string, unknown>): AuditEntry => ({
  seq: ++seq,
  time: "2024-06-02T21:00:00Z",
  event,
  data,
  prev: "0".repeat(64),
  hash: String(seq).padStart(64, "0"),
});

describe("notification rules", () => {
  test("suspension and reinstatement: one notice each, naming the audit entry", () => {
    const r = new NotificationRules({ pushFailures: 3 });
    const s = entry("suspended", { receiver: "uv", manual: false, reason: "3 periodos", failedPeriods: 3 });
    expect(r.feed(s)).toEqual([expect.objectContaining({ event: "suspended", receiver: "uv", cause: { seq: s.seq, hash: s.hash, event: "suspended" } })]);
    expect(r.feed(entry("reinstated", { receiver: "uv", by: "ana", reason: "ok" }))).toEqual([
      expect.objectContaining({ event: "reinstated", receiver: "uv" }),
    ]);
  });

  test("a failing site is announced once per episode, then its recovery once; each difusor on its own", () => {
    const r = new NotificationRules({ pushFailures: 3 });
    const probe = (receiver: string, to: string) =>
      r.feed(entry("probe_state", { receiver, from: null, to, code: to === "ok" ? "OK" : "STALE", message: "m" })).map((n) => n.event);
    expect(probe("uv", "stale")).toEqual(["site_failing"]);
    expect(probe("uv", "down")).toEqual([]); // same episode, other verdict
    expect(probe("unam", "down")).toEqual(["site_failing"]);
    expect(probe("uv", "ok")).toEqual(["site_recovered"]);
    expect(probe("uv", "ok")).toEqual([]); // nothing to recover from
    expect(probe("uv", "wrong")).toEqual(["site_failing"]); // a new episode
  });

  test("pushes: failing after N failures in a row, once; a delivery resets the count and announces the recovery", () => {
    const r = new NotificationRules({ pushFailures: 3 });
    const fail = () => r.feed(entry("transfer_failed", { receiver: "uv", sequence: 7, code: "UNAVAILABLE", message: "down" })).map((n) => n.event);
    const deliver = () => r.feed(entry("delivered", { receiver: "uv", sequence: 7 })).map((n) => n.event);
    expect([fail(), fail()]).toEqual([[], []]);
    expect(deliver()).toEqual([]); // two failures then a delivery: nothing to say
    expect([fail(), fail(), fail(), fail()]).toEqual([[], [], ["push_failing"], []]);
    expect(deliver()).toEqual(["push_recovered"]);
  });

  test("entries about no difusor, or events it does not know, cause nothing", () => {
    const r = new NotificationRules({ pushFailures: 1 });
    expect(r.feed(entry("probe_outage", { since: "x", difusores: 3 }))).toEqual([]);
    expect(r.feed(entry("notification_sent", { receiver: "uv", event: "suspended" }))).toEqual([]);
  });
});
