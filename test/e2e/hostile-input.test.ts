// Hostile input against real daemons (docs/security-input.md): bodies over their endpoint's limit, JSON that nests,
// runs long or repeats beyond the limits, oversized fields, half-sent requests, secrets in GET_FLAGS, an agent link
// speaking garbage, and a fuzz run — while event streams, exec sessions, attach input and long-polls outlive the
// idle timeout.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { rssBytes } from '../../bench/lib/procfs.ts'
import { runFuzz } from '../fuzz/hostile.ts'
import { halfOpen, hostileBody } from '../fuzz/raw.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const IDLE = 4 // seconds: --http_idle_timeout for this file's daemons
const SECRET = 'hunter2-not-for-your-eyes'
const creds = JSON.stringify({ credentials: [{ principal: 'ops', secret: SECRET }] })
const linuxProblem = linuxLauncherUnavailable({})

let master: Daemon
let agent: Daemon
const mb = (n: number) => Math.round(n / 1048576)

const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body })

beforeAll(async () => {
  const dir = tempDir()
  master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', `--http_idle_timeout=${IDLE}secs`, `--credentials=${creds}`])
  agent = await startAgent(master.url, `${dir}/agent`, [`--http_idle_timeout=${IDLE}secs`, `--http_credentials=${creds}`, '--resources=cpus:2;mem:2048',
    ...(linuxProblem ? [] : ['--launcher=linux'])])
  await waitFor('the agent', async () => ((await (await fetch(`${master.url}/master/slaves`)).json()) as any).slaves.length === 1)
})

afterAll(async () => {
  await agent?.kill('SIGKILL').catch(() => {})
  await master?.kill('SIGKILL').catch(() => {})
})

describe('request bodies', () => {
  test('50 MB of `[`: 413 naming the limit, before or while reading; the master grows by less than 100 MB', async () => {
    const pid = master.proc.pid
    const before = rssBytes(pid)
    let peak = before
    const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(pid)) }, 10)
    try {
      for (const chunked of [false, true]) {
        const r = await hostileBody(master.url, '/api/v1/scheduler', 50e6, { chunked })
        expect(r.status).toBe(413)
        expect(r.body).toBe('Request body is larger than the limit of 16MB for /api/v1/scheduler (--http_request_body_limits)')
      }
      const op = await hostileBody(agent.url, '/api/v1', 50e6, { chunked: true })
      expect(op.status).toBe(413)
      expect(op.body).toContain('limit of 4MB for /api/v1')
    } finally {
      clearInterval(sampler)
    }
    console.log(`master RSS ${mb(before)} MB → peak ${mb(peak)} MB over two 50 MB hostile bodies`)
    expect(peak - before).toBeLessThan(100 * 1048576)
    expect((await fetch(`${master.url}/health`)).status).toBe(200)
  })

  test('10 MB of `[` within the body limit: 400 naming --json_max_depth, no memory blow-up', async () => {
    const pid = master.proc.pid
    const before = rssBytes(pid)
    const r = await hostileBody(master.url, '/api/v1/scheduler', 10e6, { chunked: true })
    expect(r.status).toBe(400)
    expect(r.body).toBe('Failed to parse body into JSON: nesting is deeper than the limit of 100 (--json_max_depth) at position 100')
    expect(rssBytes(pid) - before).toBeLessThan(100 * 1048576)
  })

  test('JSON limits: string length, entries, depth, each named in a 400', async () => {
    const sub = (info: Record<string, unknown>) => JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', ...info } } })
    let r = await post(`${master.url}/api/v1/scheduler`, sub({ name: 'n'.repeat(5 * 1024 * 1024) }))
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('a string is longer than the limit of 4194304 (--json_max_string_length)')
    r = await post(`${master.url}/api/v1/scheduler`, sub({ roles: Array.from({ length: 100_001 }, () => '*') }))
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('has more entries than the limit of 100000 (--json_max_array_length)')
    r = await post(`${master.url}/api/v1`, `{"type":"GET_STATE","x":${'['.repeat(101)}${']'.repeat(101)}}`, { Authorization: `Basic ${btoa(`ops:${SECRET}`)}` })
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('(--json_max_depth)')
  })
})

