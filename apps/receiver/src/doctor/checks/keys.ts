import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import { DEFAULT_PUBLISH_UNTIL, effectiveRoot, inspectStore, keysetExpiry, liveKeyset, type RootOfTrust, type TrustRoot } from "@prepcast/protocol";
import { configuredRoot } from "../../agent/config";
import { num, REQUIREMENTS as R } from "../requirements";
import * as sys from "../system";
import { fail, pass, skip, warn, type Check, type DoctorContext, type Finding } from "./check";

function certCheck(ctx: DoctorContext, field: "push.tls" | "site.tls"): Finding {
  const tls = field === "push.tls" ? ctx.config.push.tls : ctx.config.site.tls;
  if (!tls)
    return skip(
      field === "site.tls" ? "site.tls is not set: the site serves plain HTTP (a proxy or CDN in front must serve HTTPS on 443)" : "push.tls is not set",
    );
  const file = ctx.resolve(tls.cert);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(fs.readFileSync(file));
  } catch (e) {
    return fail(
      `${file} (${field}.cert) cannot be read as a PEM certificate: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      `point ${field}.cert at the certificate file (-----BEGIN CERTIFICATE-----)`,
    );
  }
  const now = ctx.now.getTime();
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const renew =
    field === "push.tls"
      ? "make a new push certificate (prep-receiver init --dir NEW, then use NEW/tls.crt and tls.key) and send the new registration.yaml to the OPLE: it pins the fingerprint"
      : "renew the site's certificate (e.g. sudo certbot renew) and restart the agent";
  if (now > to) return fail(`${file} (${field}.cert) expired on ${new Date(to).toISOString()}`, renew);
  if (now < from)
    return fail(
      `${file} (${field}.cert) is not valid before ${new Date(from).toISOString()} (check this machine's clock)`,
      "fix the clock (docs/operations/ntp.md) or the certificate",
    );
  const days = Math.floor((to - now) / 86_400_000);
  const end = Date.parse(DEFAULT_PUBLISH_UNTIL);
  if (now < end && to < end)
    return warn(`${file} (${field}.cert) expires on ${new Date(to).toISOString()}, before the end of publication (${DEFAULT_PUBLISH_UNTIL})`, renew);
  if (days < num(R.certWarnDays)) return warn(`${file} (${field}.cert) expires in ${days} days (${new Date(to).toISOString()})`, renew);
  return pass(`${file} (${field}.cert) valid until ${new Date(to).toISOString()} (${days} days)`);
}

/** The OPLE's signing keyset of the live cut: expired (every new cut refused) or expiring soon. */
function keysetCheck(ctx: DoctorContext): Finding {
  let keyset: ReturnType<typeof liveKeyset>;
  try {
    keyset = fs.existsSync(ctx.root) ? liveKeyset(inspectStore(ctx.root, "root")) : null;
  } catch (e) {
    return warn(
      `the live cut's keyset in ${ctx.root} cannot be read: ${(e as Error).message}`,
      "run `prep-receiver status --root ROOT` and `prep-receiver audit verify`; reinstall the latest cut if the state directory was altered",
    );
  }
  if (!keyset) return skip(`nothing installed yet in ${ctx.root}: the keyset arrives with the first cut`);
  const e = keysetExpiry(keyset, ctx.now, num(R.keysetWarnDays));
  const ask = "tell the OPLE: it must issue a renewed keyset with its root key (prep-publisher keys renew); the next cut brings it, nothing to change here";
  if (e.expired)
    return fail(`keyset version ${keyset.version} of the live cut expired at ${keyset.expires}: new cuts signed with it are refused (KEYSET_EXPIRED)`, ask);
  if (e.expiringSoon) return warn(`keyset version ${keyset.version} of the live cut expires in ${e.daysLeft} day(s), at ${keyset.expires}`, ask);
  return pass(`keyset version ${keyset.version} of the live cut valid until ${keyset.expires} (${e.daysLeft} days)`);
}

/**
 * The root of trust in force: the configured root.pub or root set (root.json, self-signed by its
 * threshold), or the higher version a cut brought and the state keeps (checked again here), and
 * its expiry: an expired root makes every keyset, hence every cut, refused.
 */
function rootCheck(ctx: DoctorContext): Finding {
  const value = ctx.config.trust.rootPublicKey;
  let configured: RootOfTrust;
  try {
    configured = configuredRoot(value, (p) => ctx.resolve(p));
  } catch (e) {
    return fail(
      `trust.rootPublicKey: ${(e as Error).message}`,
      "copy the root.pub (or root.json and root.sig) the OPLE handed out next to the config, and check the fingerprints with the OPLE",
    );
  }
  let root: TrustRoot;
  let from = `trust.rootPublicKey (${ctx.config.trust.rootPublicKey})`;
  try {
    const kept = fs.existsSync(ctx.root) ? inspectStore(ctx.root, "root").state.trust.root : undefined;
    root = effectiveRoot(configured, kept);
    if (kept && kept.version === root.version && root.signed) from = `${ctx.root}/state.json (brought by a cut after the OPLE rotated its root)`;
  } catch (e) {
    return fail(
      `the root of trust kept in ${ctx.root} does not verify: ${(e as Error).message}`,
      "run `prep-receiver audit verify`; if the state directory was altered, reinstall the latest cut with the root.json the OPLE hands out",
    );
  }
  const what = root.signed
    ? `root version ${root.version}, ${root.threshold} of ${root.keys.length} root keys, from ${from}`
    : `single root key ${root.keys[0]!.keyid.slice(0, 16)}… from ${from}`;
  if (root.expires === undefined) return pass(what);
  const left = Math.floor((Date.parse(root.expires) - ctx.now.getTime()) / 86_400_000);
  const ask = "tell the OPLE: it must rotate its root (prep-publisher keys root-rotate) before it expires; the next cut brings the new version";
  if (left < 0) return fail(`${what}: expired at ${root.expires}, every new keyset is refused (ROOT_EXPIRED)`, ask);
  if (left < num(R.keysetWarnDays)) return warn(`${what}: expires in ${left} day(s), at ${root.expires}`, ask);
  return pass(`${what}, valid until ${root.expires} (${left} days)`);
}

/** TLS certificates (validity), secret keys (mode, owner), the OPLE's root of trust and keyset (expiry). */
export const KEY_CHECKS: Check[] = [
  { id: "tls-push", title: "push TLS certificate valid (the OPLE pins it)", run: (ctx) => certCheck(ctx, "push.tls") },
  { id: "tls-site", title: "site TLS certificate valid", run: (ctx) => certCheck(ctx, "site.tls") },
  {
    id: "keys",
    title: `secret keys: mode ${R.secretKeyMode.value}, owned by the service user`,
    run(ctx) {
      const files: Array<[string, string]> = [["identity.secretKey", ctx.config.identity.secretKey]];
      if (ctx.config.push.tls) files.push(["push.tls.key", ctx.config.push.tls.key]);
      if (ctx.config.site.tls) files.push(["site.tls.key", ctx.config.site.tls.key]);
      const ok: string[] = [];
      const bad: string[] = [];
      const fixes: string[] = [];
      for (const [field, p] of files) {
        const file = ctx.resolve(p);
        let st: fs.Stats;
        try {
          st = fs.statSync(file);
        } catch (e) {
          bad.push(`${file} (${field}): ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
          fixes.push(`put the key named by ${field} at ${file}`);
          continue;
        }
        const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
        const problems: string[] = [];
        if ((st.mode & 0o077) !== 0) {
          problems.push(`mode ${mode} (group or others have access)`);
          fixes.push(`sudo chmod 0600 ${file}`);
        }
        if (st.uid !== ctx.user.uid) {
          problems.push(`owned by ${sys.userName(st.uid)}, not the service user ${ctx.user.name}`);
          fixes.push(`sudo chown ${ctx.user.name} ${file}`);
        }
        if (problems.length) bad.push(`${file} (${field}): ${problems.join(", ")}`);
        else ok.push(`${file} (${field}) ${mode} ${ctx.user.name}`);
      }
      const who = `service user ${ctx.user.name} (${ctx.user.how})`;
      if (bad.length) return fail(`${bad.join("; ")}${ok.length ? `; fine: ${ok.join(", ")}` : ""} [${who}]`, fixes.join(" && "));
      return pass(`${ok.join("; ")} [${who}]`);
    },
  },
  { id: "root", title: "the OPLE's root of trust verifies and is not expired", run: rootCheck },
  { id: "keyset", title: "the OPLE's signing keyset not expired or about to", run: keysetCheck },
];
