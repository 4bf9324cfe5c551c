// The master's secret store (docs/security-secrets.md): secrets by path (`team/db/password`), each value sealed with
// AES-256-GCM (src/core/secrets/crypto.ts) under a key kept outside the store (--secret_key_file; by default
// `secret-store.key` generated once next to the store, 0600). Its own SQLite file, `secret-store.db` in
// --work_dir, written with synchronous=FULL: an acknowledged create survives a crash. With --zk the leader's store
// is in memory, loaded from and replicated to the registrar in ZooKeeper (sealed records only: `replicate` and
// `replaceAll`), so every master must be given the same --secret_key_file.

import { statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Acls } from '../core/authz/acls.ts'
import { approver, type Subject } from '../core/authz/authorizer.ts'
import { decryptSecret, encryptSecret, KEY_BYTES, keyFileTooOpen, loadSecretKey, SecretCryptoError } from '../core/secrets/crypto.ts'
import type { SecretLookup } from '../core/secrets/task-secrets.ts'
import { openStore, type Store } from '../core/store.ts'
import type { FrameworkInfo } from '../core/v1/messages.ts'

/** What `list` shows: never a value, nor its length. */
export interface SecretMeta {
  path: string
  created: number
  updated: number
  /** Who last wrote it (the authenticated principal), when known. */
  principal?: string
}

// Its base64 must fit the 64KB request body limit of meso endpoints (src/core/http/server-limits.ts).
export const MAX_SECRET_BYTES = 32 * 1024
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Why `path` is not a secret path (segments of letters, digits, `_ . -`, separated by `/`), or undefined. */
export function secretPathError(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path) return "a secret path is required (e.g. 'team/db/password')"
  if (path.length > 255) return 'a secret path is at most 255 characters'
  for (const seg of path.split('/')) {
    if (!SEGMENT.test(seg) || seg === '%') return `bad secret path '${path}': use segments of letters, digits, '_', '.', '-' separated by '/' (no leading, trailing or double '/', no '..')`
  }
  return undefined
}

/** A sealed secret as the registrar replicates it (never the value in clear). */
export interface SecretRecord extends SecretMeta { sealed: string }

export class SecretStore {
  /** Called after every change (HA: the leader's registrar in ZooKeeper replicates it). */
  replicate?: (change: { put: SecretRecord } | { remove: string }) => void

  private constructor(private readonly db: Store, private readonly key: Uint8Array, readonly where: string) {
    db.exec(`CREATE TABLE IF NOT EXISTS secrets (
      path TEXT PRIMARY KEY, sealed TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, principal TEXT)`)
  }

  /**
   * Opens the store in `workDir` (undefined: in memory, with a key that lives as long as the process, for
   * --registry=in_memory). `keyFile` defaults to `<workDir>/secret-store.key`, created on first use.
   */
  static open(workDir: string | undefined, keyFile?: string): SecretStore {
    if (workDir === undefined) {
      const key = keyFile ? loadSecretKey(keyFile, false) : new Uint8Array(randomBytes(KEY_BYTES))
      return new SecretStore(openStore(':memory:'), key, 'in memory')
    }
    const file = keyFile ?? join(workDir, 'secret-store.key')
    const key = loadSecretKey(file, keyFile === undefined)
    const open = keyFileTooOpen(file, statSync(file).mode)
    if (open) throw new SecretCryptoError(open)
    const path = join(workDir, 'secret-store.db')
    return new SecretStore(openStore(path, { synchronous: 'FULL' }), key, path)
  }

  /** Creates or replaces the secret at `path`; whether it existed before. */
  put(path: string, value: Uint8Array, principal: string | undefined, now = Date.now()): 'created' | 'updated' {
    const bad = secretPathError(path)
    if (bad) throw new Error(bad)
    if (value.length > MAX_SECRET_BYTES) throw new Error(`secret '${path}' is ${value.length} bytes; at most ${MAX_SECRET_BYTES}`)
    const sealed = encryptSecret(this.key, path, value)
    const result = this.db.transaction(() => {
      const had = this.db.get('SELECT 1 FROM secrets WHERE path = ?', path) !== undefined
      if (had) this.db.run('UPDATE secrets SET sealed = ?, updated = ?, principal = ? WHERE path = ?', sealed, now, principal ?? null, path)
      else this.db.run('INSERT INTO secrets (path, sealed, created, updated, principal) VALUES (?, ?, ?, ?, ?)', path, sealed, now, now, principal ?? null)
      return had ? 'updated' : 'created'
    })
    const row = this.db.get<{ created: number }>('SELECT created FROM secrets WHERE path = ?', path)
    this.replicate?.({ put: { path, sealed, created: row?.created ?? now, updated: now, ...(principal !== undefined ? { principal } : {}) } })
    return result
  }

  /** Replaces everything with `records` (a newly elected leader loading what the registrar replicated). */
  replaceAll(records: readonly SecretRecord[]) {
    this.db.transaction(() => {
      this.db.run('DELETE FROM secrets')
      for (const r of records) {
        this.db.run('INSERT INTO secrets (path, sealed, created, updated, principal) VALUES (?, ?, ?, ?, ?)', r.path, r.sealed, r.created, r.updated, r.principal ?? null)
      }
    })
  }

  list(): SecretMeta[] {
    return this.db.all<{ path: string; created: number; updated: number; principal: string | null }>('SELECT path, created, updated, principal FROM secrets ORDER BY path')
      .map(r => ({ path: r.path, created: r.created, updated: r.updated, ...(r.principal !== null ? { principal: r.principal } : {}) }))
  }

  has(path: string): boolean {
    return this.db.get('SELECT 1 FROM secrets WHERE path = ?', path) !== undefined
  }

  /** Whether something was removed. */
  remove(path: string): boolean {
    const had = this.db.transaction(() => {
      const had = this.has(path)
      if (had) this.db.run('DELETE FROM secrets WHERE path = ?', path)
      return had
    })
    if (had) this.replicate?.({ remove: path })
    return had
  }

  /** The value, decrypted; undefined for an unknown path; throws SecretCryptoError (naming the path) if tampered with. */
  get(path: string): Uint8Array | undefined {
    const row = this.db.get<{ sealed: string }>('SELECT sealed FROM secrets WHERE path = ?', path)
    return row ? decryptSecret(this.key, path, row.sealed) : undefined
  }

  close() { this.db.close() }
}

/**
 * The lookup a task launch uses (src/core/secrets/task-secrets.ts): the framework's principal needs `access_secrets`
 * for the path, checked before the path's existence so a refused framework learns nothing about what is stored.
 */
export function secretLookup(store: SecretStore, acls: Acls, framework: FrameworkInfo): SecretLookup {
  const subject: Subject | undefined = framework.principal !== undefined ? { value: framework.principal } : undefined
  const access = approver(acls, subject, 'ACCESS_SECRET')
  return path => {
    if (!access({ value: path })) return { error: `${framework.principal !== undefined ? `principal '${framework.principal}'` : 'a framework without a principal'} is not authorized to access it (access_secrets)`, reason: 'REASON_TASK_UNAUTHORIZED' }
    try {
      const value = store.get(path)
      return value ? { value } : { error: 'no such secret in the store', reason: 'REASON_TASK_INVALID' }
    } catch (err) {
      return { error: (err as Error).message, reason: 'REASON_TASK_INVALID' }
    }
  }
}
