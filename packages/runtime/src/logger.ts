import pino, { type Logger } from "pino";

export type { Logger };

/** Field names whose values never reach a log line, wherever they appear. */
export const REDACTED_FIELDS = [
  "secretKey",
  "secret",
  "password",
  "token",
  "authorization",
  "*.secretKey",
  "*.secret",
  "*.password",
  "*.token",
  "headers.authorization",
  "req.headers.authorization",
];

/** pino JSON logs on stderr (stdout stays for command output), secrets redacted. */
export function createLogger(opts: { name: string; level?: string; destination?: NodeJS.WritableStream | number } = { name: "prepcast" }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.PREPCAST_LOG_LEVEL ?? "info",
      redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    typeof opts.destination === "object"
      ? (opts.destination as pino.DestinationStream)
      : pino.destination({ fd: typeof opts.destination === "number" ? opts.destination : 2, sync: false }),
  );
}
