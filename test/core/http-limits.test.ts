// The HTTP edge under hostile input (docs/security-input.md): body limits per endpoint, the request timer (stalled
// bodies and idle connections closed; long-polls and streams not), limit flags, secrets kept out of GET_FLAGS, log
// lines cut.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AGENT_FLAGS } from '../../src/agent/flags.ts'
import { flagStrings, formatBytes, parseBytes, resolveFlags, REDACTED, type FlagSpec } from '../../src/core/flags.ts'
import { EventStream } from '../../src/core/http/event-stream.ts'
import { Router } from '../../src/core/http/router.ts'
import { AGENT_BODY_LIMITS, formatBodyLimit, limitsFromFlags, MASTER_BODY_LIMITS, parseBodyLimits, serveOptions, setLimits, STREAMED } from '../../src/core/http/server-limits.ts'
import { clipLogMessage, MAX_LOG_MESSAGE } from '../../src/core/log.ts'
import { MASTER_FLAGS } from '../../src/master/flags.ts'
import { halfOpen, hostileBody } from '../fuzz/raw.ts'

describe('limit flags', () => {
  test('stout byte sizes', () => {
    expect(parseBytes('16MB')).toBe(16 * 1024 * 1024)
    expect(parseBytes('512kb')).toBe(512 * 1024)
    expect(parseBytes('100')).toBe(100)
    expect(parseBytes('1.5GB')).toBeUndefined()
    expect(parseBytes('3 parsecs')).toBeUndefined()
    expect(formatBytes(16 * 1024 * 1024)).toBe('16MB')
    expect(formatBytes(1536 * 1024)).toBe('1536KB')
    expect(formatBytes(1000)).toBe('1000B')
  })

  test('--http_request_body_limits: defaults, overrides one path at a time, errors', () => {
    const m = parseBodyLimits('/api/v1/scheduler=32MB,/teardown=4KB', MASTER_BODY_LIMITS)
    expect([...m].map(([p, n]) => `${p}=${formatBodyLimit(n)}`)).toEqual(['/api/v1/scheduler=32MB', '/api/v1=4MB', '*=64KB', '/teardown=4KB'])
    expect(parseBodyLimits('', AGENT_BODY_LIMITS).get('/api/meso/v1/images/load')).toBe(STREAMED)
    expect(() => parseBodyLimits('api=1MB')).toThrow("'api=1MB' is not PATH=SIZE")
    expect(() => parseBodyLimits('/x=lots')).toThrow("'lots' in '/x=lots' is not a byte size")
    expect(() => resolveFlags(MASTER_FLAGS, { http_idle_timeout: '300secs' })).toThrow('--http_idle_timeout: must be between 0secs (no timeout) and 255secs')
    expect(() => resolveFlags(MASTER_FLAGS, { json_max_depth: '0' })).toThrow('--json_max_depth: must be positive')
  })

  test("the daemons' defaults, as GET_FLAGS shows them", () => {
    const master = resolveFlags(MASTER_FLAGS, {})
    const limits = limitsFromFlags(master, MASTER_BODY_LIMITS)
    expect(limits.idleTimeoutSeconds).toBe(60)
    expect(limits.json).toEqual({ maxDepth: 100, maxStringLength: 4 * 1024 * 1024, maxEntries: 100_000 })
    expect(limits.maxAgentMessageBytes).toBe(16 * 1024 * 1024)
    const shown = Object.fromEntries(flagStrings(MASTER_FLAGS, master).map(f => [f.name, f.value]))
    expect(shown).toMatchObject({ http_request_body_limits: MASTER_BODY_LIMITS, http_idle_timeout: '1mins', json_max_string_length: '4MB', max_agent_message_size: '16MB' })
    expect(Object.fromEntries(flagStrings(AGENT_FLAGS, resolveFlags(AGENT_FLAGS, {})).map(f => [f.name, f.value])).http_request_body_limits).toBe(AGENT_BODY_LIMITS)
  })
})

describe('secrets in GET_FLAGS and /flags', () => {
  test('inline credentials are REDACTED; absolute paths are shown as Mesos shows its Path flags', () => {
    const inline = JSON.stringify({ credentials: [{ principal: 'p', secret: 's3cret' }] })
    const show = (specs: readonly FlagSpec[], values: Record<string, string>) =>
      Object.fromEntries(flagStrings(specs, resolveFlags(specs, values)).map(f => [f.name, f.value]))
    expect(show(MASTER_FLAGS, { credentials: inline }).credentials).toBe(REDACTED)
    expect(show(MASTER_FLAGS, { credentials: '/etc/meso/credentials' }).credentials).toBe('/etc/meso/credentials')
    expect(show(MASTER_FLAGS, { credentials: 'file:///etc/meso/credentials' }).credentials).toBe('file:///etc/meso/credentials')
    expect(show(MASTER_FLAGS, { credentials: 'p s3cret' }).credentials).toBe(REDACTED)
    const agent = show(AGENT_FLAGS, { http_credentials: inline, credential: '{"principal":"p","secret":"s3cret"}', docker_config: '{"auths":{"r":{"auth":"s3cret"}}}' })
    expect(JSON.stringify(agent)).not.toContain('s3cret')
    expect(MASTER_FLAGS.filter(f => 'secret' in f).map(f => f.name)).toEqual(['credentials', 'secret_key_file'])
    expect(AGENT_FLAGS.filter(f => 'secret' in f).map(f => f.name)).toEqual(expect.arrayContaining(['http_credentials', 'credential', 'docker_config']))
  })
})

