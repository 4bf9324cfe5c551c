// The v1 scheduler API end to end: a raw HTTP/RecordIO scheduler against real master and agent processes.

import { describe, expect, test } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler, rawChunks } from '../helpers/raw-scheduler.ts'
import { meso } from '../helpers/processes.ts'
import { useSchedulerApiCluster } from '../helpers/scheduler-api-cluster.ts'

const cluster = useSchedulerApiCluster()
const newScheduler = () => cluster.newScheduler()

/** Waits for an offer and returns it (declining extras is the caller's business). */
async function offer(s: RawScheduler, since = 0) {
  const e = await s.next(e => e.type === 'OFFERS', 20_000, since)
  return e.offers.offers[0]
}

describe('subscription', () => {
  test('SUBSCRIBE answers 200 with a stream id, SUBSCRIBED then HEARTBEAT, one record per chunk', async () => {
    const s = newScheduler()
    const sub = await s.subscribe(frameworkInfo('subscriber'))
    expect(s.status).toBe(200)
    expect(s.headers.get('content-type')).toBe('application/json')
    expect(s.streamId).toMatch(/^[0-9a-f-]{36}$/)
    expect(sub.subscribed.heartbeat_interval_seconds).toBe(15)
    expect(sub.subscribed.master_info.port).toBeGreaterThan(0)
    expect(s.frameworkId).toMatch(/-0\d{3}$/)
    await s.next(e => e.type === 'HEARTBEAT')
    // Naive clients split each HTTP chunk on "\n" and expect exactly <length> and <json>: one record per chunk.
    const raw = await rawChunks(cluster.master.url, '/api/v1/scheduler', JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo('chunk-check') } }), 2)
    expect(raw.head).toContain('Transfer-Encoding: chunked')
    expect(raw.chunks.length).toBeGreaterThanOrEqual(2)
    for (const c of raw.chunks.slice(0, 2)) {
      const parts = c.split('\n')
      expect(parts.length).toBe(2)
      expect(Number(parts[0])).toBe(Buffer.byteLength(parts[1]!))
    }
    expect(JSON.parse(raw.chunks[1]!.split('\n')[1]!)).toEqual({ type: 'HEARTBEAT' })
    const o = await offer(s)
    expect(o.agent_id.value).toMatch(/-S\d+$/)
    expect(o.allocation_info.role).toBe('*')
    expect(o.resources.find((r: any) => r.name === 'cpus').role).toBe('*')
    expect(o.url.path).toBe('/slave(1)')
    s.close()
  })
})

