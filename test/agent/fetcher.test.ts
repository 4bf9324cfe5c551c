// The fetcher against a real HTTP server on loopback (Bun.serve): downloads with a redirect, a 404, servers that
// stall, archives (tar.gz, zip, gz) unpacked safely, executables, output_file, local files, the cache (a hit on the
// second fetch, LRU eviction, one download shared by concurrent fetches, a failed download leaving no entry), and
// files owned by the task's user. Real files in temp dirs, real tar/unzip processes; no mocks.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Fetcher, type FetcherOptions } from '../../src/agent/fetcher/fetcher.ts'
import { processMetrics } from '../../src/core/metrics/registry.ts'

/** The agent's fetcher metrics as /metrics/snapshot shows them (src/agent/metrics.ts). */
const metric = (key: string) => processMetrics.snapshot()[`containerizer/fetcher/${key}`]!

const root = mkdtempSync(join(tmpdir(), 'meso-fetcher-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const sh = (cmd: string, cwd = root) => {
  const r = Bun.spawnSync(['sh', '-c', cmd], { cwd, stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr.toString()}`)
}

/** Archives and files the server serves, built with the real tools. */
const files = new Map<string, Uint8Array>()
function buildFixtures() {
  const src = join(root, 'src')
  mkdirSync(join(src, 'pkg/bin'), { recursive: true })
  writeFileSync(join(src, 'pkg/hello.txt'), 'hello from a tarball\n')
  writeFileSync(join(src, 'pkg/bin/run'), '#!/bin/sh\necho ran\n', { mode: 0o755 })
  sh(`tar -czf ${root}/pkg.tar.gz -C ${src} pkg`)
  sh(`cd ${src} && zip -qr ${root}/pkg.zip pkg`)
  writeFileSync(join(root, 'data.csv.gz'), Bun.gzipSync(new TextEncoder().encode('a,b\n1,2\n')))
  // Hostile archives: a member climbing out with `..`; a symlink out of the sandbox and a file written through it.
  mkdirSync(join(src, 'evil'), { recursive: true })
  writeFileSync(join(src, 'evil/x'), 'escaped\n')
  sh(`tar -P -czf ${root}/dotdot.tar.gz -C ${src}/evil --transform 's,^x,../escaped-x,' x`)
  symlinkSync(join(root, 'outside'), join(src, 'evil/link'))
  sh(`tar -P -czf ${root}/symlink.tar.gz -C ${src}/evil link --transform 's,^x,link/pwned,' x`)
  for (const f of ['pkg.tar.gz', 'pkg.zip', 'data.csv.gz', 'dotdot.tar.gz', 'symlink.tar.gz']) files.set(f, readFileSync(join(root, f)))
  files.set('hello.txt', new TextEncoder().encode('hello\n'))
  files.set('run.sh', new TextEncoder().encode('#!/bin/sh\necho hi\n'))
  for (const n of ['a', 'b', 'c']) files.set(`${n}.bin`, new Uint8Array(1200).fill(n.charCodeAt(0)))
}

/** Requests per "METHOD path". */
const hits = new Map<string, number>()
const count = (key: string) => hits.get(key) ?? 0
let flakyFails = true
let authSeen: string | null = null
let server: ReturnType<typeof Bun.serve>
let base = ''

beforeAll(() => {
  buildFixtures()
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      const url = new URL(req.url)
      hits.set(`${req.method} ${url.pathname}`, count(`${req.method} ${url.pathname}`) + 1)
      const name = url.pathname.split('/').pop()!
      if (url.pathname === '/redirect/hello.txt') return new Response(null, { status: 302, headers: { location: '/hop/hello.txt' } })
      if (url.pathname === '/hop/hello.txt') return new Response(null, { status: 307, headers: { location: `${base}/files/hello.txt` } })
      if (url.pathname.startsWith('/private/')) {
        authSeen = req.headers.get('authorization')
        return new Response('no', { status: 404 })
      }
      if (url.pathname === '/silent/x') return new Promise<Response>(() => {}) // never answers
      if (url.pathname === '/stall/x') {
        // Headers and a few bytes, then nothing.
        return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)) } }), { headers: { 'content-length': '1000' } })
      }
      if (url.pathname === '/flaky/f.bin') {
        if (req.method === 'GET' && flakyFails) return new Response('boom', { status: 500 })
        return new Response(req.method === 'HEAD' ? null : new Uint8Array(100), { headers: { 'content-length': '100' } })
      }
      if (url.pathname.startsWith('/slow/')) await Bun.sleep(300)
      const body = files.get(name)
      if (!body) return new Response('not found', { status: 404 })
      return new Response(req.method === 'HEAD' ? null : body, { headers: { 'content-length': String(body.byteLength) } })
    },
  })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(() => server?.stop(true))

let n = 0
function newFetcher(over: Partial<FetcherOptions> = {}) {
  return new Fetcher({ cacheDir: join(root, `cache-${++n}`), cacheSize: 1 << 20, stallTimeoutMs: 60_000, switchUser: true, ...over })
}
function sandbox(): string {
  const dir = join(root, `sandbox-${++n}`)
  mkdirSync(dir)
  return dir
}
const fetchInto = (f: Fetcher, dir: string, uris: { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }[], over: { user?: string; signal?: AbortSignal } = {}) =>
  f.fetch({ containerId: `c${n}`, command: { uris }, sandbox: dir, ...over })
const leftovers = (dir: string) => readdirSync(dir).filter(e => e.startsWith('.'))

describe('downloads into the sandbox', () => {
  test('a plain file, through two redirects; the fetch is logged in the sandbox stderr', async () => {
    const dir = sandbox()
    await fetchInto(newFetcher(), dir, [{ value: `${base}/redirect/hello.txt` }])
    expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('hello\n')
    expect(statSync(join(dir, 'hello.txt')).mode & 0o777).toBe(0o644)
    const log = readFileSync(join(dir, 'stderr'), 'utf8')
    expect(log).toContain(`Fetching URI '${base}/redirect/hello.txt'`)
    expect(log).toContain(`Successfully fetched all URIs into '${dir}'`)
    expect(log).toContain(`Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive`)
  })

  test('a 404 fails naming the URI and the code, and leaves nothing behind', async () => {
    const dir = sandbox()
    const failed = metric('task_fetches_failed')
    await expect(fetchInto(newFetcher(), dir, [{ value: `${base}/files/hello.txt` }, { value: `${base}/files/missing.txt` }]))
      .rejects.toThrow(`Failed to fetch '${base}/files/missing.txt': Error downloading resource, received HTTP return code 404`)
    expect(existsSync(join(dir, 'missing.txt'))).toBe(false)
    expect(leftovers(dir)).toEqual([])
    expect(metric('task_fetches_failed')).toBe(failed + 1)
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toContain(`Failed to fetch '${base}/files/missing.txt'`)
  })

  test('credentials in a URI go to its server as Basic auth and never into messages', async () => {
    const dir = sandbox()
    const uri = `http://alice:s3cret@127.0.0.1:${server.port}/private/f.txt`
    const err = await fetchInto(newFetcher(), dir, [{ value: uri }]).catch(e => e as Error)
    expect(err?.message).toBe(`Failed to fetch 'http://REDACTED@127.0.0.1:${server.port}/private/f.txt': Error downloading resource, received HTTP return code 404`)
    expect(authSeen).toBe(`Basic ${btoa('alice:s3cret')}`)
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).not.toContain('s3cret')
  })

  test('a server that stops sending, or never answers, fails after --fetcher_stall_timeout', async () => {
    const f = newFetcher({ stallTimeoutMs: 400 })
    let t0 = Date.now()
    await expect(fetchInto(f, sandbox(), [{ value: `${base}/stall/x` }])).rejects.toThrow(`Failed to fetch '${base}/stall/x': Error downloading resource: no data received for 400ms (--fetcher_stall_timeout)`)
    expect(Date.now() - t0).toBeLessThan(5000)
    t0 = Date.now()
    await expect(fetchInto(f, sandbox(), [{ value: `${base}/silent/x` }])).rejects.toThrow('no answer within 400ms (--fetcher_stall_timeout)')
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  test('a kill (the launch signal) stops a fetch at once', async () => {
    const ctl = new AbortController()
    setTimeout(() => ctl.abort(new Error('task t1 was killed')), 200)
    const t0 = Date.now()
    await expect(fetchInto(newFetcher(), sandbox(), [{ value: `${base}/stall/x` }], { signal: ctl.signal })).rejects.toThrow('task t1 was killed')
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  test('executable, output_file in a subdirectory, extract=false', async () => {
    const dir = sandbox()
    await fetchInto(newFetcher(), dir, [
      { value: `${base}/files/run.sh`, executable: true, output_file: 'bin/tool' },
      { value: `${base}/files/pkg.tar.gz`, extract: false },
    ])
    expect(statSync(join(dir, 'bin/tool')).mode & 0o777).toBe(0o755)
    expect(Bun.spawnSync([join(dir, 'bin/tool')]).stdout.toString()).toBe('hi\n')
    expect(existsSync(join(dir, 'pkg.tar.gz'))).toBe(true)
    expect(existsSync(join(dir, 'pkg'))).toBe(false)
  })

  test('unsupported schemes and bad output files fail before anything is downloaded', async () => {
    const dir = sandbox()
    await expect(fetchInto(newFetcher(), dir, [{ value: `${base}/files/hello.txt` }, { value: 'hdfs://nn/x' }])).rejects.toThrow("Failed to fetch 'hdfs://nn/x': Unsupported URI scheme 'hdfs'")
    await expect(fetchInto(newFetcher(), dir, [{ value: `${base}/files/hello.txt`, output_file: '../x' }])).rejects.toThrow('URI output file must be within the sandbox directory')
    expect(existsSync(join(dir, 'hello.txt'))).toBe(false)
  })
})

describe('archives', () => {
  test('tar.gz, zip and a bare .gz are unpacked into the sandbox (the downloaded archive stays, as upstream)', async () => {
    const dir = sandbox()
    await fetchInto(newFetcher(), dir, [{ value: `${base}/files/pkg.tar.gz` }, { value: `${base}/files/pkg.zip` }, { value: `${base}/files/data.csv.gz` }])
    expect(readFileSync(join(dir, 'pkg/hello.txt'), 'utf8')).toBe('hello from a tarball\n')
    expect(statSync(join(dir, 'pkg/bin/run')).mode & 0o111).not.toBe(0)
    expect(readFileSync(join(dir, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n')
    expect(existsSync(join(dir, 'pkg.tar.gz'))).toBe(true)
    expect(leftovers(dir)).toEqual([])
  })

  test('members with .. fail the fetch; a symlink out of the sandbox is never written through', async () => {
    const dir = sandbox()
    await expect(fetchInto(newFetcher(), dir, [{ value: `${base}/files/dotdot.tar.gz` }])).rejects.toThrow("Member name contains '..'")
    expect(existsSync(join(dir, '..', 'escaped-x'))).toBe(false)
    expect(leftovers(dir)).toEqual([])
    const dir2 = sandbox()
    await fetchInto(newFetcher(), dir2, [{ value: `${base}/files/symlink.tar.gz` }]).catch(() => {})
    expect(existsSync(join(root, 'outside'))).toBe(false)
    // A symlink already in the sandbox: a directory through it is refused, a file named like it replaces it.
    const dir3 = sandbox()
    mkdirSync(join(root, 'target'), { recursive: true })
    symlinkSync(join(root, 'target'), join(dir3, 'sub'))
    symlinkSync(join(root, 'target', 'file'), join(dir3, 'same'))
    await expect(fetchInto(newFetcher(), dir3, [{ value: `${base}/files/hello.txt`, output_file: 'sub/x' }])).rejects.toThrow("'sub' exists and is not a directory")
    await fetchInto(newFetcher(), dir3, [{ value: `${base}/files/hello.txt`, output_file: 'same' }])
    expect(lstatSync(join(dir3, 'same')).isFile()).toBe(true)
    expect(readdirSync(join(root, 'target'))).toEqual([])
  })
})

describe('local files', () => {
  test('absolute paths and file:// URIs are copied; the task user must be able to read them', async () => {
    const local = join(root, 'local')
    mkdirSync(local, { recursive: true })
    writeFileSync(join(local, 'conf.txt'), 'conf\n', { mode: 0o644 })
    writeFileSync(join(local, 'secret.txt'), 'secret\n', { mode: 0o600 })
    chmodSync(local, 0o755)
    const dir = sandbox()
    await fetchInto(newFetcher(), dir, [{ value: join(local, 'conf.txt') }, { value: `file://${join(local, 'conf.txt')}`, output_file: 'again.txt' }])
    expect(readFileSync(join(dir, 'again.txt'), 'utf8')).toBe('conf\n')
    if (process.getuid?.() !== 0) return
    chmodSync(root, 0o755)
    const dir2 = sandbox()
    await expect(fetchInto(newFetcher(), dir2, [{ value: join(local, 'secret.txt') }], { user: 'nobody' })).rejects.toThrow('Permission denied')
  })

  test.if(process.getuid?.() === 0)('as root for user nobody: files and unpacked trees belong to nobody', async () => {
    const dir = sandbox()
    await fetchInto(newFetcher(), dir, [{ value: `${base}/files/pkg.tar.gz` }, { value: `${base}/files/run.sh`, output_file: 'x/run.sh' }], { user: 'nobody' })
    for (const p of ['pkg', 'pkg/hello.txt', 'pkg/bin/run', 'x', 'x/run.sh', 'pkg.tar.gz', 'stderr']) expect({ p, uid: statSync(join(dir, p)).uid }).toEqual({ p, uid: 65534 })
  })
})

describe('the fetcher cache', () => {
  test('the second fetch is a hit: one download, then copies from the cache', async () => {
    const f = newFetcher()
    const before = { hits: metric('cache_hits'), misses: metric('cache_misses') }
    for (let i = 0; i < 2; i++) {
      const dir = sandbox()
      await fetchInto(f, dir, [{ value: `${base}/cached/pkg.tar.gz`, cache: true }, { value: `${base}/cached/run.sh`, cache: true, executable: true }])
      expect(readFileSync(join(dir, 'pkg/hello.txt'), 'utf8')).toBe('hello from a tarball\n')
      // From the cache, an archive is only unpacked (upstream's fetchFromCache).
      expect(existsSync(join(dir, 'pkg.tar.gz'))).toBe(false)
      expect(statSync(join(dir, 'run.sh')).mode & 0o777).toBe(0o755)
    }
    expect(count('GET /cached/pkg.tar.gz')).toBe(1)
    expect(metric('cache_misses') - before.misses).toBe(2)
    expect(metric('cache_hits') - before.hits).toBe(2)
    expect(f.cache.usedSpace).toBe(files.get('pkg.tar.gz')!.byteLength + files.get('run.sh')!.byteLength)
    expect(metric('cache_size_used_bytes')).toBe(f.cache.usedSpace)
    expect(readFileSync(join(root, `sandbox-${n}`, 'stderr'), 'utf8')).toContain('from cache')
  })

  test('LRU eviction: a full cache drops the least recently used file; larger than the cache bypasses it', async () => {
    const f = newFetcher({ cacheSize: 3000 })
    const get = (name: string) => fetchInto(f, sandbox(), [{ value: `${base}/lru/${name}`, cache: true }])
    const gets = (name: string) => count(`GET /lru/${name}`)
    await get('a.bin')
    await get('b.bin')
    await get('a.bin') // a is now more recent than b
    await get('c.bin') // 3600 > 3000: b goes
    expect(f.cache.entries().map(e => e.key)).toEqual([`${base}/lru/a.bin`, `${base}/lru/c.bin`])
    await get('a.bin')
    await get('b.bin')
    expect([gets('a.bin'), gets('b.bin'), gets('c.bin')]).toEqual([1, 2, 1])
    expect(readdirSync(f.cache.dir).length).toBe(2)
    const tiny = newFetcher({ cacheSize: 1000 })
    const dir = sandbox()
    await fetchInto(tiny, dir, [{ value: `${base}/lru/a.bin`, cache: true }])
    expect(readFileSync(join(dir, 'a.bin')).byteLength).toBe(1200)
    expect(tiny.cache.size).toBe(0)
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toContain('Reverting to fetching directly into the sandbox')
  })

  test('concurrent fetches of one URI share one download', async () => {
    const f = newFetcher()
    const dirs = [sandbox(), sandbox(), sandbox()]
    await Promise.all(dirs.map(d => fetchInto(f, d, [{ value: `${base}/slow/hello.txt`, cache: true }])))
    for (const d of dirs) expect(readFileSync(join(d, 'hello.txt'), 'utf8')).toBe('hello\n')
    expect(count('GET /slow/hello.txt')).toBe(1)
  })

  test('a failed download leaves no entry and no file; the next fetch downloads again', async () => {
    const f = newFetcher()
    const uri = { value: `${base}/flaky/f.bin`, cache: true }
    await expect(fetchInto(f, sandbox(), [uri])).rejects.toThrow('received HTTP return code 500')
    expect(f.cache.size).toBe(0)
    expect(f.cache.usedSpace).toBe(0)
    expect(readdirSync(f.cache.dir)).toEqual([])
    flakyFails = false
    const dir = sandbox()
    await fetchInto(f, dir, [uri])
    expect(readFileSync(join(dir, 'f.bin')).byteLength).toBe(100)
    expect(readdirSync(f.cache.dir).length).toBe(1)
  })

  test('the cache files of an earlier run are deleted when the fetcher starts, and nothing else', () => {
    const dir = join(root, 'stale-cache')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'c1-old.bin'), 'x')
    writeFileSync(join(dir, 'c2-half.tgz.part'), 'x')
    writeFileSync(join(dir, 'notes.txt'), 'not ours')
    newFetcher({ cacheDir: dir })
    expect(readdirSync(dir)).toEqual(['notes.txt'])
  })
})
