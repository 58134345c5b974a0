// What `prep-receiver report --config` reads from the agent's config and the signed registration
// beside it: where the state and the analytics are, the deployment drawn in the service diagram,
// and the difusor's name and technical staff. The config's fields only (like `register`): the
// report runs on the difusor's server after the election, possibly as another user than the
// service, and reads no secret key.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PrepcastError, readRegistrationFile, verifyRegistration } from "@prepcast/protocol";
import { loadConfig, resolveFrom } from "@prepcast/runtime";
import type { DifusorIdentity, ReportConfigContext, ServiceDeployment } from "@prepcast/site";
import { certificateFingerprint } from "@prepcast/transport";
import { RECEIVER_ENV, ReceiverConfigSchema, type ReceiverConfig } from "../../agent/config";

function readRegistration(file: string): Buffer {
  try {
    return readRegistrationFile(file, "give the registration.json that `prep-receiver register` wrote");
  } catch (e) {
    if (e instanceof PrepcastError) throw e;
    throw new PrepcastError("REGISTRATION_INVALID", `cannot read the registration ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      where: file,
      hint: "give the registration.json that `prep-receiver register` wrote (--registration FILE)",
    });
  }
}

/** The difusor as its signed registration says; a missing default file is a warning in the memoria, a bad or foreign file an error. */
function readIdentity(config: ReceiverConfig, baseDir: string, given: string | undefined): DifusorIdentity {
  const file = given ?? path.join(baseDir, "registration.json");
  const none = (problem: string): DifusorIdentity => ({
    id: config.id,
    name: config.id,
    organization: null,
    publicUrl: null,
    staff: [],
    registration: null,
    problem,
  });
  if (given === undefined && !fs.existsSync(file)) {
    return none(`No se encontró el registro firmado ${file} (prep-receiver register): la memoria no incluye el personal técnico registrado ante el OPLE.`);
  }
  const { registration: r, keyid } = verifyRegistration(readRegistration(file), file);
  if (r.id !== config.id) {
    throw new PrepcastError("REGISTRATION_INVALID", `${file} registers the difusor "${r.id}", but the config's id is "${config.id}"`, {
      where: file,
      hint: "give this receiver's own registration (--registration FILE), or the config it belongs to",
    });
  }
  const problems: string[] = [];
  // the certificate is public: check that the registration still describes this deployment
  if (config.push.tls) {
    try {
      const now = certificateFingerprint(fs.readFileSync(resolveFrom(baseDir, config.push.tls.cert)))
        .replace(/:/g, "")
        .toLowerCase();
      if (now !== r.tlsFingerprint)
        problems.push(
          `El registro firmado fija el certificado ${r.tlsFingerprint.slice(0, 16)}…, pero push.tls.cert es ${now.slice(0, 16)}…: el registro no corresponde al certificado actual (¿se renovó sin registrar de nuevo?).`,
        );
    } catch (e) {
      problems.push(`No se pudo leer push.tls.cert para compararlo con el registro: ${(e as Error).message}`);
    }
  }
  return {
    id: r.id,
    name: r.name,
    organization: r.organization,
    publicUrl: r.publicUrl,
    staff: r.staff.map((p) => ({ name: p.name, role: p.role, phone: p.phone, email: p.email })),
    registration: { file, keyid, signedAt: r.signedAt },
    problem: problems.length ? problems.join(" ") : null,
  };
}

export function deploymentOf(config: ReceiverConfig, baseDir: string, file: string): ServiceDeployment {
  const ws = config.push.websocket;
  return {
    config: path.resolve(file),
    id: config.id,
    publisherId: config.publisher.id,
    push: {
      listen: config.push.listen,
      tls: config.push.tls !== null,
      websocket: ws === false ? null : ws === true ? "site" : { listen: ws.listen },
      allowlist: config.push.allowlist,
    },
    site: {
      listen: config.site.listen,
      tls: config.site.tls !== null,
      workers: config.site.workers,
      cores: os.availableParallelism(),
      analytics: config.site.analytics,
      analyticsFile: config.site.analyticsFile ? resolveFrom(baseDir, config.site.analyticsFile) : null,
      frontend: config.site.frontend ?? null,
    },
    admin: { listen: config.admin.listen },
  };
}

/** `prep-receiver report --config FILE [--registration FILE]`. */
export function reportConfigContext(file: string, registration: string | undefined): ReportConfigContext {
  const { config, baseDir } = loadConfig(file, ReceiverConfigSchema, { overrides: RECEIVER_ENV });
  const root = resolveFrom(baseDir, config.root);
  const deployment = deploymentOf(config, baseDir, file);
  return { root, db: deployment.site.analyticsFile ?? path.join(root, "analytics.sqlite"), deployment, identity: readIdentity(config, baseDir, registration) };
}