describe('offers and tasks', () => {
  test('launches 10 tasks, sees STARTING/RUNNING/FINISHED and acknowledges each update', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('ten-tasks'))
    const o = await offer(s)
    const tasks = Array.from({ length: 10 }, (_, i) => commandTask(`t${i}`, o.agent_id.value, `echo task ${i}; sleep 0.2`))
    const r = await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 1 } } })
    expect(r.status).toBe(202)
    const seen = new Map<string, string[]>()
    const deadline = Date.now() + 30_000
    let cursor = 0
    while ([...seen.values()].filter(v => v.includes('TASK_FINISHED')).length < 10) {
      if (Date.now() > deadline) throw new Error(`not all finished: ${JSON.stringify([...seen])}`)
      const e = await s.next(e => e.type === 'UPDATE', 10_000, cursor)
      cursor = s.events.indexOf(e) + 1
      const st = e.update.status
      seen.set(st.task_id.value, [...(seen.get(st.task_id.value) ?? []), st.state])
      expect(st.uuid).toBeTruthy()
      expect(st.source).toBe('SOURCE_EXECUTOR')
      await s.ack(st)
    }
    for (const states of seen.values()) expect(states).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'])
    const running = [...seen.keys()]
    expect(running.length).toBe(10)
    s.close()
  })

  test('DECLINE with a filter holds the agent back; REVIVE brings offers back at once', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('decliner'))
    const o = await offer(s)
    await s.call('DECLINE', { decline: { offer_ids: [o.id], filters: { refuse_seconds: 30 } } })
    const mark = s.events.length
    await Bun.sleep(800)
    expect(s.events.slice(mark).filter(e => e.type === 'OFFERS').length).toBe(0)
    const r = await s.call('REVIVE')
    expect(r.status).toBe(202)
    await s.next(e => e.type === 'OFFERS', 5000, mark)
    s.close()
  })

  test('SUPPRESS stops offers until REVIVE', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('suppressor'))
    const o = await offer(s)
    await s.call('SUPPRESS')
    await s.call('DECLINE', { decline: { offer_ids: [o.id], filters: { refuse_seconds: 0 } } })
    const mark = s.events.length
    await Bun.sleep(600)
    expect(s.events.slice(mark).some(e => e.type === 'OFFERS')).toBe(false)
    await s.call('REVIVE')
    await s.next(e => e.type === 'OFFERS', 5000, mark)
    s.close()
  })

  test('KILL ends a running task with TASK_KILLED (and TASK_KILLING when asked for)', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('killer', { capabilities: [{ type: 'MULTI_ROLE' }, { type: 'TASK_KILLING_STATE' }] }))
    const o = await offer(s)
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('long', o.agent_id.value, 'sleep 60')] } }] } })
    const running = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    await s.ack(running.update.status)
    const r = await s.call('KILL', { kill: { task_id: { value: 'long' }, agent_id: o.agent_id } })
    expect(r.status).toBe(202)
    const killing = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_KILLING')
    await s.ack(killing.update.status)
    const killed = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_KILLED')
    expect(killed.update.status.message).toContain('SIGTERM')
    await s.ack(killed.update.status)
    s.close()
  })

  test('RECONCILE: implicit reports known tasks, explicit reports unknown ones as gone', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('reconciler'))
    const o = await offer(s)
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('r1', o.agent_id.value, 'sleep 30')] } }] } })
    const running = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    await s.ack(running.update.status)
    let mark = s.events.length
    await s.call('RECONCILE', { reconcile: { tasks: [] } })
    const implicit = await s.next(e => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION', 5000, mark)
    expect(implicit.update.status).toMatchObject({ task_id: { value: 'r1' }, state: 'TASK_RUNNING', source: 'SOURCE_MASTER' })
    expect(implicit.update.status.uuid).toBeUndefined()
    mark = s.events.length
    await s.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'nope' }, agent_id: o.agent_id }] } })
    const gone = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'nope', 5000, mark)
    expect(gone.update.status.state).toBe('TASK_GONE')
    mark = s.events.length
    await s.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'nope2' }, agent_id: { value: 'no-such-agent' } }] } })
    const unknown = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'nope2', 5000, mark)
    expect(unknown.update.status.state).toBe('TASK_UNKNOWN')
    await s.call('TEARDOWN')
    s.close()
  })
})

