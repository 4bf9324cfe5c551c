// The fetcher's pure decisions: what a URI becomes in the sandbox (uri-plan.ts, Mesos' Fetcher::basename,
// validateOutputFile, uriToLocalPath and extract rules), which cache entries are evicted (cache-eviction.ts), the
// cache's bookkeeping (fetcher-cache.ts, with an in-memory file set) and the CLI's --uri syntax (client/uri-flag.ts).

import { describe, expect, test } from 'bun:test'
import { selectVictims } from '../../src/agent/fetcher/cache-eviction.ts'
import { FetcherCache } from '../../src/agent/fetcher/fetcher-cache.ts'
import { cacheFilename, cacheKey, extractionOf, planUri, redactUri, uriBasename, uriSource, validateOutputFile } from '../../src/agent/fetcher/uri-plan.ts'
import { parseUriFlag } from '../../src/client/uri-flag.ts'

describe('uri-plan', () => {
  test('basename: path-like, as upstream (query strings are part of it); malformed URIs are refused', () => {
    expect(uriBasename('http://h:80/a/b/tool.tar.gz')).toBe('tool.tar.gz')
    expect(uriBasename('http://h/a/x.sh?v=1')).toBe('x.sh?v=1')
    expect(uriBasename('/opt/files/app.zip')).toBe('app.zip')
    expect(uriBasename('file:///opt/app')).toBe('app')
    expect(() => uriBasename('http://host')).toThrow('Malformed URI (missing path): http://host')
    expect(() => uriBasename('http://host/')).toThrow('Malformed URI (missing path)')
    expect(() => uriBasename("http://h/it's")).toThrow('Illegal characters in URI')
    expect(() => uriBasename('http://h/a\\b')).toThrow('Illegal characters in URI')
  })

  test('user information is redacted in anything shown', () => {
    expect(redactUri('https://alice:s3cret@h.example/f.tgz')).toBe('https://REDACTED@h.example/f.tgz')
    expect(redactUri('http://h/a@b')).toBe('http://h/a@b')
    expect(() => uriBasename('http://u:pw@host')).toThrow('Malformed URI (missing path): http://REDACTED@host')
  })

  test('output_file stays inside the sandbox', () => {
    expect(validateOutputFile('bin/tool')).toBe('bin/tool')
    expect(validateOutputFile('./a//b')).toBe('a/b')
    expect(validateOutputFile('a/../b')).toBe('b')
    expect(() => validateOutputFile('')).toThrow('URI output file path is empty')
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '..', '.', 'dir/']) {
      expect(() => validateOutputFile(bad)).toThrow('URI output file must be within the sandbox directory')
    }
  })

  test('sources: http(s), file:// and absolute paths; relative ones need --frameworks_home; other schemes are refused', () => {
    expect(uriSource('https://h/x')).toEqual({ kind: 'net', url: 'https://h/x' })
    expect(uriSource('  http://h/x')).toEqual({ kind: 'net', url: 'http://h/x' })
    expect(uriSource('file:///opt/a%20b')).toEqual({ kind: 'local', path: '/opt/a b' })
    expect(uriSource('file://localhost/opt/a')).toEqual({ kind: 'local', path: '/opt/a' })
    expect(uriSource('/opt/a')).toEqual({ kind: 'local', path: '/opt/a' })
    expect(uriSource('bin/a', '/srv/fw')).toEqual({ kind: 'local', path: '/srv/fw/bin/a' })
    expect(() => uriSource('bin/a')).toThrow('A relative path was passed for the resource but the Mesos framework home was not specified')
    expect(() => uriSource('file://rel/a')).toThrow('File URI only supports absolute paths')
    expect(() => uriSource('hdfs://nn/x')).toThrow("Unsupported URI scheme 'hdfs'")
    expect(() => uriSource('ftp://h/x')).toThrow("Unsupported URI scheme 'ftp'")
  })

  test('extraction by extension, as upstream', () => {
    expect(extractionOf('a.tar')).toEqual({ kind: 'tar' })
    for (const f of ['a.tgz', 'a.tar.gz']) expect(extractionOf(f)).toEqual({ kind: 'tar', compression: 'gzip' })
    for (const f of ['a.tbz2', 'a.tar.bz2']) expect(extractionOf(f)).toEqual({ kind: 'tar', compression: 'bzip2' })
    for (const f of ['a.txz', 'a.tar.xz']) expect(extractionOf(f)).toEqual({ kind: 'tar', compression: 'xz' })
    expect(extractionOf('a.zip')).toEqual({ kind: 'zip' })
    expect(extractionOf('dir/data.csv.gz')).toEqual({ kind: 'gunzip', filename: 'data.csv' })
    expect(extractionOf('a.sh')).toBeUndefined()
    expect(extractionOf('a.tar.gz?x=1')).toBeUndefined()
  })

  test('plans: executable wins over extract; extract=false copies; a non-archive with extract is copied with a warning', () => {
    const p = planUri({ value: 'http://h/d/tool.tar.gz' })
    expect(p).toMatchObject({ outputFile: 'tool.tar.gz', extraction: { kind: 'tar', compression: 'gzip' }, executable: false, cache: false, notAnArchive: false })
    expect(planUri({ value: 'http://h/tool.tar.gz', executable: true }).extraction).toBeUndefined()
    expect(planUri({ value: 'http://h/tool.tar.gz', extract: false })).toMatchObject({ extraction: undefined, notAnArchive: false })
    expect(planUri({ value: 'http://h/run.sh' })).toMatchObject({ extraction: undefined, notAnArchive: true })
    // Bypassing the cache the output file's name decides; through the cache the URI's (the cache file keeps it).
    expect(planUri({ value: 'http://h/blob', output_file: 'x.zip' }).extraction).toEqual({ kind: 'zip' })
    expect(planUri({ value: 'http://h/blob', output_file: 'x.zip', cache: true }).extraction).toBeUndefined()
    expect(planUri({ value: 'http://h/x.zip', output_file: 'blob', cache: true }).extraction).toEqual({ kind: 'zip' })
    expect(planUri({ value: 'https://u:p@h/f' }).shown).toBe('https://REDACTED@h/f')
    expect(() => planUri({ value: 'http://h/f', output_file: '../../etc/cron.d/x' })).toThrow('within the sandbox')
  })

  test('cache keys are per user; cache file names keep the extension', () => {
    expect(cacheKey('alice', 'http://h/a')).toBe('alice@http://h/a')
    expect(cacheKey(undefined, 'http://h/a')).toBe('http://h/a')
    expect(cacheFilename(7, 'http://h/a/tool.tar.gz')).toBe('c7-tool.tar.gz')
    expect(cacheFilename(8, 'http://h/a/a-very-long-name-for-a-file.tar.gz')).toBe('c8-a-very-lon_ile.tar.gz')
    expect(cacheFilename(9, 'http://h/a/we ird$.sh')).toBe('c9-we_ird_.sh')
  })
})

