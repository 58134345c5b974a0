import { EventLoopTurns } from "../index";

describe("EventLoopTurns", () => {
  it("within its budget resolves without letting a pending macrotask run", async () => {
    const turns = new EventLoopTurns(60_000);
    let ran = false;
    setImmediate(() => (ran = true));
    await turns.maybeYield();
    expect(ran).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(true);
  });

  it("past its budget gives the event loop a real turn (a pending setImmediate runs first)", async () => {
    const turns = new EventLoopTurns(0);
    let ran = false;
    setImmediate(() => (ran = true));
    await turns.maybeYield();
    expect(ran).toBe(true);
  });

  it("a long synchronous job that calls it between steps lets timers and I/O callbacks in", async () => {
    const turns = new EventLoopTurns(5);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const until = Date.now() + 100;
    while (Date.now() < until) {
      const stepEnd = Date.now() + 2;
      while (Date.now() < stepEnd) {
        /* 2 ms of synchronous work, like creating a batch of files */
      }
      await turns.maybeYield();
    }
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });
});
