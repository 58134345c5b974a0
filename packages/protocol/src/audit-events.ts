// The one list of audit events each side writes, with what each records. The audit log's writer
// is typed by these lists (AuditLog<ReceiverAuditEvent>, AuditLog<PublisherAuditEvent>), so an
// event name that is not listed here does not compile; docs/protocol.md §10.1 prints them and a
// test keeps the two in step. Names are append-only: readers of old logs (the memoria, the OPLE's
// report, incident lists) match them, so an event is never renamed, only added.

/** Written by the log itself, on either side. */
export const LOG_AUDIT_EVENTS = {
  "audit.torn-tail-recovered": "the log ended in a half-written line (a crash or a full disk); the fragment is kept, base64, and the chain continues",
  "audit.log-restarted": "a damaged log was moved aside as evidence (audit.log.broken-<time>) and this new log started",
} as const;

/** The receiver's cut store (offline installs and the push channel alike). */
export const STORE_AUDIT_EVENTS = {
  "cut.committed": "a verified cut's files are in place under cuts/ (before it goes live)",
  "cut.activated": "the live site switched to this cut (the atomic `current` symlink)",
  "cut.staged": "a verified cut waits for its embargo (notBefore) to go live",
  "cut.refused": "a package or offered cut was refused before anything changed, with its code",
  "cut.retraction": "a cut the OPLE signed as a retraction went live although its corte is earlier",
  "cut.removed": "an older cut's directory was removed by retention",
  "root.upgraded": "a cut brought a higher root version signed by the thresholds of the pinned root and of the new one; it is pinned from then on",
  "store.recovered": "at start-up, an install interrupted by a crash was completed or rolled back",
  "store.completed": "at start-up, a cut committed before a crash was switched live (or staged)",
  "store.orphan-removed": "at start-up, a staging or cut directory no state names was removed",
  "store.record-dropped": "a state record naming a missing cut was dropped",
} as const;

/** The receiver agent (prep-receiver run): the push channel, notices, the agent's life. */
export const AGENT_AUDIT_EVENTS = {
  agent_started: "the agent started: its id, version, listeners and the live cut",
  agent_stopped: "the agent stopped cleanly",
  connection_rejected: "a connection to the push port from an address outside the allowlist was dropped before TLS",
  connection_rejected_suppressed: "how many more rejected connections the last minute had (recorded as one line)",
  auth_failed: "a peer failed the push channel's mutual authentication",
  auth_failed_suppressed: "how many more authentication failures the last minute had (recorded as one line)",
  publisher_connected: "the OPLE's publisher authenticated on the push channel",
  clock_skew: "the publisher's clock differs from ours by more than the warning threshold",
  offer: "the publisher offered a cut",
  refused: "an offered cut was refused, with its code",
  transfer_started: "the transfer of an accepted offer began (or resumed from an offset)",
  received: "the whole payload arrived and its hash matched",
  transfer_failed: "a transfer or its install failed, with its code",
  installed: "a cut received over the push channel went live",
  staged: "a cut received over the push channel waits for its embargo",
  activated: "a staged cut went live when its embargo ended",
  receipt_sent: "the signed receipt for a cut was sent to the publisher",
  notice_applied: "a signed notice from the OPLE (suspension, reinstatement, test) was applied",
  notice_rejected: "a notice was refused (bad signature, another receiver or process), with its code",
} as const;

/** The publisher service and its operators' actions (prep-publisher run, the dashboard). */
export const PUBLISHER_SERVICE_AUDIT_EVENTS = {
  service_started: "the service started: publisher id, process, channel, receivers",
  service_stopped: "the service stopped cleanly",
  cut_prepared: "a new cut was signed, copied and hashed, ready to send",
  cut_refused: "a cut from the inbox or `push` was refused (order, signature, layout), with its code",
  cut_retraction: "a cut signed as a retraction was accepted although its corte is earlier",
  keyset_changed: "the service loaded a new keyset from its keys directory (rotation, revocation, renewal): versions, keys added and removed",
  keyset_reload_failed: "the keys directory's files do not load together (half copied, wrong signature, lower version); the previous keyset stays in use",
  cuts_pruned: "prepared cuts no receiver holds, beyond the newest kept, were removed by retention (retention.keepCuts)",
  inbox_rejected: "an inbox item could not be read as a cut",
  connected: "a receiver's push session authenticated (its address, agent version, live cut, doctor summary)",
  auth_failed: "a receiver failed authentication or its TLS pin did not match",
  session_failed: "a push session to a receiver failed, with its code",
  offer: "a cut was offered to a receiver (encoding, base, bytes)",
  delivered: "a receiver accepted and installed a cut (bytes sent, time)",
  refused: "a receiver refused an offered cut, with its code",
  transfer_failed: "a transfer to a receiver failed, with its code",
  receipt: "a receiver's signed receipt was verified and stored",
  notice_sent: "a signed notice (suspension, reinstatement, test) was sent to a receiver",
  probe_state: "the public probe of a difusor's site changed verdict",
  probe_outage: "the probe could not judge any difusor (the OPLE's own network), so failed periods were not counted",
  probe_outage_over: "the probe outage ended",
  suspended: "a difusor was suspended (by the 45-minute rule or by an operator), with the evidence",
  reinstated: "a suspended difusor was reinstated",
  link_restored: "a reinstated difusor's site serves the live cut again: its link is back on the public list",
  test_notice: "an operator sent a test notice to a difusor",
  push_again: "an operator asked to push the latest cut to a difusor again",
  publication_ended: "the end of publication of the final cut passed: monitoring stops counting failures",
  logo_refused: "a difusor's logo failed the SVG allowlist and was left off the public list",
  dashboard_login: "an operator logged in to the dashboard",
  dashboard_login_failed: "a dashboard login failed (recorded at most 20 a minute)",
  dashboard_login_failed_suppressed: "how many more failed logins the last minute had",
  notification_sent: "an email or webhook notice to people was delivered",
  notification_failed: "an email or webhook notice could not be delivered after its retries",
} as const;

/** The keyset's history (`KEYS/keyset-history.log`), written by the offline `prep-publisher keys` commands. */
export const KEYSET_HISTORY_AUDIT_EVENTS = {
  keyset_rotated: "`keys rotate`: a new signing key and keyset version N+1, signed by the root key",
  keyset_revoked: "`keys revoke`: keyset version N+1 without the revoked signing key(s)",
  keyset_renewed: "`keys renew`: keyset version N+1 with a later expiry, the same keys",
  root_rotated:
    "`keys root-rotate`: root version V+1 with new root keys, signed by the threshold of version V and of V+1; the keyset re-signed by the new root",
} as const;

export const RECEIVER_AUDIT_EVENTS = { ...LOG_AUDIT_EVENTS, ...STORE_AUDIT_EVENTS, ...AGENT_AUDIT_EVENTS } as const;
export const PUBLISHER_AUDIT_EVENTS = { ...LOG_AUDIT_EVENTS, ...PUBLISHER_SERVICE_AUDIT_EVENTS } as const;

export type StoreAuditEvent = keyof typeof LOG_AUDIT_EVENTS | keyof typeof STORE_AUDIT_EVENTS;
export type ReceiverAuditEvent = keyof typeof RECEIVER_AUDIT_EVENTS;
export type PublisherAuditEvent = keyof typeof PUBLISHER_AUDIT_EVENTS;
export type KeysetHistoryAuditEvent = keyof typeof LOG_AUDIT_EVENTS | keyof typeof KEYSET_HISTORY_AUDIT_EVENTS;
