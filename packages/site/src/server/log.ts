// The site's logger: anything with pino's info/warn/error(obj, msg) shape (the receiver may pass
// its own); by default warnings and errors go to stderr as one JSON line each.

export interface SiteLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const stderrLogger: SiteLogger = {
  info: () => {},
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "warn", msg, ...obj })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "error", msg, ...obj })}\n`),
};
