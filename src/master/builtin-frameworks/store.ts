// The built-in frameworks' state in the master's registrar: a generic key-value area (RegistrarOps putKv /
// removeKv; a `kv` table in SQLite, znodes under <group>/registry/kv/<namespace>/ with --zk), one namespace per
// framework, so the jobs scheduler and the services scheduler after it need no tables of their own. Every value is
// read once from the registrar's snapshot when this master starts leading and kept in memory; a write changes
// memory and is written through (durably before returning with SQLite, fenced and in order with ZooKeeper). A value
// is bounded (ZooKeeper's znodes are at most 1 MB), so a caller keeps one entry per thing (a job, a run), never one
// growing entry.
//
// A write is one registrar transaction (one fsync with SQLite) unless it happens inside `batch(fn)`: then every write
// of the area during fn, in whatever namespace, goes out as one transaction when the outermost batch returns (the
// last write of a key wins). fn is synchronous, so once batch returns what it wrote is as durable as a single write
// would be: nothing said to the world in between (an HTTP answer, a scheduler call) can get ahead of it. A
// thousand-app deployment or a burst of status updates then costs one fsync instead of thousands.

import type { RegistrarOp } from '../outbox.ts'
import type { KvRecord } from '../registrar.ts'

/** The largest value one key may hold. */
export const KV_MAX_VALUE_BYTES = 512 * 1024

export class KvValueTooLarge extends Error {}

/** Where an area's writes go: straight to the registrar, or, inside a batch, into one transaction at its end. */
class AreaWriter {
  private depth = 0
  /** The batch's writes by namespace and key, in order of their last write. */
  private readonly pending = new Map<string, RegistrarOp>()

  constructor(private readonly write: (ops: RegistrarOp[]) => void) {}

  add(op: Extract<RegistrarOp, { op: 'putKv' | 'removeKv' }>): void {
    if (!this.depth) { this.write([op]); return }
    const id = `${op.namespace}\u0000${op.key}`
    this.pending.delete(id)
    this.pending.set(id, op)
  }

  batch<T>(fn: () => T): T {
    this.depth++
    try {
      const result = fn()
      if (result instanceof Promise) throw new Error('a key-value batch must be synchronous: its writes are durable when it returns')
      return result
    } finally {
      // Written even when fn threw: memory has changed already, and the store must not fall behind it.
      if (--this.depth === 0 && this.pending.size) {
        const ops = [...this.pending.values()]
        this.pending.clear()
        this.write(ops)
      }
    }
  }
}

/** One framework's namespace. */
export class NamespaceStore {
  constructor(readonly namespace: string, private readonly entries: Map<string, string>, private readonly writer: AreaWriter) {}

  /** Runs fn with every write of this area (all its namespaces) in one registrar transaction, durable on return. */
  batch<T>(fn: () => T): T { return this.writer.batch(fn) }

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
    this.writer.add({ op: 'putKv', namespace: this.namespace, key, value })
  }

  remove(key: string): void {
    if (!this.entries.delete(key)) return
    this.writer.add({ op: 'removeKv', namespace: this.namespace, key })
  }
}

/** The whole area, as recovered from a registrar snapshot. */
export class KvArea {
  private readonly namespaces = new Map<string, Map<string, string>>()
  private readonly writer: AreaWriter

  constructor(recovered: readonly KvRecord[], write: (ops: RegistrarOp[]) => void) {
    this.writer = new AreaWriter(write)
    for (const r of recovered) this.entriesOf(r.namespace).set(r.key, r.value)
  }

  private entriesOf(namespace: string): Map<string, string> {
    let m = this.namespaces.get(namespace)
    if (!m) { m = new Map(); this.namespaces.set(namespace, m) }
    return m
  }

  namespace(name: string): NamespaceStore {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad key-value namespace '${name}'`)
    return new NamespaceStore(name, this.entriesOf(name), this.writer)
  }
}
