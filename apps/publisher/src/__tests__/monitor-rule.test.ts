import {
  addEvidence,
  automaticSuspensionReason,
  dueForSuspension,
  isProbeOutage,
  MAX_EVIDENCE,
  ruleActive,
  stepProbe,
  suspensionEvidence,
  type RunState,
} from "../monitor/rule";

// The call's numbers: 15-minute update periods, suspension after 3 of them (45 minutes).
const PERIOD_MS = 15 * 60_000;
const LIMIT = 3;
const T0 = Date.parse("2027-06-06T20:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const never = () => false;

/** Feeds probes (minute, verdict) to one difusor's run, as the monitor does, and returns the run. */
function run(probes: Array<[number, string]>, start: RunState = { failingSince: null, failedPeriods: 0 }): RunState {
  let state = start;
  for (const [minute, verdict] of probes) {
    state = stepProbe({
      run: state,
      suspended: false,
      verdict,
      probeAt: at(minute),
      expected: true,
      now: T0 + minute * 60_000,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded: never,
    }).run;
  }
  return state;
}
const due = (r: RunState) => dueForSuspension({ run: r, suspended: false, probed: true, suspendAfterPeriods: LIMIT });

describe("the 45-minute rule (pure)", () => {
  test("3 consecutive failed 15-minute periods are due for suspension", () => {
    const r = run([
      [0, "stale"],
      [15, "stale"],
      [30, "down"],
      [45, "stale"],
    ]);
    expect(r).toEqual({ failingSince: at(0), failedPeriods: 3 });
    expect(due(r)).toBe(true);
  });

  test("2 periods (44 minutes) are not", () => {
    const r = run([
      [0, "stale"],
      [15, "wrong"],
      [30, "stale"],
      [44, "down"],
    ]);
    expect(r).toEqual({ failingSince: at(0), failedPeriods: 2 });
    expect(due(r)).toBe(false);
  });

  test("a clock that steps back does not stall the rule: a run starting after now starts now", () => {
    // a probe begun before the clock stepped back two hours reports its (later) time afterwards
    const late = stepProbe({
      run: { failingSince: null, failedPeriods: 0 },
      suspended: false,
      verdict: "down",
      probeAt: at(120),
      expected: true,
      now: T0,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded: never,
    }).run;
    expect(late).toEqual({ failingSince: at(0), failedPeriods: 0 });
    // and an earlier run whose start lies ahead after the step is restarted the same way
    expect(run([[10, "down"]], { failingSince: at(120), failedPeriods: 0 })).toEqual({ failingSince: at(10), failedPeriods: 0 });
    // so 45 minutes of failures after the step are due, as always
    expect(
      due(
        run(
          [
            [15, "down"],
            [30, "down"],
            [45, "down"],
            [60, "down"],
          ],
          late,
        ),
      ),
    ).toBe(true);
  });

  test("a served probe resets the run: failures before and after it do not add up", () => {
    const r = run([
      [0, "stale"],
      [30, "stale"],
      [40, "ok"],
      [41, "stale"],
      [85, "stale"],
    ]);
    expect(r).toEqual({ failingSince: at(41), failedPeriods: 2 });
    expect(due(r)).toBe(false);
    const served = stepProbe({
      run: { failingSince: at(0), failedPeriods: 5 },
      suspended: false,
      verdict: "ok",
      probeAt: at(80),
      expected: true,
      now: T0,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded: never,
    });
    expect(served).toEqual({ outcome: "served", run: { failingSince: null, failedPeriods: 0 } });
  });

  test("a failure only counts with a public cut to serve, and not while suspended", () => {
    const base = {
      run: { failingSince: null, failedPeriods: 0 },
      verdict: "down",
      probeAt: at(0),
      now: T0 + 60 * 60_000,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded: never,
    };
    expect(stepProbe({ ...base, suspended: false, expected: false })).toEqual({ outcome: "not-counted", run: { failingSince: null, failedPeriods: 0 } });
    expect(stepProbe({ ...base, suspended: true, expected: true }).outcome).toBe("not-counted");
    expect(stepProbe({ ...base, suspended: false, expected: true })).toEqual({ outcome: "failing", run: { failingSince: at(0), failedPeriods: 4 } });
  });

  test("awaiting the push after a reinstatement, and after the end of publication, nothing is counted", () => {
    const base = {
      run: { failingSince: at(0), failedPeriods: 2 },
      suspended: false,
      verdict: "stale",
      probeAt: at(40),
      expected: true,
      now: T0 + 40 * 60_000,
      periodMs: PERIOD_MS,
    };
    expect(stepProbe({ ...base, awaitingPush: () => true, publicationEnded: never })).toEqual({
      outcome: "awaiting-push",
      run: { failingSince: null, failedPeriods: 0 },
    });
    expect(stepProbe({ ...base, awaitingPush: never, publicationEnded: () => true })).toEqual({
      outcome: "publication-ended",
      run: { failingSince: null, failedPeriods: 0 },
    });
  });

  test("the end of publication is asked only when a failure would count", () => {
    let asked = 0;
    const publicationEnded = () => (asked++, false);
    stepProbe({
      run: { failingSince: null, failedPeriods: 0 },
      suspended: false,
      verdict: "ok",
      probeAt: at(0),
      expected: true,
      now: T0,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded,
    });
    stepProbe({
      run: { failingSince: null, failedPeriods: 0 },
      suspended: true,
      verdict: "down",
      probeAt: at(0),
      expected: true,
      now: T0,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded,
    });
    expect(asked).toBe(0);
    stepProbe({
      run: { failingSince: null, failedPeriods: 0 },
      suspended: false,
      verdict: "down",
      probeAt: at(0),
      expected: true,
      now: T0,
      periodMs: PERIOD_MS,
      awaitingPush: never,
      publicationEnded,
    });
    expect(asked).toBe(1);
  });

  test("an already suspended or never probed difusor is not due", () => {
    const r = { failingSince: at(0), failedPeriods: 5 };
    expect(dueForSuspension({ run: r, suspended: true, probed: true, suspendAfterPeriods: LIMIT })).toBe(false);
    expect(dueForSuspension({ run: r, suspended: false, probed: false, suspendAfterPeriods: LIMIT })).toBe(false);
    expect(dueForSuspension({ run: r, suspended: false, probed: true, suspendAfterPeriods: 6 })).toBe(false);
  });

  test("the rule pauses when off, during a probe outage, or after publication", () => {
    expect(ruleActive({ autoSuspend: true, outage: false, publicationEnded: never })).toBe(true);
    expect(ruleActive({ autoSuspend: false, outage: false, publicationEnded: never })).toBe(false);
    expect(ruleActive({ autoSuspend: true, outage: true, publicationEnded: never })).toBe(false);
    expect(ruleActive({ autoSuspend: true, outage: false, publicationEnded: () => true })).toBe(false);
  });

  test("a probe outage is 3 or more sites all down at once", () => {
    expect(isProbeOutage(["down", "down", "down"])).toBe(true);
    expect(isProbeOutage(["down", "down"])).toBe(false);
    expect(isProbeOutage(["down", "down", "stale"])).toBe(false);
    expect(isProbeOutage([])).toBe(false);
  });

  test("evidence keeps the first failure and the latest ones; the last probe is added once", () => {
    const streak: number[] = [];
    for (let i = 1; i <= 20; i++) addEvidence(streak, i);
    expect(streak).toHaveLength(MAX_EVIDENCE);
    expect(streak[0]).toBe(1);
    expect(streak[streak.length - 1]).toBe(20);
    expect(streak[1]).toBe(10);
    expect(suspensionEvidence([1, 2], 2)).toEqual([1, 2]);
    expect(suspensionEvidence([1, 2], 3)).toEqual([1, 2, 3]);
    expect(suspensionEvidence([], null)).toEqual([]);
  });

  test("the automatic suspension's reason cites the run and the last probe", () => {
    expect(automaticSuspensionReason({ failingSince: at(0), failedPeriods: 3 }, { code: "STALE_CUT", message: "corte 4 en vez de 5" }, T0 + 46 * 60_000)).toBe(
      `el sitio público no sirvió el corte más reciente durante 3 periodos de actualización consecutivos (desde ${at(0)}, 46 min); última verificación: STALE_CUT corte 4 en vez de 5`,
    );
  });
});
