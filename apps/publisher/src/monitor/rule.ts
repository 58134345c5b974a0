/**
 * The call's 45-minute rule as pure functions: state in, decision out (no I/O, no timers, no
 * clock). The monitor (monitor.ts) feeds it probe results and acts on what it returns.
 *
 * A difusor's "run" is the time its public site has been failing to serve the latest public cut:
 * it begins at the first failed probe and counts whole update periods since then. Once the run
 * reaches suspendAfterPeriods periods (3 x 15 min by default) the difusor is due for suspension.
 */

/** The part of a difusor's monitor state the rule reads and writes. */
export interface RunState {
  /** Time the current run of failed probes began (null while the site serves the latest cut). */
  failingSince: string | null;
  /** Whole update periods elapsed since failingSince. */
  failedPeriods: number;
}

/** What a probe result means for the run. */
export type ProbeOutcome =
  /** the site serves the latest cut: the run ends, its evidence is dropped */
  | "served"
  /** just reinstated and the latest cut is still on its way: the run waits, evidence kept */
  | "awaiting-push"
  /** after the signed end of publication: recorded, never counted; evidence dropped */
  | "publication-ended"
  /** counts towards the rule: the run goes on (or starts), the probe is evidence */
  | "failing"
  /** suspended already, or no public cut to serve yet: the run is left as it is */
  | "not-counted";

export interface ProbeStepInput {
  run: RunState;
  suspended: boolean;
  /** The probe's verdict ("ok" = the site serves the latest cut). */
  verdict: string;
  /** The probe's time (ISO). */
  probeAt: string;
  /** Whether there was a public cut to expect (a failure only counts once there is one). */
  expected: boolean;
  now: number;
  periodMs: number;
  /** Reinstated and the link has not delivered the expected cut yet. Asked only when it matters. */
  awaitingPush: () => boolean;
  /** The OPLE's final cut is public and its publishUntil has passed. Asked only when it matters. */
  publicationEnded: () => boolean;
}

/** Applies one probe result to a difusor's run. */
export function stepProbe(i: ProbeStepInput): { outcome: ProbeOutcome; run: RunState } {
  const reset: RunState = { failingSince: null, failedPeriods: 0 };
  if (i.verdict === "ok") return { outcome: "served", run: reset };
  if (i.suspended || !i.expected) return { outcome: "not-counted", run: { ...i.run } };
  if (i.awaitingPush()) return { outcome: "awaiting-push", run: reset };
  if (i.publicationEnded()) return { outcome: "publication-ended", run: reset };
  let failingSince = i.run.failingSince ?? i.probeAt;
  // A run that starts after now means the clock stepped back (NTP, an operator), or a probe begun
  // before the step finished after it: the run starts now. Kept in the future, it would count
  // negative periods, and suspend no one, for as long as the step.
  if (Date.parse(failingSince) > i.now) failingSince = new Date(i.now).toISOString();
  return { outcome: "failing", run: { failingSince, failedPeriods: Math.floor((i.now - Date.parse(failingSince)) / i.periodMs) } };
}

/**
 * Whether the rule applies at all right now: on (autoSuspend), no probe outage in progress, and
 * publication not over. `publicationEnded` is asked only when the first two hold.
 */
export function ruleActive(i: { autoSuspend: boolean; outage: boolean; publicationEnded: () => boolean }): boolean {
  return i.autoSuspend && !i.outage && !i.publicationEnded();
}

/** Whether a difusor's run is long enough for suspension (and it has a probe to cite). */
export function dueForSuspension(i: { run: RunState; suspended: boolean; probed: boolean; suspendAfterPeriods: number }): boolean {
  return !i.suspended && !!i.run.failingSince && i.run.failedPeriods >= i.suspendAfterPeriods && i.probed;
}

/** The reason recorded for an automatic suspension (audit log, notice evidence, operator's list). */
export function automaticSuspensionReason(run: RunState & { failingSince: string }, last: { code: string; message: string }, now: number): string {
  const minutes = Math.round((now - Date.parse(run.failingSince)) / 60_000);
  return `el sitio público no sirvió el corte más reciente durante ${run.failedPeriods} periodos de actualización consecutivos (desde ${run.failingSince}, ${minutes} min); última verificación: ${last.code} ${last.message}`;
}

/**
 * After a full round: every probed site (3 or more) unreachable at once. The likelier cause is
 * the OPLE's own network, so the rule pauses rather than suspend everyone on election night.
 */
export function isProbeOutage(verdicts: readonly string[]): boolean {
  return verdicts.length >= 3 && verdicts.every((v) => v === "down");
}

/** At most this many probe results are kept as a run's evidence (the first and the latest ones). */
export const MAX_EVIDENCE = 12;

/** Adds a failed probe to a run's evidence, keeping the first one and the latest MAX_EVIDENCE - 1. */
export function addEvidence<T>(streak: T[], probe: T): T[] {
  streak.push(probe);
  if (streak.length > MAX_EVIDENCE) streak.splice(1, 1);
  return streak;
}

/** The evidence a suspension carries: the run's probes plus the last probe if it is not among them. */
export function suspensionEvidence<T>(streak: readonly T[], last: T | null): T[] {
  return [...streak, ...(last && !streak.includes(last) ? [last] : [])].slice(-MAX_EVIDENCE);
}
