// Listen addresses of the site's options: "HOST:PORT" strings are parsed by the runtime's
// parseListen (the one every service uses). Kept apart from listener.ts so cluster workers, which
// receive addresses already parsed, do not load the runtime package.
import { parseListen as parseHostPort } from "@prepcast/runtime";

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * "HOST:PORT", ":PORT" (all IPv4 addresses) or "[::1]:PORT" → {host, port}, parsed by the
 * runtime's parseListen; an address already parsed is taken as is, none is `fallback`. What does
 * not parse is a TypeError naming the value (the site's options, not a config file).
 */
export function parseListen(value: string | ListenAddress | undefined, fallback: ListenAddress): ListenAddress {
  if (value === undefined) return fallback;
  if (typeof value !== "string") return value;
  const hostPort = value.trim();
  try {
    return parseHostPort(hostPort.startsWith(":") ? `0.0.0.0${hostPort}` : hostPort, "listen");
  } catch {
    throw new TypeError(`listen address "${value}" is not HOST:PORT (example: 0.0.0.0:8080)`);
  }
}
