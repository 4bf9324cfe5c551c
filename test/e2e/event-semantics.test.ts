// Event semantics Mesos clients depend on (issue 16), end to end with a raw scheduler against real master and
// agent processes: how a refused SUBSCRIBE looks on the wire (200, a stream id, one ERROR event, the end of the
// stream: pymesos raises instead of calling error() on a 4xx), TEARDOWN without ERROR, failover with the old
// connection still open, UPDATE_FRAMEWORK's 400s, offers to a framework without MULTI_ROLE, doubles in the JSON, and
// the agent API's status codes where they used to differ from Mesos'. Pure rules: test/master/event-semantics.test.ts.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler, rawChunks } from '../helpers/raw-scheduler.ts'
import { waitFor } from '../helpers/processes.ts'
import { useSchedulerApiCluster } from '../helpers/scheduler-api-cluster.ts'

// A long --offer_timeout: an offer stranded by a failover would show as a test timeout, not be papered over.
const cluster = useSchedulerApiCluster({ masterFlags: ['--offer_timeout=10mins'] })
const newScheduler = () => cluster.newScheduler()

/** RecordIO records of a complete body (the stream ended). */
function records(body: string): any[] {
  const out: any[] = []
  let buf = Buffer.from(body)
  while (buf.length) {
    const nl = buf.indexOf(10)
    const len = Number(buf.subarray(0, nl).toString())
    out.push(JSON.parse(buf.subarray(nl + 1, nl + 1 + len).toString()))
    buf = buf.subarray(nl + 1 + len)
  }
  return out
}