describe('bad input', () => {
  const post = (body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    fetch(`${cluster.master.url}/api/v1/scheduler`, { method: 'POST', headers, body })

  test('malformed JSON → 400 with a message', async () => {
    const r = await post('{"type": "SUBSCRIBE", ')
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('Failed to parse body into JSON')
  })
  test('unknown call type → 400', async () => {
    const r = await post(JSON.stringify({ type: 'FLY_TO_THE_MOON', framework_id: { value: 'x' } }))
    expect(r.status).toBe(400)
    expect(await r.text()).toContain("Expecting 'type' to be present")
  })
  test('missing fields → 400 naming them', async () => {
    const r = await post(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'x' } } }))
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('subscribe.framework_info.name')
  })
  test('unsupported media type → 415, not acceptable → 406, GET → 405', async () => {
    expect((await post('{}', { 'Content-Type': 'text/plain' })).status).toBe(415)
    expect((await post('{}', {})).status).toBe(400)
    const r406 = await post(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } }), { 'Content-Type': 'application/json', Accept: 'text/html' })
    expect(r406.status).toBe(406)
    expect((await fetch(`${cluster.master.url}/api/v1/scheduler`)).status).toBe(405)
  })
  test('missing or wrong stream id → 400; unknown framework → 400', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('stream-ids'))
    const noId = await fetch(`${cluster.master.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'REVIVE', framework_id: { value: s.frameworkId } }) })
    expect(noId.status).toBe(400)
    const wrong = await s.call('REVIVE', {}, { 'Mesos-Stream-Id': 'bogus' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain("didn't match")
    const unknown = await fetch(`${cluster.master.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': s.streamId }, body: JSON.stringify({ type: 'REVIVE', framework_id: { value: 'nope' } }) })
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toBe('Framework cannot be found')
    const withId = await fetch(`${cluster.master.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': 'x' }, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } }) })
    expect(withId.status).toBe(400)
    s.close()
  })
  test('an offer used twice → TASK_DROPPED with REASON_INVALID_OFFERS; bad task → TASK_ERROR', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('double-use'))
    const o = await offer(s)
    const ok = commandTask('once', o.agent_id.value, 'true')
    const mark = s.events.length
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [ok] } }], filters: { refuse_seconds: 0 } } })
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('twice', o.agent_id.value, 'true')] } }] } })
    const dropped = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'twice')
    expect(dropped.update.status).toMatchObject({ state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', source: 'SOURCE_MASTER' })
    expect(dropped.update.status.message).toContain('no longer valid')
    const o2 = await s.next(e => e.type === 'OFFERS', 10_000, mark)
    const offer2 = o2.offers.offers[0]
    const huge = commandTask('huge', offer2.agent_id.value, 'true', { cpus: 1000, mem: 16 })
    const dup = commandTask('once', offer2.agent_id.value, 'true')
    await s.call('ACCEPT', { accept: { offer_ids: [offer2.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [huge, dup] } }] } })
    const e1 = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'huge')
    expect(e1.update.status).toMatchObject({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID' })
    expect(e1.update.status.message).toContain('more resources')
    const e2 = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'once' && e.update.status.state === 'TASK_ERROR')
    expect(e2.update.status.message).toContain('duplicate ID')
    await s.call('TEARDOWN')
    s.close()
  })
  test('the master survives all of the above', async () => {
    expect((await fetch(`${cluster.master.url}/health`)).status).toBe(200)
  })
})

describe('meso task run', () => {
  test("prints the task's output and exits with its code", async () => {
    const r = await meso(['task', 'run', `--master=${cluster.master.url}`, '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3'])
    expect(r.stdout).toBe('hi\n')
    expect(r.stderr).toContain('oops')
    expect(r.code).toBe(3)
  })
  test('a missing command is a usage error (exit 2); an unreachable master exits 125', async () => {
    expect((await meso(['task', 'run', `--master=${cluster.master.url}`])).code).toBe(2)
    const r = await meso(['task', 'run', '--master=http://127.0.0.1:1', '--', 'true'])
    expect(r.code).toBe(125)
    expect(r.stderr).toMatch(/^error: cannot reach/)
  })
  test('resources no agent can fit: a clear error and exit 125', async () => {
    const r = await meso(['task', 'run', `--master=${cluster.master.url}`, '--cpus=64', '--timeout=2', '--', 'true'])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain('no agent can fit cpus=64')
  })
  test('--detach prints the id; task list/kill find it by name; list --json has the documented fields', async () => {
    const d = await meso(['task', 'run', `--master=${cluster.master.url}`, '--detach', '--name=napper', '--', 'sleep', '60'])
    expect(d.code).toBe(0)
    const id = d.stdout.trim()
    expect(id).toMatch(/^napper\./)
    const list = JSON.parse((await meso(['task', 'list', `--master=${cluster.master.url}`, '--json'])).stdout)
    const t = list.find((x: any) => x.id === id)
    expect(t).toMatchObject({ name: 'napper', state: 'TASK_RUNNING' })
    for (const k of ['framework_id', 'agent_id', 'statuses']) expect(t[k]).toBeDefined()
    const k = await meso(['task', 'kill', `--master=${cluster.master.url}`, 'napper'])
    expect(k.code).toBe(0)
    expect(k.stdout).toContain('TASK_KILLED')
  })
})
