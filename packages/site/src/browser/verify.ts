/* PREPcast in-browser verifier (see verify.html). */
// Browser script (tsconfig.browser.json, served as dist/browser/verify.js, after nacl.js and sha256.js;
// verify-form.js runs the page with prepcastVerify, the one global defined here). The strict checks
// of the protocol are repeated here so the browser accepts exactly what `verify-site` accepts:
// S < L, canonical non-small-order R and key, the domain-separated message `prepcast/v1/<kind>\n`.

/** tweetnacl (nacl-fast.min.js, loaded before this script by verify.html). */
declare const nacl: { sign: { detached: { verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean } } };

// The documents' shapes (types only; verify-form.ts uses them too).
interface SigFile {
  keyid: string;
  sig: string;
}
interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}
interface Manifest {
  corte: string;
  sequence: number;
  channel: string;
  files: ManifestFile[];
}
interface Keyset {
  expires: string;
  keys?: Array<{ keyid: string; public: string }>;
}
interface Fetched {
  bytes: Uint8Array<ArrayBuffer>;
  corte: string | null;
}
interface Signed {
  manifest: Manifest;
  corte: string | null;
  root: Root;
}
/** A root of trust: a root set (prepcast/root@1) or one root.pub (version 1, threshold 1). */
interface Root {
  version: number;
  threshold: number;
  keys: Array<{ keyid: string; pub: Uint8Array<ArrayBuffer> }>;
  expires: string | null;
  single: boolean;
}
interface RootDocument {
  format?: unknown;
  version?: unknown;
  threshold?: unknown;
  keys?: unknown;
  expires?: unknown;
}

