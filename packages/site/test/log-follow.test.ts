// followNginxLog on plain files (the real nginx runs in apps/receiver/test/nginx-follow.test.ts):
// a line longer than a chunk is skipped once, CRLF lines parse, a restart resumes at the stored
// offset, a followed file that vanished is reported as lost, and --follow takes one file only.
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAnalyticsStore, followNginxLog, ingestLogsCommand, type FollowEvent } from "../src";
import { tempRoot } from "./fixtures";

const line = (ua: string, eol = "\n"): string => `10.0.0.1 - - [02/Jun/2024:20:15:03 -0600] "GET /index.html HTTP/1.1" 200 5 "-" "${ua}"${eol}`;

async function followFor(db: string, log: string, ms: number): Promise<{ hits: number; events: FollowEvent[]; errorCount: number }> {
  const store = createAnalyticsStore(db);
  const events: FollowEvent[] = [];
  try {
    const r = await followNginxLog(store, log, { signal: AbortSignal.timeout(ms), pollMs: 20, chunkBytes: 1024, onEvent: (e) => events.push(e) });
    return { hits: r.hits, events, errorCount: r.errorCount };
  } finally {
    store.close();
  }
}

test("long lines, CRLF, restart at the stored offset, a replaced file (even on the same inode) reported as lost", async () => {
  const dir = tempRoot("prepcast-follow-");
  const log = join(dir, "access.log");
  const db = join(dir, "a.sqlite");
  writeFileSync(log, line("a") + line("x".repeat(3000)) + line("b", "\r\n") + line("c").slice(0, 30));
  const first = await followFor(db, log, 300);
  expect(first.hits).toBe(2); // a and b; the long line skipped; c is half-written
  expect(first.errorCount).toBe(1);
  expect(first.events.find((e) => e.kind === "malformed")).toMatchObject({ message: expect.stringContaining("longer than 1024; skipped") });

  appendFileSync(log, line("c").slice(30) + line("d"));
  const second = await followFor(db, log, 300);
  expect(second.hits).toBe(2); // c (completed) and d, nothing read twice
  expect(second.events[0]).toMatchObject({ kind: "start", resumed: true });

  rmSync(log);
  writeFileSync(log, line("e"));
  const third = await followFor(db, log, 300);
  expect(third.hits).toBe(1);
  expect(third.events.find((e) => e.kind === "lost")).toMatchObject({ message: expect.stringContaining("are not counted") });
  const store = createAnalyticsStore(db);
  expect(store.count()).toBe(5);
  store.close();
});

test("--follow takes exactly one file and no --force", async () => {
  const dir = tempRoot("prepcast-follow-");
  let err = "";
  const io = { stdout: () => undefined, stderr: (s: string) => void (err += s) };
  expect(await ingestLogsCommand({ files: ["a.log", "b.log"], db: join(dir, "a.sqlite"), follow: true, io })).toBe(78);
  expect(err).toContain("--follow reads one access log, got 2");
  expect(await ingestLogsCommand({ files: ["a.log"], db: join(dir, "a.sqlite"), follow: true, force: true, io })).toBe(78);
  expect(err).toContain("--force does not apply to --follow");
});