/** A SUBSCRIBE whose stream is expected to end: its status, stream id and every event it carried. */
async function subscribeToEnd(info: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${cluster.master.url}/api/v1/scheduler`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info, ...extra } }),
    signal: AbortSignal.timeout(10_000),
  })
  // text() resolves only once the master has closed the stream.
  return { status: res.status, streamId: res.headers.get('mesos-stream-id'), events: records(await res.text()) }
}

describe('a refused SUBSCRIBE is 200, a stream id, one ERROR event, then the end of the stream', () => {
  const refused = async (info: Record<string, unknown>, message: string, extra: Record<string, unknown> = {}) => {
    const r = await subscribeToEnd(info, extra)
    expect(r.status).toBe(200)
    expect(r.streamId).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.events).toEqual([{ type: 'ERROR', error: { message } }])
  }

  test('invalid FrameworkInfo: roles without MULTI_ROLE, an invalid role, suppressed roles outside the roles', async () => {
    await refused({ user: 'root', name: 'x', roles: ['a'] }, "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable")
    await refused(frameworkInfo('x', { roles: ['a/../b'] }), "'FrameworkInfo.roles' contains invalid role: Role 'a/../b' cannot include '..' as a path component")
    await refused(frameworkInfo('x', { roles: ['a'] }), 'Suppressed roles { b } are not contained in the set of roles', { suppressed_roles: ['b'] })
    await refused(frameworkInfo('x'), "Offer constraints specify `role_constraints` for a role 'z'not contained in the set of roles",
      { offer_constraints: { role_constraints: { z: { groups: [{ attribute_constraints: [{ selector: { attribute_name: 'a' }, predicate: { exists: {} } }] }] } } } })
  })

  test('a torn-down framework id; a changed principal', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('torn', { principal: 'team-a' }))
    const id = s.frameworkId
    // Another instance takes the id over under a different principal: refused, the first one keeps its stream.
    await refused(frameworkInfo('torn', { id: { value: id }, principal: 'team-b' }), "Changing framework's principal is not allowed.")
    expect((await s.call('REVIVE')).status).toBe(202)
    expect((await s.call('TEARDOWN')).status).toBe(202)
    await refused(frameworkInfo('torn', { id: { value: id }, principal: 'team-a' }), 'Framework has been removed')
  })

  test('structural errors stay 400s before any stream opens', async () => {
    const r = await fetch(`${cluster.master.url}/api/v1/scheduler`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', framework_id: { value: 'a' }, subscribe: { framework_info: frameworkInfo('x', { id: { value: 'b' } }) } }),
    })
    expect(r.status).toBe(400)
    expect(await r.text()).toBe("Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'")
  })
})

describe('TEARDOWN and failover', () => {
  test('TEARDOWN ends the stream with no ERROR event', async () => {
    const s = new RawScheduler(cluster.master.url)
    await s.subscribe(frameworkInfo('teardown'))
    expect((await s.call('TEARDOWN')).status).toBe(202)
    // The stream ends; give a stray ERROR (it would come right before the end) the time to arrive.
    await Bun.sleep(500)
    expect(s.events.filter(e => e.type === 'ERROR')).toEqual([])
    s.close()
  })

  test('failover with the old connection open: old hears ERROR and ends; the offers come to the new one at once', async () => {
    const old = newScheduler()
    await old.subscribe(frameworkInfo('failover'))
    const first = (await old.next(e => e.type === 'OFFERS')).offers.offers[0]
    const again = newScheduler()
    const t0 = Date.now()
    await again.subscribe(frameworkInfo('failover', { id: { value: old.frameworkId } }))
    const next = (await again.next(e => e.type === 'OFFERS', 10_000)).offers.offers[0]
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(next.agent_id).toEqual(first.agent_id)
    expect(next.id.value).not.toBe(first.id.value)
    const err = await old.next(e => e.type === 'ERROR', 5_000)
    expect(err.error.message).toBe('Framework failed over')
    // The old offer is void for the new instance.
    const use = await again.call('ACCEPT', { accept: { offer_ids: [first.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('stale', first.agent_id.value, 'true')] } }] } })
    expect(use.status).toBe(202)
    const lost = await again.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'stale')
    expect(lost.update.status.reason).toBe('REASON_INVALID_OFFERS')
    cluster.release(old)
    old.close()
  })
})

describe('UPDATE_FRAMEWORK answers 400 where Mesos does', () => {
  test('user, checkpoint, principal, a missing id, suppressed roles, offer constraints; a valid update is 200', async () => {
    const s = newScheduler()
    const base = frameworkInfo('update', { principal: 'p' })
    await s.subscribe(base)
    const update = async (info: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const r = await s.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: info, ...extra } })
      return { status: r.status, text: await r.text() }
    }
    const id = { id: { value: s.frameworkId } }
    expect(await update({ ...base, ...id, user: 'nobody' })).toEqual({ status: 400, text: `FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'nobody'` })
    expect(await update({ ...base, ...id, checkpoint: false })).toEqual({ status: 400, text: "FrameworkInfo update is not valid: Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from 'true' to 'false'" })
    expect(await update({ ...base, ...id, principal: 'q' })).toEqual({ status: 400, text: "FrameworkInfo update is not valid: Changing framework's principal is not allowed." })
    expect(await update({ ...base })).toEqual({ status: 400, text: "Failed to validate scheduler::Call: 'framework_id' differs from 'update_framework.framework_info.id'" })
    expect(await update({ ...base, ...id, roles: ['a', 'a'] })).toEqual({ status: 400, text: "Supplied FrameworkInfo is not valid: 'FrameworkInfo.roles' contains duplicate items: { a }" })
    expect(await update({ ...base, ...id }, { suppressed_roles: ['nope'] })).toEqual({ status: 400, text: "'UpdateFramework' call is not valid: Suppressed roles { nope } are not contained in the set of roles" })
    const badRegex = { role_constraints: { '*': { groups: [{ attribute_constraints: [{ selector: { attribute_name: 'rack' }, predicate: { text_matches: { regex: '(a+)+' } } }] }] } } }
    const r = await update({ ...base, ...id }, { offer_constraints: badRegex })
    expect(r.status).toBe(400)
    expect(r.text).toStartWith("'UpdateFramework' call is not valid: Offer constraints are not valid: A role * has an invalid 'AttributeConstraint': Failed to construct regex from pattern '(a+)+'")
    expect((await update({ ...base, ...id, name: 'renamed' })).status).toBe(200)
  })
})

describe('offers and JSON', () => {
  test('a framework without MULTI_ROLE gets offers without allocation_info; resources print as doubles (1.0)', async () => {
    const s = newScheduler()
    await s.subscribe({ user: 'root', name: 'plain', role: '*' })
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    expect(offer.allocation_info).toBeUndefined()
    expect(offer.resources.some((r: any) => r.allocation_info)).toBe(false)
    // The wire text itself: Mesos writes a double with a fraction.
    const raw = await rawChunks(cluster.master.url, '/api/v1/scheduler', JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'raw-plain', role: '*', failover_timeout: 0 } } }), 1)
    expect(raw.chunks[0]).toContain('"heartbeat_interval_seconds":15.0')
    const state = await fetch(`${cluster.master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_AGENTS' }) })
    expect(await state.text()).toContain('"name":"cpus","type":"SCALAR","scalar":{"value":4.0}')
  })
})

