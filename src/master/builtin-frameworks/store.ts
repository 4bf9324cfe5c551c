// The built-in frameworks' state in the master's registrar: a generic key-value area (RegistrarOps putKv /
// removeKv; a `kv` table in SQLite, znodes under <group>/registry/kv/<namespace>/ with --zk), one namespace per
// framework, so the jobs scheduler and the services scheduler after it need no tables of their own. Every value is
// read once from the registrar's snapshot when this master starts leading and kept in memory; a write changes
// memory and is written through (durably before returning with SQLite, fenced and in order with ZooKeeper). A value
// is bounded (ZooKeeper's znodes are at most 1 MB), so a caller keeps one entry per thing (a job, a run), never one
// growing entry.

import type { RegistrarOp } from '../outbox.ts'
import type { KvRecord } from '../registrar.ts'

/** The largest value one key may hold. */
export const KV_MAX_VALUE_BYTES = 512 * 1024

export class KvValueTooLarge extends Error {}

/** One framework's namespace. */
export class NamespaceStore {
  constructor(readonly namespace: string, private readonly entries: Map<string, string>, private readonly write: (ops: RegistrarOp[]) => void) {}

  get(key: string): string | undefined { return this.entries.get(key) }

  /** The entries whose keys start with `prefix`, in key order. */
  list(prefix = ''): [string, string][] {
    return [...this.entries].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  put(key: string, value: string): void {
    const bytes = Buffer.byteLength(value)
    if (bytes > KV_MAX_VALUE_BYTES) throw new KvValueTooLarge(`${this.namespace}/${key}: ${bytes} bytes is over the limit of ${KV_MAX_VALUE_BYTES}`)
    if (this.entries.get(key) === value) return
    this.entries.set(key, value)
    this.write([{ op: 'putKv', namespace: this.namespace, key, value }])
  }

  remove(key: string): void {
    if (!this.entries.delete(key)) return
    this.write([{ op: 'removeKv', namespace: this.namespace, key }])
  }
}

/** The whole area, as recovered from a registrar snapshot. */
export class KvArea {
  private readonly namespaces = new Map<string, Map<string, string>>()

  constructor(recovered: readonly KvRecord[], private readonly write: (ops: RegistrarOp[]) => void) {
    for (const r of recovered) this.entriesOf(r.namespace).set(r.key, r.value)
  }

  private entriesOf(namespace: string): Map<string, string> {
    let m = this.namespaces.get(namespace)
    if (!m) { m = new Map(); this.namespaces.set(namespace, m) }
    return m
  }

  namespace(name: string): NamespaceStore {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad key-value namespace '${name}'`)
    return new NamespaceStore(name, this.entriesOf(name), this.write)
  }
}
