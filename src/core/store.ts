// The one place that knows about the SQLite driver. bun:sqlite is used because better-sqlite3 cannot load under
// Bun (native ABI mismatch). WAL + NORMAL sync by default; callers that must not lose the last write use FULL.

import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type SqlValue = string | number | bigint | boolean | null | Uint8Array

export interface Store {
  exec(sql: string): void
  run(sql: string, ...params: SqlValue[]): void
  get<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): T | undefined
  all<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): T[]
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<R>(fn: () => R): R
  close(): void
  readonly path: string
}

export function openStore(path: string, opts: { synchronous?: 'NORMAL' | 'FULL' } = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { create: true, strict: true })
  db.exec('PRAGMA journal_mode=WAL')
  db.exec(`PRAGMA synchronous=${opts.synchronous ?? 'NORMAL'}`)
  db.exec('PRAGMA busy_timeout=5000')
  db.exec('PRAGMA foreign_keys=ON')
  const cache = new Map<string, ReturnType<Database['query']>>()
  const q = (sql: string) => {
    let s = cache.get(sql)
    if (!s) { s = db.query(sql); cache.set(sql, s) }
    return s
  }
  let depth = 0
  return {
    path,
    exec: sql => db.exec(sql),
    run: (sql, ...params) => { q(sql).run(...(params as any[])) },
    get: <T>(sql: string, ...params: SqlValue[]) => (q(sql).get(...(params as any[])) ?? undefined) as T | undefined,
    all: <T>(sql: string, ...params: SqlValue[]) => q(sql).all(...(params as any[])) as T[],
    transaction<R>(fn: () => R): R {
      if (depth > 0) return fn()
      depth++
      try {
        db.exec('BEGIN IMMEDIATE')
        try {
          const r = fn()
          db.exec('COMMIT')
          return r
        } catch (err) {
          db.exec('ROLLBACK')
          throw err
        }
      } finally {
        depth--
      }
    },
    close: () => { cache.clear(); db.close() },
  }
}
