// The README's command blocks, word for word, in order, on one machine (see support/guides.ts):
// the two five-minute sections with the agent and the service running "in other terminals".
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, repoLikeDir, requireBuilt, runGuide, waitForPorts } from "./support/guides";

jest.setTimeout(15 * 60_000);

test("every shell block of README.md runs as written, in order, on one machine", async () => {
  requireBuilt();
  await waitForPorts(5 * 60_000);
  const dir = repoLikeDir("prepcast-readme-");
  const r = await runGuide(path.join(REPO, "README.md"), dir);
  if (r.status !== 0)
    throw new Error(`README.md did not run as written (exit ${r.status}, ${r.seconds} s):\n${r.stderr.slice(-6000)}\n--- stdout ---\n${r.stdout.slice(-4000)}`);
  expect(r.stderr).toContain("doc-script: README.md ran to the end");
  // what the reader is told happens, happened
  expect(r.stdout).toContain("1/1 receivers have cut 2");
  expect(r.stderr).toContain("error [CORTE_ROLLBACK]");
  expect(r.stdout).toMatch(/OK: \d+ of \d+ files checked, all identical to the signed manifest/);
  expect(r.stderr).toContain("error [ROLLBACK]");
  // the retraction is in both audit logs, and both services stopped cleanly at the end
  const events = (file: string) =>
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { event: string }).event);
  const publisher = events(path.join(dir, "ople", "state", "audit.log"));
  const receiver = events(path.join(dir, "difusor", "data", "audit.log"));
  expect(publisher).toContain("cut_retraction");
  expect(receiver).toContain("cut.retraction");
  expect(publisher.at(-1)).toBe("service_stopped");
  expect(receiver.at(-1)).toBe("agent_stopped");
});
