// Encryption at rest for the master's secret store (docs/security-secrets.md): AES-256-GCM, a fresh 96-bit IV per
// value, the secret's path as additional authenticated data so a record copied onto another path (or altered in
// any byte) fails to decrypt instead of yielding a value. The key lives outside the store (--secret_key_file).
// Mesos itself has no store (it asks a SecretResolver module, src/secret/resolver.cpp); this is meso's own.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
/** Format marker, so a later scheme can be told apart from this one. */
const VERSION = 'v1'

export class SecretCryptoError extends Error {}

/** `v1:` + base64(iv ‖ tag ‖ ciphertext) of `plaintext`, bound to `path`. */
export function encryptSecret(key: Uint8Array, path: string, plaintext: Uint8Array): string {
  if (key.length !== KEY_BYTES) throw new SecretCryptoError(`secret key must be ${KEY_BYTES} bytes, got ${key.length}`)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(path, 'utf8'))
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`
}

/** The plaintext of `encryptSecret(key, path, …)`; throws (naming the path, never content) if anything was changed. */
export function decryptSecret(key: Uint8Array, path: string, sealed: string): Uint8Array {
  const [version, body] = sealed.split(':', 2)
  if (version !== VERSION || body === undefined) throw new SecretCryptoError(`secret '${path}': unknown record format`)
  const raw = Buffer.from(body, 'base64')
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretCryptoError(`secret '${path}': record is truncated`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(path, 'utf8'))
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    return new Uint8Array(Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]))
  } catch {
    throw new SecretCryptoError(`secret '${path}' failed authentication: the record was altered, moved from another path, or sealed with another key`)
  }
}

/**
 * The store's key from `file`: 32 raw bytes, or 64 hex digits, or base64 of 32 bytes (a trailing newline is
 * fine). With `create`, a missing file is made once with a random key, 0600 in a 0700 directory.
 */
export function loadSecretKey(file: string, create: boolean): Uint8Array {
  if (!existsSync(file)) {
    if (!create) throw new SecretCryptoError(`--secret_key_file: ${file} does not exist`)
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    writeFileSync(file, randomBytes(KEY_BYTES).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  }
  let raw: Buffer
  try { raw = readFileSync(file) } catch (err) { throw new SecretCryptoError(`--secret_key_file: cannot read ${file}: ${(err as Error).message}`) }
  if (raw.length === KEY_BYTES) return new Uint8Array(raw)
  const text = raw.toString('utf8').trim()
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'))
  const b64 = Buffer.from(text, 'base64')
  if (b64.length === KEY_BYTES && /^[A-Za-z0-9+/]+=*$/.test(text)) return new Uint8Array(b64)
  throw new SecretCryptoError(`--secret_key_file: ${file} must hold a ${KEY_BYTES}-byte key (raw, 64 hex digits, or base64)`)
}

/** A key file readable by group or others is refused (as ssh refuses such keys): the key is the whole protection. */
export function keyFileTooOpen(file: string, mode: number): string | undefined {
  return (mode & 0o077) !== 0 ? `--secret_key_file: ${file} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it` : undefined
}
