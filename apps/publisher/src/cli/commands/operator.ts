import * as os from "node:os";
import { PrepcastError, type ErrorCode } from "@prepcast/protocol";
import type { ResolvedPublisherConfig } from "../../service/config";
import { adminRequest } from "../admin-client";

/** Sends an operator action to the running service; its refusal becomes a typed error. */
export async function operatorAction(
  config: ResolvedPublisherConfig,
  id: string,
  action: "suspend" | "reinstate" | "notice" | "push",
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const r = (await adminRequest(config, "POST", `/api/receivers/${encodeURIComponent(id)}/${action}`, body)) as Record<string, unknown>;
  if (r.ok !== true) {
    throw new PrepcastError((typeof r.code === "string" ? r.code : "INTERNAL") as ErrorCode, typeof r.message === "string" ? r.message : `${action} failed`, {
      ...(typeof r.hint === "string" ? { hint: r.hint } : {}),
      where: id,
    });
  }
  return r;
}

export function defaultOperator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "operador";
  }
}
