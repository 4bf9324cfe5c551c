// The agent-wide fetcher cache's bookkeeping, as Mesos' FetcherProcess::Cache: entries keyed by user and URI, each
// a file `<cache dir>/c<serial>-<basename>`; a new entry claims the size the server announced before its download
// starts, evicting least recently used entries nobody is using (cache-eviction.ts); a download in progress is one
// entry that concurrent fetches of the same URI wait for; a failed download removes its entry and its (partial)
// file, so the next fetch starts again. The files themselves are touched only through `files` (the fetcher writes
// them), which keeps this class free of I/O in tests.

import { join } from 'node:path'
import { selectVictims } from './cache-eviction.ts'
import { cacheFilename } from './uri-plan.ts'

export interface CacheFiles {
  exists(path: string): boolean
  remove(path: string): void
}

export class CacheEntry {
  /** Bytes claimed in the cache; 0 until reserve(). */
  size = 0
  /** Fetches using the entry (downloading it, waiting for it, or copying from it): such entries are not evicted. */
  refs = 0
  state: 'pending' | 'ready' | 'failed' = 'pending'
  readonly completion: Promise<void>
  private settle!: { resolve: () => void; reject: (err: Error) => void }

  constructor(readonly key: string, readonly filename: string, readonly path: string) {
    this.completion = new Promise<void>((resolve, reject) => { this.settle = { resolve, reject } })
    this.completion.catch(() => { /* waiters see the failure through their own await */ })
  }

  get referenced(): boolean { return this.refs > 0 }

  /** @internal the cache settles entries */
  settleAs(state: 'ready' | 'failed') {
    if (this.state !== 'pending') return
    this.state = state
    if (state === 'ready') this.settle.resolve()
    else this.settle.reject(new Error(`Could not download to fetcher cache: ${this.key}`))
  }
}

export class FetcherCache {
  /** Map order is LRU order: the first entry is the least recently used (get() moves an entry to the end). */
  private readonly table = new Map<string, CacheEntry>()
  private used = 0
  private serial = 0

  constructor(readonly dir: string, readonly totalSpace: number, private readonly files: CacheFiles) {}

  get usedSpace(): number { return this.used }
  get availableSpace(): number { return Math.max(0, this.totalSpace - this.used) }
  get size(): number { return this.table.size }
  entries(): CacheEntry[] { return [...this.table.values()] }

  /** The entry for `key`, refreshed as most recently used; a ready entry whose file has gone is dropped. */
  get(key: string): CacheEntry | undefined {
    const entry = this.table.get(key)
    if (!entry) return undefined
    if (entry.state === 'ready' && !this.files.exists(entry.path)) {
      this.remove(entry)
      return undefined
    }
    this.table.delete(key)
    this.table.set(key, entry)
    return entry
  }

  /** A new, pending entry for `key` (the caller downloads it). */
  create(key: string, uri: string): CacheEntry {
    const filename = cacheFilename(++this.serial, uri)
    const entry = new CacheEntry(key, filename, join(this.dir, filename))
    this.table.set(key, entry)
    return entry
  }

  /** Claims `bytes` for `entry`, evicting unused entries first; throws when that cannot free enough. */
  reserve(entry: CacheEntry, bytes: number) {
    const missing = bytes - this.availableSpace
    if (missing > 0) {
      const victims = selectVictims([...this.table.values()].filter(e => e !== entry), missing)
      if (!victims) throw new Error(`Could not free up enough fetcher cache space (${bytes} bytes asked, ${this.totalSpace} in all)`)
      for (const victim of victims) this.remove(victim)
    }
    this.used += bytes
    entry.size = bytes
  }

  /** The download succeeded with `actualSize` bytes: a smaller file gives back the difference (a larger one cannot happen: downloads are bounded by the claim). */
  complete(entry: CacheEntry, actualSize: number) {
    if (actualSize < entry.size) {
      this.used -= entry.size - actualSize
      entry.size = actualSize
    }
    entry.settleAs('ready')
  }

  /** The download failed (or was never possible): the entry and whatever was written go; waiters are told. */
  fail(entry: CacheEntry) {
    entry.settleAs('failed')
    if (this.table.get(entry.key) === entry) this.remove(entry)
  }

  private remove(entry: CacheEntry) {
    this.table.delete(entry.key)
    this.files.remove(entry.path)
    this.used -= entry.size
    entry.size = 0
  }
}
