/* PREPcast in-browser verifier (see verify.html). */
// Browser script (tsconfig.browser.json, served as dist/browser/verify.js, after nacl.js). The strict
// checks of the protocol are repeated here so the browser accepts exactly what `verify-site` accepts:
// S < L, canonical non-small-order R and key, the domain-separated message `prepcast/v1/<kind>\n`.

/** tweetnacl (nacl-fast.min.js, loaded before this script by verify.html). */
declare const nacl: { sign: { detached: { verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean } } };

(function () {
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

  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const P = (1n << 255n) - 19n;
  const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
  const SMALL = [0n, 1n, P - 1n, Y8, P - Y8];
  const enc = new TextEncoder();
  const $ = function <T extends HTMLElement = HTMLElement>(id: string): T {
    return document.getElementById(id) as T;
  };

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

  // SHA-256 in plain JS: crypto.subtle exists only in secure contexts, and a difusor may serve plain HTTP.
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
    0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
    0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  function sha256js(data: Uint8Array): Uint8Array {
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const len = data.length,
      total = ((len + 9 + 63) >> 6) << 6,
      m = new Uint8Array(total);
    m.set(data);
    m[len] = 0x80;
    const bits = len * 8,
      dv = new DataView(m.buffer);
    dv.setUint32(total - 4, bits >>> 0);
    dv.setUint32(total - 8, Math.floor(bits / 4294967296));
    const w = new Uint32Array(64);
    for (let off = 0; off < total; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
      for (let i = 16; i < 64; i++) {
        const a0 = w[i - 15]!,
          a1 = w[i - 2]!;
        const s0 = ((a0 >>> 7) | (a0 << 25)) ^ ((a0 >>> 18) | (a0 << 14)) ^ (a0 >>> 3);
        const s1 = ((a1 >>> 17) | (a1 << 15)) ^ ((a1 >>> 19) | (a1 << 13)) ^ (a1 >>> 10);
        w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
      }
      let A = h[0]!,
        B = h[1]!,
        C = h[2]!,
        D = h[3]!,
        E = h[4]!,
        F = h[5]!,
        G = h[6]!,
        H = h[7]!;
      for (let i = 0; i < 64; i++) {
        const S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        const t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i]! + w[i]!) | 0;
        const S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        const t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
        H = G;
        G = F;
        F = E;
        E = (D + t1) | 0;
        D = C;
        C = B;
        B = A;
        A = (t1 + t2) | 0;
      }
      h[0] = h[0]! + A;
      h[1] = h[1]! + B;
      h[2] = h[2]! + C;
      h[3] = h[3]! + D;
      h[4] = h[4]! + E;
      h[5] = h[5]! + F;
      h[6] = h[6]! + G;
      h[7] = h[7]! + H;
    }
    const out = new Uint8Array(32),
      odv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) odv.setUint32(i * 4, h[i]!);
    return out;
  }
  function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    if (window.crypto && crypto.subtle)
      return crypto.subtle.digest("SHA-256", bytes).then(function (d) {
        return new Uint8Array(d);
      });
    return Promise.resolve(sha256js(bytes));
  }

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
    return fetch(path, { cache: "no-store", credentials: "omit" }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.arrayBuffer().then(function (b) {
        return { bytes: new Uint8Array(b), corte: r.headers.get("X-PREP-Corte") };
      });
    });
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
    return fetch(path, { cache: "no-store", credentials: "omit" }).then(function (r) {
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

  function run(all: boolean): void {
    const out = $("result"),
      table = $("files"),
      body = table.querySelector("tbody") as HTMLTableSectionElement;
    out.className = "";
    out.textContent = "Verificando…";
    body.textContent = "";
    table.hidden = false;
    const show = function (p: string, r: string): void {
      const tr = document.createElement("tr");
      const a = document.createElement("td");
      a.textContent = p;
      const b = document.createElement("td");
      b.textContent = r;
      tr.appendChild(a);
      tr.appendChild(b);
      body.appendChild(tr);
    };
    let signed: Signed;
    let trust: Promise<Root>;
    try {
      trust = parseTrust($<HTMLInputElement>("key").value);
    } catch (e) {
      trust = Promise.reject(e);
    }
    trust
      .then(
        function (pinned) {
          return loadSigned(pinned);
        },
        function (e: Error) {
          throw new Error("llave pública raíz inválida: " + e.message);
        },
      )
      .then(function (s) {
        signed = s;
        return all ? s.manifest.files : pathsOfPage(s.manifest, $<HTMLInputElement>("page").value || "/");
      })
      .then(function (files) {
        return checkFiles(files, signed.corte, show).then(function (bad) {
          return { files: files, bad: bad };
        });
      })
      .then(function (r) {
        const m = signed.manifest;
        const root = signed.root.single
          ? ""
          : " · raíz versión " + signed.root.version + " (" + signed.root.threshold + " de " + signed.root.keys.length + " llaves)";
        const head = "Corte " + m.corte + " · secuencia " + m.sequence + (m.channel === "simulacro" ? " · SIMULACRO" : "") + root + "\n";
        if (r.bad.length === 0) {
          out.className = "ok";
          out.textContent = head + "VERIFICADO: las firmas son válidas y los " + r.files.length + " archivos coinciden con lo firmado por el OPLE.";
        } else {
          out.className = "bad";
          out.textContent = head + "NO COINCIDE: " + r.bad.length + " de " + r.files.length + " archivos difieren de lo firmado: " + r.bad.join(", ");
        }
      })
      .catch(function (e: Error) {
        out.className = "bad";
        out.textContent = "FALLÓ la verificación: " + e.message;
      });
  }

  const params = new URLSearchParams(location.search.slice(1) || location.hash.slice(1));
  if (params.get("key")) $<HTMLInputElement>("key").value = params.get("key") as string;
  if (params.get("page")) $<HTMLInputElement>("page").value = params.get("page") as string;
  else if (document.referrer) {
    try {
      const r = new URL(document.referrer);
      if (r.origin === location.origin) $<HTMLInputElement>("page").value = r.pathname;
    } catch {
      /* no referrer */
    }
  }
  $("form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    run(false);
  });
  $("verify-all").addEventListener("click", function () {
    run(true);
  });
})();