describe('status updates', () => {
  test('every update after launch carries the container status; a task-group task keeps its container id parent', async () => {
    const s = newScheduler()
    await s.subscribe(frameworkInfo('statuses'))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const res = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } }]
    const executor = { type: 'DEFAULT', executor_id: { value: 'group' }, resources: res }
    const grouped = { name: 'grouped', task_id: { value: 'grouped' }, agent_id: o.agent_id, resources: res, command: { value: 'sleep 1' } }
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [
      { type: 'LAUNCH', launch: { task_infos: [commandTask('single', o.agent_id.value, 'sleep 1')] } },
      { type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [grouped] } } },
    ] } })
    for (const id of ['single', 'grouped']) {
      const running = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_RUNNING', 30_000)
      const finished = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_FINISHED', 30_000)
      for (const e of [running, finished]) {
        const cs = e.update.status.container_status
        expect(cs.network_infos[0].ip_addresses[0].ip_address).toBe('127.0.0.1')
        expect(cs.executor_pid).toBeGreaterThan(0)
        if (id === 'grouped') expect(cs.container_id.parent?.value).toBeString()
      }
      expect(finished.update.status.container_status).toEqual(running.update.status.container_status)
    }
  }, 90_000)
})

describe('agent API status codes', () => {
  let s: RawScheduler
  let containerId: { value: string }
  let sandbox: string
  const agentCall = (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    fetch(`${cluster.agent.url}/api/v1`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })

  beforeAll(async () => {
    s = new RawScheduler(cluster.master.url)
    await s.subscribe(frameworkInfo('agent-api'))
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('plain', offer.agent_id.value, 'echo hello; sleep 60')] } }] } })
    const running = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    containerId = running.update.status.container_status.container_id
    const st = await (await fetch(`${cluster.agent.url}/state`)).json() as any
    sandbox = st.frameworks.flatMap((f: any) => f.executors).find((e: any) => e.id === 'plain').directory
  })
  afterAll(async () => {
    await s?.call('TEARDOWN').catch(() => {})
    s?.close()
  })

  test('ATTACH_CONTAINER_OUTPUT to a container without a TTY: 500, as Mesos', async () => {
    const r = await agentCall({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: containerId } }, { 'Content-Type': 'application/json', Accept: 'application/recordio', 'Message-Accept': 'application/json' })
    expect(r.status).toBe(500)
    expect(await r.text()).toBe('I/O switchboard server was disabled for this container')
  })

  test('a RecordIO body for another call → 415; ATTACH_CONTAINER_INPUT as JSON → 415', async () => {
    const rec = JSON.stringify({ type: 'GET_STATE' })
    const r = await agentCall(`${rec.length}\n${rec}`, { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json' })
    expect(r.status).toBe(415)
    expect(await r.text()).toBe("Streaming 'Content-Type' application/recordio is not supported for GET_STATE call")
    const j = await agentCall({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: containerId } })
    expect(j.status).toBe(415)
    expect(await j.text()).toBe('Expecting \'Content-Type\' to be application/recordio for ATTACH_CONTAINER_INPUT call')
  })

  test('executor API: UPDATE with SOURCE_AGENT, MESSAGE without message → 400', async () => {
    const exec = (body: unknown) => fetch(`${cluster.agent.url}/api/v1/executor`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    const ids = { framework_id: { value: s.frameworkId }, executor_id: { value: 'plain' } }
    const uuid = Buffer.alloc(16, 7).toString('base64')
    const u = await exec({ type: 'UPDATE', ...ids, update: { status: { task_id: { value: 'plain' }, state: 'TASK_RUNNING', source: 'SOURCE_AGENT', uuid } } })
    expect(u.status).toBe(400)
    expect(await u.text()).toBe(`Failed to validate Executor::Call: Received Call from executor plain of framework ${s.frameworkId} with invalid source, expecting 'SOURCE_EXECUTOR'`)
    const m = await exec({ type: 'MESSAGE', ...ids })
    expect(m.status).toBe(400)
    expect(await m.text()).toBe("Failed to validate Executor::Call: Expecting 'message' to be present")
  })

  test('LIST_FILES and /files/browse on a file: 200 with an empty listing, as upstream (os::ls fails on a file)', async () => {
    await waitFor('the task output', async () => (await (await fetch(`${cluster.agent.url}/files/read?path=${encodeURIComponent(sandbox + '/stdout')}&offset=0`)).json() as any).data.includes('hello'))
    const r = await agentCall({ type: 'LIST_FILES', list_files: { path: `${sandbox}/stdout` } })
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ type: 'LIST_FILES', list_files: {} })
    const v0 = await fetch(`${cluster.agent.url}/files/browse?path=${encodeURIComponent(sandbox + '/stdout')}`)
    expect(v0.status).toBe(200)
    expect(await v0.json()).toEqual([])
  })

  test('/master/redirect/foo → 404; /master/redirect → 307', async () => {
    expect((await fetch(`${cluster.master.url}/master/redirect/foo`, { redirect: 'manual' })).status).toBe(404)
    expect((await fetch(`${cluster.master.url}/redirect/x/y`, { redirect: 'manual' })).status).toBe(404)
    expect((await fetch(`${cluster.master.url}/master/redirect`, { redirect: 'manual' })).status).toBe(307)
  })
})
