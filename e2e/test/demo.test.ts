// `npm run demo` opens for the person who ran it: its dashboard logs in with the printed token,
// its cuts carry today's times (no site or agent page says the cut is stale), and its summary
// counts receivers, not receipts. The demo's own code (runPushDemo), with real processes.
import { runPushDemo } from "../../demo/src/push-demo";

jest.setTimeout(180_000);

test("the demo's dashboard logs in with the printed token, its cuts are not stale, its summary counts receivers", async () => {
  const lines: string[] = [];
  let checkedDashboard = false;
  let checkedSites = false;
  const { dir, receiptsSummary } = await runPushDemo({
    cuts: 2,
    intervalMs: 0,
    out: (l) => lines.push(l),
    onReady: async ({ cluster, token }) => {
      const url = cluster.adminUrl;
      expect(lines.join("\n")).toContain(`log in with the operator token ${token}`);
      expect((await fetch(`${url}/`)).status).toBe(200); // the login page, not "Panel bloqueado" (503)
      const wrong = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ secreto: "not-the-token" }), redirect: "manual" });
      expect(wrong.status).toBe(401);
      const login = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ secreto: token }), redirect: "manual" });
      expect(login.status).toBe(303);
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      const page = await fetch(`${url}/`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("dashboard.js");
      checkedDashboard = true;
    },
    beforeStop: async ({ cluster }) => {
      for (const r of cluster.receivers) {
        const status = (await (await fetch(`http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`)).json()) as {
          sequence: number;
          stale: boolean;
          corte: string;
        };
        expect(status).toMatchObject({ sequence: 2, stale: false });
        expect(Math.abs(Date.parse(status.corte) - Date.now())).toBeLessThan(10 * 60_000);
        const agentPage = await (await fetch(`http://127.0.0.1:${r.adminPort}/`)).text();
        expect(agentPage).not.toContain("desactualizado");
        expect(agentPage).toContain("Publicando");
      }
      checkedSites = true;
    },
  });
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  expect(checkedDashboard && checkedSites).toBe(true);
  expect(lines.filter((l) => /^corte \d \(.*\): \d+ files -> 2\/2 receivers live/.test(l))).toHaveLength(2);
  expect(receiptsSummary).toContain("2 of 2 receiver(s) have a cut live");
});
