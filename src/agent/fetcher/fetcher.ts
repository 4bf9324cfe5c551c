// The fetcher: puts a container's CommandInfo.uris into its sandbox before the container starts, as Mesos' fetcher
// (src/slave/containerizer/fetcher.cpp and the mesos-fetcher program, src/launcher/fetcher.cpp) does between isolate
// and exec. Per URI, in order: plan it (uri-plan.ts), then either download it straight into the sandbox, or, with
// `cache`, through the agent-wide cache (fetcher-cache.ts: keyed by user and URI, --fetcher_cache_size, LRU
// eviction, one download shared by concurrent fetches), then copy, chmod or unpack it (extract.ts). What it does is
// written to the sandbox's `stderr`, as the mesos-fetcher's log is. The first URI that fails stops the fetch with
// `Failed to fetch '<uri>': <error>`, which fails the launch (TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED).
// docs/containerizer.md#fetcher.

import type { TLSOptions } from 'bun'
import { appendFileSync, chownSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { lookupUser } from '../../core/posix-user.ts'
import { raceSignal } from '../../core/registry/stall.ts'
import type { CommandInfo } from '../../core/v1/messages.ts'
import { mustSwitchUser, userSwitchPrefix } from '../containerizer/user.ts'
import { download, sourceSize, type ReadOptions } from './download.ts'
import { extractInto } from './extract.ts'
import { FetcherCache, type CacheEntry } from './fetcher-cache.ts'
import { fetcherMetrics } from '../metrics.ts'
import { placeFile, type Owner } from './sandbox-placement.ts'
import { cacheKey, planUri, redactUri, type UriPlan } from './uri-plan.ts'

export interface FetcherOptions {
  /** --fetcher_cache_dir: the cache files an earlier run left are deleted when the fetcher is made (agent start). */
  cacheDir: string
  /** --fetcher_cache_size in bytes; 0: nothing is cached. */
  cacheSize: number
  /** --fetcher_stall_timeout. */
  stallTimeoutMs: number
  /** --frameworks_home: what relative URIs are resolved against. */
  frameworksHome?: string
  /** --switch_user: files belong to, and local files and archives are read as, the task's user. */
  switchUser: boolean
  /** CAs for https (the system's plus the agent's LIBPROCESS_SSL_CA_*); undefined: the TLS library's roots. */
  tls?: TLSOptions
}

export interface FetchRequest {
  containerId: string
  command?: CommandInfo
  /** Host path of the container's sandbox. */
  sandbox: string
  /** The task's user (CommandInfo.user, else FrameworkInfo.user). */
  user?: string
  /** Aborts the fetch (the task was killed while its URIs were being fetched). */
  signal?: AbortSignal
}

interface Fetching extends FetchRequest {
  owner?: Owner
  read: ReadOptions
  runAsPrefix: string[]
  log: SandboxLog
  /** Cache entries this fetch uses, released when it ends. */
  held: CacheEntry[]
}

/** The names of cache files (fetcher-cache.ts: c<serial>-<basename>) and of downloads into it (.part). */
const CACHE_FILE = /^c\d+-/

export class Fetcher {
  readonly cache: FetcherCache
  private readonly metrics: ReturnType<typeof fetcherMetrics>

  constructor(private readonly o: FetcherOptions) {
    // Upstream deletes the whole directory; only the cache's own files go here, so a --fetcher_cache_dir pointing
    // at a directory with anything else in it (a typo, `/tmp`) costs nothing else.
    mkdirSync(o.cacheDir, { recursive: true, mode: 0o700 })
    for (const name of readdirSync(o.cacheDir)) if (CACHE_FILE.test(name)) rmSync(join(o.cacheDir, name), { force: true })
    this.cache = new FetcherCache(o.cacheDir, o.cacheSize, { exists: existsSync, remove: path => rmSync(path, { force: true }) })
    this.metrics = fetcherMetrics({ totalBytes: () => this.cache.totalSpace, usedBytes: () => this.cache.usedSpace })
  }

  /** Fetches every URI of `command` into the sandbox; throws `Failed to fetch '<uri>': <error>` at the first failure. */
  async fetch(req: FetchRequest): Promise<void> {
    const uris = req.command?.uris ?? []
    if (!uris.length) { this.metrics.succeeded.inc(); return }
    let current = redactUri(uris[0]!.value)
    const held: CacheEntry[] = []
    let log: SandboxLog | undefined
    try {
      const switching = mustSwitchUser(req.user, this.o.switchUser)
      const u = switching ? lookupUser(req.user!) : undefined
      if (switching && !u) throw new Error(`no user '${req.user}' on this agent to fetch as`)
      const owner = u ? { uid: u.uid, gid: u.gid } : undefined
      log = new SandboxLog(join(req.sandbox, 'stderr'), owner)
      const runAsPrefix = userSwitchPrefix(req.user, this.o.switchUser)
      const f: Fetching = { ...req, owner, runAsPrefix, log, held, read: { stallTimeoutMs: this.o.stallTimeoutMs, signal: req.signal, tls: this.o.tls, readAsPrefix: runAsPrefix } }
      // Every URI is checked before anything is downloaded, as upstream's validateUris.
      const plans: UriPlan[] = []
      for (const uri of uris) {
        current = redactUri(uri.value)
        plans.push(planUri(uri, this.o.frameworksHome))
      }
      for (const plan of plans) {
        current = plan.shown
        req.signal?.throwIfAborted()
        log.info(`Fetching URI '${plan.shown}'`)
        const where = await this.fetchOne(plan, f)
        log.info(`Fetched '${plan.shown}' to '${where}'`)
      }
      log.info(`Successfully fetched all URIs into '${req.sandbox}'`)
      this.metrics.succeeded.inc()
    } catch (err) {
      this.metrics.failed.inc()
      const message = `Failed to fetch '${current}': ${(err as Error).message}`
      log?.error(message)
      throw new Error(message)
    } finally {
      for (const entry of held) entry.refs--
    }
  }

  private async fetchOne(plan: UriPlan, f: Fetching): Promise<string> {
    if (plan.cache && this.cache.totalSpace > 0) {
      const cached = await this.throughCache(plan, f)
      if (cached) return this.fromCache(plan, cached, f)
    }
    return this.bypassingCache(plan, f)
  }

  /** The cache file for the URI (downloaded now or by an earlier fetch), or undefined: fetch it directly instead. */
  private async throughCache(plan: UriPlan, f: Fetching): Promise<string | undefined> {
    const key = cacheKey(f.user, plan.uri.value)
    const existing = this.cache.get(key)
    if (existing) {
      existing.refs++
      f.held.push(existing)
      try {
        await raceSignal(existing.completion, f.signal)
        this.metrics.cacheHits.inc()
        f.log.info(`Fetching URI '${plan.shown}' from cache`)
        return existing.path
      } catch (err) {
        f.signal?.throwIfAborted()
        f.log.warn(`Reverting to fetching directly into the sandbox for '${plan.shown}', due to failure to fetch through the cache, with error: ${(err as Error).message}`)
        return undefined
      }
    }
    const entry = this.cache.create(key, plan.uri.value)
    entry.refs++
    f.held.push(entry)
    let size: number
    try {
      size = await sourceSize(plan.source, f.read)
      this.cache.reserve(entry, size)
    } catch (err) {
      this.cache.fail(entry)
      f.signal?.throwIfAborted()
      f.log.warn(`Reverting to fetching directly into the sandbox for '${plan.shown}': ${(err as Error).message}`)
      return undefined
    }
    this.metrics.cacheMisses.inc()
    f.log.info(`Downloading '${plan.shown}' (${size} bytes) into the fetcher cache`)
    // Written under a temporary name and renamed once complete: the cache never holds half a file.
    const part = `${entry.path}.part`
    try {
      const bytes = await download(plan.source, part, { ...f.read, maxBytes: size })
      this.metrics.bytesFetched.inc(bytes)
      renameSync(part, entry.path)
      this.cache.complete(entry, bytes)
      return entry.path
    } catch (err) {
      rmSync(part, { force: true })
      this.cache.fail(entry)
      throw err
    }
  }

  private async fromCache(plan: UriPlan, cached: string, f: Fetching): Promise<string> {
    const copy = (mode: number) => placeFile(f.sandbox, plan.outputFile, async tmp => copyFileSync(cached, tmp, constants.COPYFILE_EXCL), { owner: f.owner, mode })
    if (plan.executable) return copy(0o755)
    if (plan.extraction) {
      await extractInto(cached, plan.extraction, f.sandbox, { owner: f.owner, runAsPrefix: f.runAsPrefix, signal: f.signal })
      return f.sandbox
    }
    if (plan.notAnArchive) f.log.warn(`Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: ${plan.shown}`)
    return copy(0o644)
  }

  private async bypassingCache(plan: UriPlan, f: Fetching): Promise<string> {
    f.log.info(`Fetching '${plan.shown}' directly into the sandbox directory`)
    const path = await placeFile(f.sandbox, plan.outputFile, async tmp => {
      this.metrics.bytesFetched.inc(await download(plan.source, tmp, f.read))
    }, { owner: f.owner, mode: plan.executable ? 0o755 : 0o644 })
    if (plan.extraction) {
      await extractInto(path, plan.extraction, f.sandbox, { owner: f.owner, runAsPrefix: f.runAsPrefix, signal: f.signal })
      f.log.info(`Extracted '${path}' into '${f.sandbox}'`)
    } else if (plan.notAnArchive) {
      f.log.warn(`Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: ${plan.shown}`)
    }
    return path
  }
}

/** The fetcher's lines in the sandbox's `stderr`, in the agent log's format; the file is the task user's when new. */
class SandboxLog {
  constructor(private readonly path: string, owner: Owner | undefined) {
    if (!existsSync(path)) {
      appendFileSync(path, '', { mode: 0o644 })
      if (owner) chownSync(path, owner.uid, owner.gid)
    }
  }

  info(msg: string) { this.write('I', msg) }
  warn(msg: string) { this.write('W', msg) }
  error(msg: string) { this.write('E', msg) }

  private write(level: string, msg: string) {
    const d = new Date()
    const p = (n: number, w = 2) => String(n).padStart(w, '0')
    const stamp = `${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
    try { appendFileSync(this.path, `${level}${stamp} fetcher] ${msg}\n`) } catch { /* the sandbox went away: the launch fails anyway */ }
  }
}
