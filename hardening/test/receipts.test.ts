// Receipts are the OPLE's evidence of who showed what and when: exactly one per install on the
// session that delivered, and one more when an embargoed cut is switched on by its timer.
import { siteFiles, startAgentRig, waitFor } from "./support/rig";

jest.setTimeout(60_000);

test("one receipt per install: consecutive cuts on one session each get their own receipt, no stray receipt in between", async () => {
  const rig = await startAgentRig({ site: false });
  try {
    const s = await rig.connect();
    for (let seq = 1; seq <= 3; seq++) {
      const res = await s.deliver(rig.ople.plan(rig.ople.cut(seq, siteFiles(`cut-${seq}`))));
      expect(res).toMatchObject({ status: "delivered", receipt: { sequence: seq, state: "active" } });
    }
    // nothing else is waiting on the session
    expect(await s.idle(300)).toBeNull();
    await s.close();
  } finally {
    await rig.close();
  }
});

test("an embargoed cut gets a staged receipt at install and an active one from the timer at notBefore", async () => {
  const rig = await startAgentRig({ site: false });
  try {
    const s = await rig.connect();
    const notBefore = new Date(Date.now() + 2500);
    const res = await s.deliver(rig.ople.plan(rig.ople.cut(1, siteFiles("embargo"), { notBefore })));
    expect(res).toMatchObject({ status: "delivered", receipt: { sequence: 1, state: "staged" } });
    const later = await waitFor("the timer's receipt", () => s.idle(1000), 10_000, 0);
    expect(later).toMatchObject({ receipt: { doc: { sequence: 1, state: "active" } } });
    expect(Date.parse((later as { receipt: { doc: { activatedAt: string } } }).receipt.doc.activatedAt)).toBeGreaterThanOrEqual(notBefore.getTime());
    await s.close();
  } finally {
    await rig.close();
  }
});
