// What one request leaves in the analytics store: the raw hit the server records (raw IP and UA
// never leave the writer), the sink it is recorded into, and how much of each field is kept.

/** One request as the analytics store receives it (raw IP and UA never leave the writer). */
export interface RawHit {
  time: number;
  ip: string;
  ua: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  referrer: string;
  /** Sec-Fetch-Dest, when the browser sent it ("document", "iframe", "script", ...). */
  dest: string;
  /** The response was an HTML page (content type), used to tell pageviews from other hits. */
  html: boolean;
  /** Beacons only: time spent on `path`, reported by the banner at pagehide. */
  durationMs?: number;
}

export interface AnalyticsSink {
  record(hit: RawHit): void;
}

/** What of a request is kept, at most (longer values are cut): the store's row stays small whatever the client sends. */
export const HIT_LIMITS = { path: 1024, referrer: 256, ua: 512, method: 16, dest: 16 } as const;