describe('cache eviction (LRU, unused entries only)', () => {
  const e = (size: number, referenced = false, name = '') => ({ size, referenced, name })
  test('least recently used first, stopping once enough is free', () => {
    const a = e(10, false, 'a'), b = e(20, false, 'b'), c = e(30, false, 'c')
    expect(selectVictims([a, b, c], 25)).toEqual([a, b])
    expect(selectVictims([a, b, c], 10)).toEqual([a])
    expect(selectVictims([a, b, c], 0)).toEqual([])
  })
  test('entries in use are skipped; not enough room is undefined', () => {
    const a = e(10, true, 'a'), b = e(20, false, 'b'), c = e(30, false, 'c')
    expect(selectVictims([a, b, c], 25)).toEqual([b, c])
    expect(selectVictims([a, b, c], 51)).toBeUndefined()
  })
})

describe('FetcherCache bookkeeping', () => {
  function cache(total: number) {
    const files = new Set<string>()
    const removed: string[] = []
    const c = new FetcherCache('/cache', total, { exists: p => files.has(p), remove: p => { files.delete(p); removed.push(p) } })
    const add = (key: string, size: number) => { const en = c.create(key, `http://h/${key}.bin`); c.reserve(en, size); files.add(en.path); c.complete(en, size); return en }
    return { c, files, removed, add }
  }

  test('reserving evicts the least recently used unused entries; a get() refreshes an entry', async () => {
    const { c, removed, add } = cache(100)
    const a = add('a', 40), b = add('b', 40)
    expect(c.usedSpace).toBe(80)
    c.get('a') // a is now the most recently used: b goes first
    const n = c.create('n', 'http://h/n.bin')
    c.reserve(n, 50)
    expect(removed).toEqual([b.path])
    expect(c.get('b')).toBeUndefined()
    expect(c.get('a')).toBe(a)
    expect(c.usedSpace).toBe(90)
    await a.completion
  })

  test('entries in use are never evicted; a URI larger than the cache cannot reserve', () => {
    const { c, add } = cache(100)
    const a = add('a', 60)
    a.refs++
    const n = c.create('n', 'http://h/n.bin')
    expect(() => c.reserve(n, 50)).toThrow('Could not free up enough fetcher cache space')
    c.fail(n)
    const big = c.create('big', 'http://h/big.bin')
    expect(() => c.reserve(big, 101)).toThrow('Could not free up enough fetcher cache space')
  })

  test('a failed download removes its entry and file and tells the waiters; a smaller file gives space back', async () => {
    const { c, removed, add } = cache(100)
    const p = c.create('p', 'http://h/p.bin')
    c.reserve(p, 30)
    const waiter = c.get('p')!.completion
    c.fail(p)
    await expect(waiter).rejects.toThrow('Could not download to fetcher cache: p')
    expect(removed).toEqual([p.path])
    expect(c.get('p')).toBeUndefined()
    expect(c.usedSpace).toBe(0)
    const s = c.create('s', 'http://h/s.bin')
    c.reserve(s, 50)
    c.complete(s, 20)
    expect(c.usedSpace).toBe(20)
    add('t', 10)
    expect(c.usedSpace).toBe(30)
  })

  test('a ready entry whose file disappeared is dropped on get()', () => {
    const { c, files, add } = cache(100)
    const a = add('a', 10)
    files.delete(a.path)
    expect(c.get('a')).toBeUndefined()
    expect(c.usedSpace).toBe(0)
  })
})

describe('meso task run --uri', () => {
  test('URL with options peeled off the end; commas inside the URL stay', () => {
    expect(parseUriFlag('https://h/a.tgz')).toEqual({ value: 'https://h/a.tgz' })
    expect(parseUriFlag('https://h/run.sh,executable=true,cache=true')).toEqual({ value: 'https://h/run.sh', executable: true, cache: true })
    expect(parseUriFlag('https://h/a.tgz,extract=false,output_file=lib/a.tgz')).toEqual({ value: 'https://h/a.tgz', extract: false, output_file: 'lib/a.tgz' })
    expect(parseUriFlag('https://h/q?ids=1,2,output-file=x')).toEqual({ value: 'https://h/q?ids=1,2', output_file: 'x' })
    expect(parseUriFlag('https://h/q?ids=1,2')).toEqual({ value: 'https://h/q?ids=1,2' })
  })
  test('bad values are usage errors', () => {
    expect(() => parseUriFlag('https://h/a,cache=yes')).toThrow('--uri: cache must be true or false')
    expect(() => parseUriFlag(',cache=true')).toThrow('--uri expects URL')
    expect(() => parseUriFlag('https://h/a,output_file=')).toThrow('output_file needs a file name')
  })
})
