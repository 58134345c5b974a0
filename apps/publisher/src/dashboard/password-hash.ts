// The dashboard's password file: one scrypt line, written by `prep-publisher admin-password` and
// checked by the config loader (service/config.ts) and the login (auth.ts). Imports nothing of the
// service, so the config and the dashboard do not depend on each other.
import { randomBytes, scrypt as scryptCb, type ScryptOptions } from "node:crypto";
import { PrepcastError } from "@prepcast/protocol";

export const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** Password file line: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`. */
export async function hashPassword(password: string, params = { N: 1 << 15, r: 8, p: 1 }): Promise<string> {
  if (password.length < 12) throw new PrepcastError("CONFIG_INVALID", "the dashboard password must have at least 12 characters");
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...params, maxmem: 256 * params.N * params.r });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export function parsePasswordHash(line: string, file: string): PasswordHash {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(line.trim());
  const N = Number(m?.[1]);
  if (!m || N < 1024 || (N & (N - 1)) !== 0 || Number(m[2]) < 1 || Number(m[3]) < 1) {
    throw new PrepcastError("CONFIG_INVALID", `${file} is not a dashboard password hash`, {
      where: file,
      hint: "create it with `prep-publisher admin-password --out FILE`",
    });
  }
  return { N, r: Number(m[2]), p: Number(m[3]), salt: Buffer.from(m[4]!, "base64"), key: Buffer.from(m[5]!, "base64") };
}