describe('log lines', () => {
  test('a message longer than MAX_LOG_MESSAGE is cut, never inside a surrogate pair', () => {
    expect(clipLogMessage('short')).toBe('short')
    const long = 'x'.repeat(MAX_LOG_MESSAGE - 1) + '😀' + 'y'.repeat(50_000_000)
    const clipped = clipLogMessage(long)
    expect(clipped.length).toBeLessThan(MAX_LOG_MESSAGE + 40)
    expect(clipped).toEndWith(`… [${long.length - MAX_LOG_MESSAGE + 1} more characters]`)
    expect(clipped).not.toContain('\ud83d…')
  })
})

describe('the router under hostile input', () => {
  const IDLE = 4
  let server: import('bun').Server<undefined>
  let base = ''
  const seen: { path: string; bytes: number }[] = []
  let lastStream: EventStream | undefined

  beforeAll(() => {
    // The limits serveOptions records for the 'master' delegate: small ones, to test with small bodies.
    const flags = { ...resolveFlags(MASTER_FLAGS, {}), http_request_body_limits: '/small=1KB,/stream=unlimited', http_idle_timeout: IDLE * 1000 }
    const opts = serveOptions('master', flags)
    const router = new Router('master')
    const count = (path: string) => async (req: Request) => {
      const bytes = (await req.arrayBuffer()).byteLength
      seen.push({ path, bytes })
      return new Response(`got ${bytes}`)
    }
    router.post('/small', count('/small'))
    router.post('/api/v1/scheduler', count('/api/v1/scheduler'))
    router.post('/stream', async req => {
      let n = 0
      for await (const c of req.body!) n += c.byteLength
      return new Response(`streamed ${n}`)
    })
    router.get('/slow', async (_req, url) => { await Bun.sleep(Number(url.searchParams.get('ms'))); return new Response('late') })
    router.get('/events', () => { lastStream = new EventStream({ 'Content-Type': 'application/json' }); lastStream.send('{"type":"SUBSCRIBED"}'); return lastStream.response })
    server = Bun.serve({ hostname: '127.0.0.1', port: 0, ...opts, fetch: async (req, srv) => (await router.handle(req, srv)) ?? new Response('', { status: 404 }) })
    base = `http://127.0.0.1:${server.port}`
    expect(opts).toEqual({ idleTimeout: IDLE, maxRequestBodySize: Number.MAX_SAFE_INTEGER })
  })
  afterAll(() => {
    server?.stop(true)
    setLimits('master', limitsFromFlags(resolveFlags(MASTER_FLAGS, {}), MASTER_BODY_LIMITS))
  })

  test('bodies within the limit reach the handler whole; over it, 413 naming the limit', async () => {
    const post = (path: string, body: string | Uint8Array | ReadableStream) => fetch(base + path, { method: 'POST', body }).then(async r => `${r.status} ${await r.text()}`)
    expect(await post('/small', 'x'.repeat(1024))).toBe('200 got 1024')
    expect(await post('/small', 'x'.repeat(1025))).toBe('413 Request body is larger than the limit of 1KB for /small (--http_request_body_limits)')
    const chunked = (n: number) => new ReadableStream({ start(c) { c.enqueue(new Uint8Array(n)); c.close() } })
    expect(await post('/small', chunked(2000))).toBe('413 Request body is larger than the limit of 1KB for /small (--http_request_body_limits)')
    expect(await post('/master/small', chunked(1000))).toBe('200 got 1000')
    expect(await post('/api/v1/scheduler', new Uint8Array(3 << 20))).toBe('200 got 3145728')
    expect(await post('/api/v1/scheduler', new Uint8Array(17 << 20))).toBe('413 Request body is larger than the limit of 16MB for /api/v1/scheduler (--http_request_body_limits)')
    expect(await post('/stream', new Uint8Array(40 << 20))).toBe('200 streamed 41943040')
    expect(seen.filter(s => s.path === '/small').map(s => s.bytes)).toEqual([1024, 1000])
  })

  test('a 50 MB hostile body is refused with the message (the rest of it is dropped, not read into memory)', async () => {
    const r = await hostileBody(base, '/small', 50e6, { chunked: true })
    expect(r.status).toBe(413)
    expect(r.body).toBe('Request body is larger than the limit of 1KB for /small (--http_request_body_limits)')
  })

  test('stalled bodies and idle connections are closed after the idle timeout; a long-poll and an event stream are not', async () => {
    const events = async () => {
      const res = await fetch(`${base}/events`)
      expect(res.headers.get('connection')).toBe('close') // a lifted timer must not outlive the stream on a kept-alive connection
      const reader = res.body!.getReader()
      await reader.read()
      await Bun.sleep((IDLE + 6) * 1000)
      expect(lastStream!.send('{"type":"HEARTBEAT"}')).toBe(true)
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('HEARTBEAT')
      lastStream!.close()
      expect((await reader.read()).done).toBe(true)
    }
    const longPoll = async () => expect(await (await fetch(`${base}/slow?ms=${(IDLE + 6) * 1000}`)).text()).toBe('late')
    const [bodies, idle] = await Promise.all([halfOpen(base, 50, 'body', 15_000), halfOpen(base, 50, 'idle', 15_000), longPoll(), events()])
    for (const t of [...bodies!, ...idle!]) expect(t).toBeLessThanOrEqual((IDLE + 4) * 1000 + 500) // Bun's timer ticks every 4 s
  }, 30_000)
})
