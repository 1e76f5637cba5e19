// RFC 6238 TOTP, written out here so the browser tests check the server against an independent implementation.

import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (no padding required, case-insensitive, spaces ignored). */
export function base32Decode(text) {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const value = BASE32.indexOf(ch);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The TOTP code for a Unix time in seconds; `params` come from the otpauth URI when the page offers one. */
export function totp(secret, unixSeconds, { digits = 6, period = 30, algorithm = "SHA1" } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / period)));
  const mac = createHmac(algorithm.toLowerCase().replace("-", ""), base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

export function totpParams(otpauthUri) {
  if (!otpauthUri) return {};
  const query = new URL(otpauthUri).searchParams;
  const params = {};
  if (query.get("digits")) params.digits = Number(query.get("digits"));
  if (query.get("period")) params.period = Number(query.get("period"));
  if (query.get("algorithm")) params.algorithm = query.get("algorithm");
  return params;
}
