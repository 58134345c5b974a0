import * as net from "node:net";
import * as sys from "../system";
import { fail, pass, skip, warn, type Check, type DoctorContext, type Finding } from "./check";

function splitListen(value: string): { host: string; port: number } | null {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(value);
  return m ? { host: m[1]!, port: Number(m[2]) } : null;
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", (e) => resolve(e as NodeJS.ErrnoException));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/** One listener of the config: free, held by this receiver's agent, or held by someone else. */
async function portCheck(ctx: DoctorContext, field: string, value: string): Promise<Finding> {
  const hp = splitListen(value);
  if (!hp) return fail(`${field} is ${JSON.stringify(value)}, not HOST:PORT`, `set ${field} to e.g. 0.0.0.0:443 in ${ctx.file}`);
  if (hp.port === 0) return skip(`${field} is ${value}: port 0 takes a free port at start`);
  // a listener conflicts when either side is a wildcard or both name the same address
  const wildcard = (a: string) => a === "" || a === "0.0.0.0" || a === "::";
  const listeners =
    sys.tcpListeners(hp.port)?.filter((l) => wildcard(hp.host) || wildcard(l.address) || l.address === hp.host || l.address === `::ffff:${hp.host}`) ?? null;
  const agent = sys.agentPid(ctx.root);
  if (listeners && listeners.length > 0) {
    const holders = sys.socketHolders(listeners.map((l) => l.inode));
    const addresses = [...new Set(listeners.map((l) => l.address))].join(", ");
    if (agent !== null && holders.length > 0 && holders.every((p) => sys.isWithin(p, agent)))
      return pass(`:${hp.port} (${field}) is held by this receiver's agent, PID ${agent} (ROOT/lock), listening on ${addresses}`);
    if (holders.length > 0) {
      const others = holders.filter((p) => agent === null || !sys.isWithin(p, agent));
      const who = others.map((p) => `PID ${p} (${sys.commandLine(p)})`).join(", ");
      return fail(
        `:${hp.port} (${field}) is held by another process: ${who}, listening on ${addresses}`,
        `stop or move that process (sudo ss -ltnp 'sport = :${hp.port}' shows it), or choose another port in ${field} of ${ctx.file}`,
      );
    }
    if (agent !== null)
      return warn(
        `:${hp.port} (${field}) is in use (${addresses}); the agent runs (PID ${agent}) but the holder is not visible to uid ${process.getuid?.() ?? "?"}`,
        `run doctor as root to name the holder: sudo prep-receiver doctor --config ${ctx.file}`,
      );
    return fail(
      `:${hp.port} (${field}) is held by a process this user cannot see (listening on ${addresses}), and the agent is not running`,
      `find it with sudo ss -ltnp 'sport = :${hp.port}' and stop it, or choose another port in ${field}`,
    );
  }
  // nobody listens: can the agent bind it? (address on this machine, privileged port)
  const err = await tryBind(hp.host, hp.port);
  if (err === null) return pass(`:${hp.port} on ${hp.host} (${field}) is free${listeners === null ? " (bound and released; /proc/net/tcp unreadable)" : ""}`);
  if (err.code === "EACCES") {
    return hp.port < 1024
      ? pass(
          `:${hp.port} (${field}) is free; binding a port below 1024 needs root or CAP_NET_BIND_SERVICE, which the PREPcast unit and image give the service (this user could not test the bind)`,
        )
      : fail(`:${hp.port} on ${hp.host} (${field}): permission denied`, `check the host's security policy for ${value}`);
  }
  if (err.code === "EADDRINUSE")
    return fail(`:${hp.port} (${field}) is in use by a process this user cannot see`, `find it with sudo ss -ltnp 'sport = :${hp.port}'`);
  if (err.code === "EADDRNOTAVAIL")
    return fail(`${hp.host} (${field}) is not an address of this machine`, `use 0.0.0.0 or one of this server's addresses (ip -brief address) in ${field}`);
  return fail(`${value} (${field}) cannot be bound: ${err.code ?? err.message}`, `check ${field} in ${ctx.file}`);
}

/** The listeners: public ports, and each configured port free or held by this agent. */
export const PORT_CHECKS: Check[] = [
  {
    id: "ports-public",
    title: "TCP 80/443 for everyone: the site, or a proxy in front of it (call)",
    run(ctx) {
      const hp = splitListen(ctx.config.site.listen);
      const port = hp?.port;
      if (port === 443 || port === 80)
        return pass(
          `the site listens on ${ctx.config.site.listen}${port === 80 && !ctx.config.site.tls ? " (HTTPS on 443 must come from your proxy or CDN)" : ""}`,
        );
      const taken = [80, 443].filter((p) => (sys.tcpListeners(p) ?? []).length > 0);
      if (taken.length > 0)
        return pass(
          `the site listens on ${ctx.config.site.listen}; something listens on ${taken.map((p) => `:${p}`).join(" and ")} (a proxy in front of it, /proc/net/tcp)`,
        );
      return warn(
        `the site listens on ${ctx.config.site.listen} and nothing listens on :80 or :443`,
        "the call opens 80/443 to everyone: set site.listen to 0.0.0.0:443 (with site.tls) or 0.0.0.0:80, or put a proxy on them (docs/operations/firewall.md)",
      );
    },
  },
  { id: "port-site", title: "site port free or held by the agent", run: (ctx) => portCheck(ctx, "site.listen", ctx.config.site.listen) },
  { id: "port-push", title: "push port free or held by the agent", run: (ctx) => portCheck(ctx, "push.listen", ctx.config.push.listen) },
  {
    id: "port-websocket",
    title: "WebSocket push port free or held by the agent",
    run: (ctx) =>
      typeof ctx.config.push.websocket === "object"
        ? portCheck(ctx, "push.websocket.listen", ctx.config.push.websocket.listen)
        : skip(ctx.config.push.websocket ? "push.websocket: true shares the site's port" : "push.websocket is off"),
  },
  { id: "port-admin", title: "admin port free or held by the agent", run: (ctx) => portCheck(ctx, "admin.listen", ctx.config.admin.listen) },
];

/** The way out to the OPLE (with --ople). */
export const OPLE_CHECKS: Check[] = [
  {
    id: "ople",
    title: "the OPLE reachable from here",
    async run(ctx) {
      if (!ctx.ople) return skip("no --ople URL given");
      const started = Date.now();
      try {
        const res = await fetch(ctx.ople, {
          method: "GET",
          redirect: "manual",
          signal: AbortSignal.timeout(ctx.timeoutMs),
          headers: { "user-agent": "prep-receiver-doctor/1" },
        });
        await res.body?.cancel().catch(() => undefined);
        return pass(`${ctx.ople} answered HTTP ${res.status} in ${Date.now() - started} ms`);
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
        return fail(
          `${ctx.ople} ${timedOut ? `did not answer within ${ctx.timeoutMs} ms` : `cannot be reached: ${err.cause?.code ?? err.message}`}`,
          "check DNS, the route and the outbound firewall towards the OPLE (and any proxy); the OPLE's UTSI can confirm its address",
        );
      }
    },
  },
];
