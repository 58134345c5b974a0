import * as fs from "node:fs";
import * as path from "node:path";
import { parseManifest, PrepcastError } from "@prepcast/protocol";
import type { ResolvedPublisherConfig } from "../service/config";
import { adminRequest } from "../cli/admin-client";
import type { PublicListInput } from "./public-list";

interface OverviewLike {
  latest: { sequence: number; corte: string } | null;
  receivers: Array<{ id: string; monitor: { linkEnabled: boolean; probe: { verdict: string; served: { corte: string | null } | null } | null } | null }>;
}

/** From the running service (link states and the corte each site served at its last probe), or null when it is not running. */
export async function serviceListInput(config: ResolvedPublisherConfig): Promise<PublicListInput | null> {
  let o: OverviewLike;
  try {
    o = (await adminRequest(config, "GET", "/api/overview")) as OverviewLike;
  } catch (e) {
    if (e instanceof PrepcastError && e.code === "UNAVAILABLE") return null;
    throw e;
  }
  if (!Array.isArray(o.receivers)) throw new PrepcastError("AUTH_FAILED", "the running service did not return its overview", { hint: "check admin.tokenFile" });
  const byId = new Map(o.receivers.map((r) => [r.id, r]));
  return {
    title: config.publicList.title,
    process: config.process,
    channel: config.channel,
    generatedAt: new Date(),
    latest: o.latest,
    difusores: config.receiverEntries.map((e) => {
      const m = byId.get(e.id)?.monitor;
      const probe = m?.probe;
      return {
        id: e.id,
        name: e.name,
        publicUrl: e.publicUrl ?? null,
        logo: e.logo ?? null,
        linkEnabled: m?.linkEnabled ?? true,
        corte: probe && probe.verdict !== "down" && probe.verdict !== "notice" ? (probe.served?.corte ?? null) : null,
      };
    }),
  };
}

/** From the saved state (STATE/monitor-state.json and the signed cuts) when the service is not running. */
export async function offlineListInput(config: ResolvedPublisherConfig): Promise<PublicListInput> {
  let saved: { receivers?: Record<string, { linkEnabled?: boolean }> } = {};
  const stateFile = path.join(config.state, "monitor-state.json");
  if (fs.existsSync(stateFile)) {
    try {
      saved = JSON.parse(fs.readFileSync(stateFile, "utf8")) as typeof saved;
    } catch (e) {
      throw new PrepcastError("STATE_INVALID", `${stateFile}: ${(e as Error).message}`, {
        where: stateFile,
        hint: "a damaged state file must not re-enable a suspended difusor's link: restore it from backup",
      });
    }
  }
  let latest: PublicListInput["latest"] = null;
  const cutsDir = path.join(config.state, "cuts");
  const names = fs.existsSync(cutsDir)
    ? fs
        .readdirSync(cutsDir)
        .filter((n) => /^\d{6,}-[0-9a-f]{12}$/.test(n))
        .sort()
        .reverse()
    : [];
  for (const name of names) {
    try {
      const m = parseManifest(fs.readFileSync(path.join(cutsDir, name, "prepcast", "manifest.json")));
      if (m.process === config.process && m.channel === config.channel) {
        latest = { sequence: m.sequence, corte: m.corte };
        break;
      }
    } catch {
      /* an unreadable cut is not the latest */
    }
  }
  return {
    title: config.publicList.title,
    process: config.process,
    channel: config.channel,
    generatedAt: new Date(),
    latest,
    difusores: config.receiverEntries.map((e) => ({
      id: e.id,
      name: e.name,
      publicUrl: e.publicUrl ?? null,
      logo: e.logo ?? null,
      linkEnabled: saved.receivers?.[e.id]?.linkEnabled ?? true,
      corte: null,
    })),
  };
}