describe('field limits', () => {
  test("a 2,000-character framework name is refused with Mesos' wording, never stored, served or logged", async () => {
    const name = 'N'.repeat(2000)
    const r = await post(`${master.url}/api/v1/scheduler`, JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name } } }))
    expect(r.status).toBe(400)
    expect(await r.text()).toBe("Failed to validate scheduler::Call: 'FrameworkInfo.name' must not be longer than 1024 characters (it has 2000)")
    expect(await (await fetch(`${master.url}/master/state`)).text()).not.toContain(name)
    expect(master.log()).not.toContain(name)
  })

  test('task names, labels and IDs are checked at launch (TASK_ERROR)', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('field-limits'))
    try {
      const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
      const bad = [
        { ...commandTask('long-name', offer.agent_id.value, 'true'), name: 'x'.repeat(1025) },
        { ...commandTask('many-labels', offer.agent_id.value, 'true'), labels: { labels: Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}` })) } },
        commandTask('a'.repeat(256), offer.agent_id.value, 'true'),
      ]
      const r = await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: bad } }] } })
      expect(r.status).toBe(202)
      const errors = await waitFor('three TASK_ERRORs', () => {
        const e = s.events.filter(x => x.type === 'UPDATE' && x.update.status.state === 'TASK_ERROR').map(x => x.update.status.message as string)
        return e.length === 3 && e
      })
      expect(errors.join('\n')).toContain("'TaskInfo.name' must not be longer than 1024 characters")
      expect(errors.join('\n')).toContain("'TaskInfo.labels' must not have more than 1000 labels")
      expect(errors.join('\n')).toContain('ID must not be greater than 255 characters')
    } finally {
      s.close()
    }
  })
})

describe('timeouts', () => {
  test(`300 half-sent heads, 300 half-sent bodies and 300 idle connections are all closed (--http_idle_timeout=${IDLE}secs)`, async () => {
    const [heads, bodies, idle] = await Promise.all([
      halfOpen(master.url, 300, 'headers', 20_000), halfOpen(master.url, 300, 'body', 20_000), halfOpen(master.url, 300, 'idle', 20_000)])
    // Bun's timer ticks every 4 s; a head must arrive within Bun's own ~10 s.
    expect(Math.max(...bodies)).toBeLessThanOrEqual((IDLE + 4) * 1000 + 1000)
    expect(Math.max(...idle)).toBeLessThanOrEqual((IDLE + 4) * 1000 + 1000)
    expect(Math.max(...heads)).toBeLessThanOrEqual(16_000)
    console.log(`closed after at most: half-sent heads ${Math.max(...heads)} ms, half-sent bodies ${Math.max(...bodies)} ms, idle ${Math.max(...idle)} ms`)
  }, 30_000)

  test('event streams, an exec session, attach input and a long-poll outlive the idle timeout', async () => {
    const quiet = 3 * IDLE * 1000 // past the idle timeout and its 4 s ticks (closed after 4 to 8 s)
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('long-lived'))
    const auth = { Authorization: `Basic ${btoa(`ops:${SECRET}`)}` }
    const ops = await post(`${master.url}/api/v1`, JSON.stringify({ type: 'SUBSCRIBE' }), auth)
    expect(ops.status).toBe(200)
    let opsText = ''
    void (async () => { try { for await (const c of ops.body!) opsText += new TextDecoder().decode(c) } catch { /* closed */ } })()
    const checks: Promise<unknown>[] = [
      s.nextNew(e => e.type === 'HEARTBEAT', quiet + 15_000), // HEARTBEAT every 15 s
      waitFor('an operator HEARTBEAT after the quiet time', () => opsText.split('"type":"HEARTBEAT"').length > 2, quiet + 15_000),
    ]
    if (!linuxProblem) checks.push(containerStreams(s, quiet))
    try {
      await Promise.all(checks)
    } finally {
      s.close()
      await ops.body?.cancel().catch(() => {})
    }
  }, 90_000)
})

/** An exec session silent for `quiet` ms, attach input quiet as long, and WAIT_NESTED_CONTAINER on a nested container. */
async function containerStreams(s: RawScheduler, quiet: number) {
  const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
  await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('sleeper', offer.agent_id.value, 'sleep 300')] } }] } })
  const running = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
  const parent = running.update.status.container_status.container_id
  const api = `${agent.url}/api/v1`
  const auth = { Authorization: `Basic ${btoa(`ops:${SECRET}`)}` }
  const secs = Math.round(quiet / 1000)
  const session = { value: crypto.randomUUID(), parent }
  const out = await fetch(api, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/recordio', ...auth },
    body: JSON.stringify({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: session, command: { value: 'sh', arguments: ['sh', '-c', `read line; sleep ${secs}; echo "got $line"`], shell: false } } }),
  })
  expect(out.status).toBe(200)
  let outText = ''
  const reading = (async () => { for await (const c of out.body!) outText += new TextDecoder().decode(c) })()
  // Attach input: the container id now, one line after a quiet spell (the body stays open meanwhile).
  const rec = (o: unknown) => { const t = JSON.stringify(o); return `${Buffer.byteLength(t)}\n${t}` }
  let feed!: ReadableStreamDefaultController<Uint8Array>
  const input = fetch(api, {
    method: 'POST', headers: { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', ...auth },
    body: new ReadableStream<Uint8Array>({ start(c) { feed = c } }),
  })
  const enc = new TextEncoder()
  feed.enqueue(enc.encode(rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: session } })))
  const nested = { value: crypto.randomUUID(), parent }
  const launched = await post(api, JSON.stringify({ type: 'LAUNCH_NESTED_CONTAINER', launch_nested_container: { container_id: nested, command: { value: `sleep ${secs}` } } }), auth)
  expect(launched.status).toBe(200)
  const wait = post(api, JSON.stringify({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: nested } }), auth)
  await Bun.sleep(quiet)
  const stdin = (b: string) => rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: Buffer.from(b).toString('base64') } } } })
  feed.enqueue(enc.encode(stdin('hello\n') + stdin('')))
  feed.close()
  expect((await input).status).toBe(200)
  const waited = await wait
  expect(waited.status).toBe(200)
  expect(((await waited.json()) as any).wait_nested_container.exit_status).toBe(0)
  await waitFor('the session output', () => outText.includes(Buffer.from('got hello\n').toString('base64')), quiet + 10_000)
  await out.body?.cancel().catch(() => {})
  await reading.catch(() => {})
}

describe('secrets', () => {
  test('inline --credentials and --http_credentials are never shown by /flags, GET_FLAGS or /state', async () => {
    const auth = { Authorization: `Basic ${btoa(`ops:${SECRET}`)}` }
    const answers = [
      await (await fetch(`${master.url}/master/flags`)).text(),
      await (await fetch(`${master.url}/master/state`)).text(),
      await (await post(`${master.url}/api/v1`, JSON.stringify({ type: 'GET_FLAGS' }), auth)).text(),
      await (await fetch(`${agent.url}/flags`, { headers: auth })).text(),
      await (await post(`${agent.url}/api/v1`, JSON.stringify({ type: 'GET_FLAGS' }), auth)).text(),
    ]
    for (const a of answers) expect(a).not.toContain(SECRET)
    expect(JSON.parse(answers[0]!).flags.credentials).toBe('REDACTED')
    expect(JSON.parse(answers[3]!).flags.http_credentials).toBe('REDACTED')
  })
})

describe('the agent link', () => {
  test('garbage, deep nesting and an oversized message: dropped or closed, the master lives on', async () => {
    const ws = new WebSocket(`${master.url.replace('http', 'ws')}/internal/v1/agent`)
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
    const closed = new Promise<number>(resolve => { ws.onclose = e => resolve(e.code) })
    ws.send('{"type":"REGISTER"')
    ws.send('['.repeat(1_000_000))
    ws.send(JSON.stringify({ type: 'REGISTER', agent_info: { hostname: 'h'.repeat(2000) }, version: '1', capabilities: [], protocol: 1, pid: 'x' }))
    ws.send('x'.repeat(17 * 1024 * 1024))
    expect(await closed).toBe(1009)
    expect((await fetch(`${master.url}/health`)).status).toBe(200)
    expect(((await (await fetch(`${master.url}/master/slaves`)).json()) as any).slaves.length).toBe(1)
  })
})

describe('fuzz', () => {
  test('3,000 fuzzed requests: no crash, no 5xx but 501', async () => {
    const alive = () => master.proc.exitCode === null && agent.proc.exitCode === null
    const report = await runFuzz({ master: master.url, agent: agent.url, count: 3000, concurrency: 16, seed: 7, alive })
    console.log(`fuzz: ${report.requests} requests in ${report.seconds.toFixed(1)} s, statuses ${JSON.stringify(report.byStatus)}, ${report.transportErrors} transport errors`)
    expect(report.serverErrors).toEqual([])
    expect(alive()).toBe(true)
    expect(report.requests).toBe(3000)
  }, 30_000)
})
