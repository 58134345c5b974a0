// Long suite (npm run test:hardening): kill -9 of a receiver process at random points of transfer
// and activation, PREPCAST_KILLS times in a row (default 50). The fast version (3) is in faults.test.ts.
import { killReceiverLoop } from "./support/kill-loop";

const KILLS = Number(process.env.PREPCAST_KILLS ?? 50);
jest.setTimeout(KILLS * 60_000 + 120_000);

test(`kill -9 of a receiver at random points of transfer and activation, ${KILLS} times in a row: the live tree is always exactly one signed cut and converges to the latest`, async () => {
  const report = await killReceiverLoop(KILLS, Number(process.env.PREPCAST_SEED ?? Date.now()));
  console.log(`kill -9 loop: ${JSON.stringify(report)}`);
  expect(report).toMatchObject({ kills: KILLS, converged: KILLS, mixesFound: 0, emptyAfterLive: 0 });
});
