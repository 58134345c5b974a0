import * as fs from "node:fs";
import { PrepcastError } from "@prepcast/protocol";
import { parseListen } from "@prepcast/runtime";
import type { ResolvedPublisherConfig } from "../service/config";

/** Talks to a running `prep-publisher run` over its admin listener (bearer token when configured). */
export async function adminRequest(config: ResolvedPublisherConfig, method: "GET" | "POST", pathname: string, body?: unknown): Promise<unknown> {
  const { host, port } = parseListen(config.admin.listen, "admin.listen");
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.admin.tokenFile) headers.authorization = `Bearer ${fs.readFileSync(config.admin.tokenFile, "utf8").trim()}`;
  let res: Response;
  try {
    res = await fetch(`http://${h}:${port}${pathname}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(method === "POST" ? 600_000 : 5000),
    });
  } catch (e) {
    throw new PrepcastError("UNAVAILABLE", `the publisher service is not answering on ${h}:${port} (admin.listen in ${config.file})`, {
      cause: e,
      where: "admin.listen",
      hint: `start it with \`prep-publisher run --config ${config.file}\` (in another terminal, or as the prep-publisher systemd service)`,
    });
  }
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PrepcastError("PROTOCOL_ERROR", `unexpected answer from the publisher service (${res.status})`);
  }
}