/** The verifier's steps, for verify-form.js: read the pasted root, fetch and check the signed documents, then the files. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- read by verify-form.js, a later classic script
const prepcastVerify = (function () {
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const P = (1n << 255n) - 19n;
  const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
  const SMALL = [0n, 1n, P - 1n, Y8, P - Y8];
  const enc = new TextEncoder();

  function le(bytes: Uint8Array): bigint {
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
    return n;
  }
  function pointProblem(p: Uint8Array): string | null {
    if (p.length !== 32) return "longitud incorrecta";
    const c = Uint8Array.from(p);
    c[31] = c[31]! & 0x7f;
    const y = le(c);
    if (y >= P) return "codificación no canónica";
    if (SMALL.indexOf(y) >= 0) return "punto de orden pequeño";
    return null;
  }
  function b64(s: unknown): Uint8Array<ArrayBuffer> {
    if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error("base64 inválido");
    const bin = atob(s),
      out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes: Uint8Array): string {
    return Array.from(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
    const o = new Uint8Array(a.length + b.length);
    o.set(a, 0);
    o.set(b, a.length);
    return o;
  }

  /** SHA-256 of the bytes (sha256.js: crypto.subtle, or plain JS where it is missing). */
  const sha256 = prepcastSha256;

  function verifyDoc(kind: string, bytes: Uint8Array, sigFile: SigFile, pub: Uint8Array): void {
    const sig = b64(sigFile.sig);
    if (sig.length !== 64) throw new Error("la firma de " + kind + " no mide 64 bytes");
    if (le(sig.subarray(32)) >= L) throw new Error("la firma de " + kind + " está maleada (S >= L)");
    const rp = pointProblem(sig.subarray(0, 32));
    if (rp) throw new Error("la firma de " + kind + ": R " + rp);
    const kp = pointProblem(pub);
    if (kp) throw new Error("la llave de " + kind + ": " + kp);
    const msg = concat(enc.encode("prepcast/v1/" + kind + "\n"), bytes);
    if (!nacl.sign.detached.verify(msg, sig, pub)) throw new Error("la firma de " + kind + " NO es válida");
  }

  function parseRootKey(text: string): Uint8Array<ArrayBuffer> {
    if (text.charAt(0) === "{") {
      const j = JSON.parse(text) as { type?: unknown; public?: unknown };
      if (j.type !== "ed25519-public") throw new Error("el archivo no es una llave pública ed25519");
      text = j.public as string;
    }
    text = text.replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) text += "=";
    const k = b64(text);
    if (k.length !== 32) throw new Error("la llave pública raíz debe medir 32 bytes");
    return k;
  }

  /** A root document's keys, threshold and version, each key checked against its keyid (SHA-256 of its bytes). */
  function rootOfDocument(doc: RootDocument, where: string): Promise<Root> {
    if (doc.format !== "prepcast/root@1") throw new Error(where + " no es un documento raíz prepcast/root@1");
    const version = doc.version,
      threshold = doc.threshold,
      list = doc.keys;
    if (typeof version !== "number" || !(version >= 1) || Math.floor(version) !== version) throw new Error(where + ": versión inválida");
    if (!Array.isArray(list) || list.length < 1 || list.length > 16) throw new Error(where + ": debe listar de 1 a 16 llaves raíz");
    if (typeof threshold !== "number" || !(threshold >= 1) || threshold > list.length || Math.floor(threshold) !== threshold)
      throw new Error(where + ": umbral inválido");
    if (doc.expires !== undefined && typeof doc.expires !== "string") throw new Error(where + ": vencimiento inválido");
    return Promise.all(
      list.map(function (k: { keyid?: unknown; public?: unknown }) {
        const pub = b64(k.public);
        const problem = pub.length === 32 ? pointProblem(pub) : "longitud incorrecta";
        if (problem) throw new Error(where + ": llave raíz " + String(k.keyid) + ": " + problem);
        return sha256(pub).then(function (id) {
          if (hex(id) !== k.keyid) throw new Error(where + ": el keyid " + String(k.keyid) + " no es la huella de su llave");
          return { keyid: k.keyid as string, pub: pub };
        });
      }),
    ).then(function (keys) {
      if (
        keys.some(function (k, i) {
          return i > 0 && !(keys[i - 1]!.keyid < k.keyid);
        })
      )
        throw new Error(where + ": llaves raíz repetidas o desordenadas");
      return { version: version, threshold: threshold, keys: keys, expires: (doc.expires as string | undefined) || null, single: false };
    });
  }

  /** What the citizen pasted: a root.pub (or its base64), or the OPLE's root.json when it uses several root keys. */
  function parseTrust(text: string): Promise<Root> {
    text = text.trim();
    if (text.charAt(0) === "{") {
      const j = JSON.parse(text) as RootDocument & { type?: unknown };
      if (j.format !== undefined) return rootOfDocument(j, "el documento raíz indicado");
    }
    const key = parseRootKey(text);
    return sha256(key).then(function (id) {
      return { version: 1, threshold: 1, keys: [{ keyid: hex(id), pub: key }], expires: null, single: true };
    });
  }

  /** Signatures of a .sig file: one `{"keyid","sig"}` or, for a root set, `{"signatures":[…]}`. */
  function signaturesOf(bytes: Uint8Array, what: string): SigFile[] {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as SigFile & { signatures?: unknown };
    if (j.signatures === undefined) return [j];
    if (!Array.isArray(j.signatures) || j.signatures.length < 1 || j.signatures.length > 16) throw new Error("la firma de " + what + " está mal formada");
    return j.signatures as SigFile[];
  }

  /**
   * At least `root.threshold` DISTINCT keys of `root` signed `bytes` as `kind` (strict checks of
   * verifyDoc); signatures by other keys are ignored, never counted; one key counts once.
   */
  function verifyThreshold(kind: string, bytes: Uint8Array, sigBytes: Uint8Array, root: Root, label: string): void {
    const valid: string[] = [];
    let failure = "";
    signaturesOf(sigBytes, kind).forEach(function (sf) {
      const key = root.keys.filter(function (k) {
        return k.keyid === sf.keyid;
      })[0];
      if (!key || valid.indexOf(sf.keyid) >= 0) return;
      try {
        verifyDoc(kind, bytes, sf, key.pub);
        valid.push(sf.keyid);
      } catch (e) {
        failure = (e as Error).message;
      }
    });
    if (valid.length >= root.threshold) return;
    if (failure) throw new Error(failure);
    if (root.single) throw new Error("el conjunto de llaves no está firmado por la llave raíz indicada");
    throw new Error(
      "el " +
        (kind === "root" ? "documento raíz" : "conjunto de llaves") +
        " tiene " +
        valid.length +
        " firma(s) válida(s) de llaves distintas de " +
        label +
        "; se necesitan " +
        root.threshold,
    );
  }

  /** get() that answers null for a 404 (root.json / root.sig exist only for an OPLE with a root set). */
  function getOptional(path: string): Promise<Fetched | null> {
    return fetchSigned(path, true);
  }

  /**
   * The root to check the keyset against: the pinned one, or the site's newer root version when
   * the threshold of the pinned version AND its own signed it (one step, as a receiver does).
   */
  function rootInForce(pinned: Root, siteRoot: Fetched | null, siteRootSig: Fetched | null): Promise<Root> {
    if (!siteRoot || !siteRootSig) return Promise.resolve(pinned);
    const doc = JSON.parse(new TextDecoder().decode(siteRoot.bytes)) as RootDocument;
    if (typeof doc.version !== "number" || doc.version <= pinned.version) return Promise.resolve(pinned);
    return rootOfDocument(doc, "el documento raíz del sitio (versión " + doc.version + ")").then(function (next) {
      verifyThreshold("root", siteRoot.bytes, siteRootSig.bytes, pinned, "la raíz indicada (versión " + pinned.version + ")");
      verifyThreshold("root", siteRoot.bytes, siteRootSig.bytes, next, "la raíz versión " + next.version);
      return next;
    });
  }

  function get(path: string): Promise<Fetched> {
    return fetchSigned(path, false) as Promise<Fetched>;
  }

  /** One fetch of a served file, uncached and without cookies; a 404 is null when `optional`, any other failure throws. */
  function fetchSigned(path: string, optional: boolean): Promise<Fetched | null> {
    return fetch(path, { cache: "no-store", credentials: "omit" }).then(function (r) {
      if (optional && r.status === 404) return null;
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.arrayBuffer().then(function (b) {
        return { bytes: new Uint8Array(b), corte: r.headers.get("X-PREP-Corte") };
      });
    });
  }

  function loadSigned(pinned: Root): Promise<Signed> {
    const base = "/.well-known/prepcast/";
    return Promise.all([
      Promise.all(
        ["keyset.json", "keyset.sig", "manifest.json", "manifest.sig"].map(function (n) {
          return get(base + n);
        }),
      ),
      Promise.all([getOptional(base + "root.json"), getOptional(base + "root.sig")]),
    ]).then(function (r) {
      const [keysetFile, keysetSigFile, manifestFile, manifestSigFile] = r[0] as [Fetched, Fetched, Fetched, Fetched];
      const dec = new TextDecoder();
      return rootInForce(pinned, r[1][0], r[1][1]).then(function (root) {
        if (root.expires && Date.parse(root.expires) <= Date.now()) throw new Error("la raíz versión " + root.version + " expiró el " + root.expires);
        verifyThreshold(
          "keyset",
          keysetFile.bytes,
          keysetSigFile.bytes,
          root,
          root.version === pinned.version ? "la raíz indicada" : "la raíz versión " + root.version,
        );
        const keyset = JSON.parse(dec.decode(keysetFile.bytes)) as Keyset;
        if (Date.parse(keyset.expires) <= Date.now()) throw new Error("el conjunto de llaves expiró el " + keyset.expires);
        const manifestSig = JSON.parse(dec.decode(manifestSigFile.bytes)) as SigFile;
        const entry = (keyset.keys || []).filter(function (k) {
          return k.keyid === manifestSig.keyid;
        })[0];
        if (!entry) throw new Error("el manifiesto está firmado por una llave que el conjunto de llaves no autoriza");
        verifyDoc("manifest", manifestFile.bytes, manifestSig, b64(entry.public));
        const manifest = JSON.parse(dec.decode(manifestFile.bytes)) as Manifest;
        return { manifest: manifest, corte: manifestFile.corte, root: root };
      });
    });
  }

  function pathsOfPage(manifest: Manifest, page: string): Promise<ManifestFile[]> {
    const files: Record<string, ManifestFile> = {};
    manifest.files.forEach(function (f) {
      files[f.path] = f;
    });
    let rel = page.replace(/^\/+/, "");
    if (rel === "" || /\/$/.test(rel)) rel += "index.html";
    if (!files[rel]) return Promise.reject(new Error("la página " + page + " no forma parte del corte firmado"));
    return get("/" + rel.split("/").map(encodeURIComponent).join("/")).then(function (res) {
      const wanted = [rel];
      if (/\.html?$/.test(rel)) {
        const doc = new DOMParser().parseFromString(new TextDecoder().decode(res.bytes), "text/html");
        const pageUrl = new URL("/" + rel, location.origin);
        doc.querySelectorAll("[src],link[href]").forEach(function (el) {
          const u = new URL((el.getAttribute("src") || el.getAttribute("href")) as string, pageUrl);
          if (u.origin !== location.origin) return;
          const p = decodeURIComponent(u.pathname).replace(/^\//, "");
          if (files[p] && wanted.indexOf(p) < 0) wanted.push(p);
        });
      }
      return wanted.map(function (p) {
        return files[p] as ManifestFile;
      });
    });
  }

  function checkFiles(files: ManifestFile[], corte: string | null, show: (path: string, result: string) => void): Promise<string[]> {
    const bad: string[] = [];
    let i = 0;
    function next(): Promise<string[]> {
      if (i >= files.length) return Promise.resolve(bad);
      const f = files[i++]!;
      return get("/" + f.path.split("/").map(encodeURIComponent).join("/"))
        .then(
          function (res) {
            if (corte && res.corte && res.corte !== corte) throw new Error("el corte cambió durante la verificación; vuelva a intentarlo");
            return sha256(res.bytes).then(function (d) {
              const ok = hex(d) === f.sha256 && res.bytes.length === f.size;
              if (!ok) bad.push(f.path);
              show(f.path, ok ? "coincide" : "DIFIERE de lo firmado");
            });
          },
          function (e: Error) {
            bad.push(f.path);
            show(f.path, "no se pudo descargar (" + e.message + ")");
          },
        )
        .then(next);
    }
    return next();
  }

  return { parseTrust: parseTrust, loadSigned: loadSigned, pathsOfPage: pathsOfPage, checkFiles: checkFiles };
})();
