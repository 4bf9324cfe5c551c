// Dynamic reservations and persistent volumes, master side, with real processes: a raw scheduler reserves and
// creates a volume in an ACCEPT (with operation feedback), launches on the reserved resources, gets upstream's
// errors for bad operations (foreign role, unreserving more than reserved, destroying a volume in use); an operator
// reserves and unreserves over the v1 and v0 APIs (202 / 400 / 409); the state endpoints show it all, and a
// restarted master still has it. (The agent side and the kill -9 of the agent: test/e2e/persistent-volumes.test.ts.)

import { afterAll, expect, test } from 'bun:test'
import { RawScheduler, type Event } from '../helpers/raw-scheduler.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir()
const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

const reserved = (name: string, value: number, role = 'web', principal = 'ops') =>
  ({ name, type: 'SCALAR', scalar: { value }, reservations: [{ type: 'DYNAMIC', role, principal }] })
const VOLUME = { ...reserved('disk', 32), disk: { persistence: { id: 'data-1', principal: 'ops' }, volume: { container_path: 'data', mode: 'RW' } } }

const operator = async (url: string, body: unknown) =>
  fetch(`${url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })

const opStatus = (sched: RawScheduler, id: string, since = 0) =>
  sched.next(e => e.type === 'UPDATE_OPERATION_STATUS' && e.update_operation_status.status.operation_id?.value === id, 20_000, since)

const scalarOf = (list: any[], name: string, pred: (r: any) => boolean = () => true) =>
  list.filter(r => r.name === name && pred(r)).reduce((n, r) => n + r.scalar.value, 0)
const isReservedFor = (role: string) => (r: any) => r.reservations?.at(-1)?.role === role

test('reservations and volumes through ACCEPT, the operator API and a master restart', async () => {
  let master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', '--agent_reregister_timeout=30secs'])
  daemons.push(master)
  const port = new URL(master.url).port
  const agent = await startAgent(master.url, `${dir}/agent`, ['--resources=cpus:2;mem:512;disk:256', '--registration_backoff_factor=100ms'])
  daemons.push(agent)

  const sched = new RawScheduler(master.url)
  await sched.subscribe({
    user: 'root', name: 'reserver', roles: ['web'], principal: 'ops', checkpoint: true, failover_timeout: 3600,
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'RESERVATION_REFINEMENT' }],
  })
  const first = (await sched.next(e => e.type === 'OFFERS')).offers.offers[0]
  const agentId = first.agent_id.value

  // RESERVE + CREATE + LAUNCH on the reserved cpus, in one ACCEPT.
  let mark = sched.events.length
  let r = await sched.call('ACCEPT', { accept: { offer_ids: [first.id], filters: { refuse_seconds: 0 }, operations: [
    { type: 'RESERVE', id: { value: 'reserve-1' }, reserve: { resources: [reserved('cpus', 1), reserved('mem', 128), reserved('disk', 64)] } },
    { type: 'CREATE', id: { value: 'create-1' }, create: { volumes: [VOLUME] } },
    { type: 'LAUNCH', launch: { task_infos: [{
      name: 'on-reserved', task_id: { value: 'on-reserved' }, agent_id: { value: agentId }, command: { value: 'sleep 30' },
      resources: [reserved('cpus', 0.5), reserved('mem', 32), VOLUME],
    }] } },
  ] } })
  expect(r.status).toBe(202)
  const afterAccept = mark
  for (const id of ['reserve-1', 'create-1']) {
    const st = (await opStatus(sched, id, mark)).update_operation_status.status
    expect(st.state).toBe('OPERATION_FINISHED')
    expect(st.agent_id.value).toBe(agentId)
    expect(Buffer.from(st.uuid.value, 'base64')).toHaveLength(16)
    r = await sched.call('ACKNOWLEDGE_OPERATION_STATUS', { acknowledge_operation_status: { agent_id: { value: agentId }, uuid: st.uuid.value, operation_id: { value: id } } })
    expect(r.status).toBe(202)
  }
  await sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'on-reserved' && e.update.status.state === 'TASK_RUNNING', 30_000)

  // Acknowledged: reconciliation no longer knows it; an unknown agent is OPERATION_UNKNOWN too.
  mark = sched.events.length
  r = await sched.call('RECONCILE_OPERATIONS', { reconcile_operations: { operations: [{ operation_id: { value: 'reserve-1' }, agent_id: { value: agentId } }] } })
  expect(r.status).toBe(202)
  expect((await opStatus(sched, 'reserve-1', mark)).update_operation_status.status).toMatchObject({ state: 'OPERATION_UNKNOWN', message: 'Reconciliation: Operation is unknown' })

  // Bad operations get upstream's errors: a foreign role, more than reserved, a volume in use.
  const next: Event = await sched.next(e => e.type === 'OFFERS', 20_000, afterAccept)
  const offer = next.offers.offers[0]
  mark = sched.events.length
  r = await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], filters: { refuse_seconds: 0 }, operations: [
    { type: 'RESERVE', id: { value: 'foreign' }, reserve: { resources: [reserved('cpus', 0.1, 'db')] } },
    { type: 'UNRESERVE', id: { value: 'too-much' }, unreserve: { resources: [reserved('mem', 4096)] } },
    { type: 'DESTROY', id: { value: 'in-use' }, destroy: { volumes: [VOLUME] } },
  ] } })
  expect(r.status).toBe(202)
  const foreign = (await opStatus(sched, 'foreign', mark)).update_operation_status.status
  expect(foreign.state).toBe('OPERATION_ERROR')
  expect(foreign.message).toStartWith("A reserve operation was attempted for a resource with role 'db', but the resource was allocated to role 'web'")
  const tooMuch = (await opStatus(sched, 'too-much', mark)).update_operation_status.status
  expect(tooMuch.state).toBe('OPERATION_ERROR')
  expect(tooMuch.message).toContain('does not contain mem(allocated: web)(reservations: [(DYNAMIC,web,ops)]):4096')
  const inUse = (await opStatus(sched, 'in-use', mark)).update_operation_status.status
  expect(inUse.state).toBe('OPERATION_ERROR')
  expect(inUse.message).toStartWith('Persistent volumes in use; on agent ')

  // The operator: v1 and v0 reservations, a conflict, an invalid call, a volume in use.
  r = await operator(master.url, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: agentId }, resources: [reserved('mem', 64, 'db', 'admin')] } })
  expect(r.status).toBe(202)
  r = await operator(master.url, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: agentId }, resources: [reserved('mem', 128, 'db', 'admin')] } })
  expect(r.status).toBe(409)
  expect(await r.text()).toContain('does not contain mem(reservations: [(DYNAMIC,db,admin)]):128')
  r = await operator(master.url, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: agentId }, resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 1 } }] } })
  expect(r.status).toBe(400)
  expect(await r.text()).toBe('Invalid UNRESERVE operation: Resource mem:1 is not dynamically reserved')
  r = await operator(master.url, { type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: { value: agentId }, volumes: [VOLUME] } })
  expect(r.status).toBe(400)
  expect(await r.text()).toBe('Invalid DESTROY operation: Persistent volumes in use')
  r = await fetch(`${master.url}/master/unreserve`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `slaveId=${agentId}&resources=${encodeURIComponent(JSON.stringify([reserved('mem', 64, 'db', 'admin')]))}`,
  })
  expect(r.status).toBe(202)
  r = await fetch(`${master.url}/master/reserve`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `slaveId=${agentId}` })
  expect(r.status).toBe(400)
  expect(await r.text()).toBe("Missing 'resources' query parameter in the request body")

  // What the state endpoints show.
  const agents = (await (await operator(master.url, { type: 'GET_AGENTS' })).json() as any).get_agents.agents
  const total = agents[0].total_resources
  expect(scalarOf(total, 'cpus', isReservedFor('web'))).toBe(1)
  expect(scalarOf(total, 'disk', r => r.disk?.persistence?.id === 'data-1')).toBe(32)
  expect(scalarOf(total, 'mem', isReservedFor('db'))).toBe(0)
  const stateText = await (await fetch(`${master.url}/master/state`)).text()
  const state = JSON.parse(stateText)
  expect(state.slaves[0].reserved_resources.web).toMatchObject({ cpus: 1, mem: 128, disk: 64 })
  expect(state.slaves[0].unreserved_resources).toMatchObject({ cpus: 1, mem: 384, disk: 192 })
  // Scalars are doubles, written as Mesos writes them (src/core/json/v0-json.ts).
  expect(stateText).toContain('"web":{"cpus":1.0,"gpus":0.0,"mem":128.0,"disk":64.0}')
  expect(stateText).toContain('"unreserved_resources":{"cpus":1.0,"gpus":0.0,"mem":384.0,"disk":192.0,')
  const roles = (await (await operator(master.url, { type: 'GET_ROLES' })).json() as any).get_roles.roles.map((x: any) => x.name)
  expect(roles).toContain('web')

  // A restarted master has them from its registrar, and the agent is told nothing it does not have.
  await master.kill('SIGKILL')
  master = await startMaster(`${dir}/master`, [`--port=${port}`, '--allocation_interval=100ms', '--agent_reregister_timeout=30secs'])
  daemons.push(master)
  const after = await waitFor('the agent to re-register', async () => {
    const body = await (await operator(master.url, { type: 'GET_AGENTS' })).json() as any
    // Empty repeated fields are left out, as Mesos writes them: no `agents` until one has re-registered.
    const a = body.get_agents.agents?.[0]
    return a?.active ? a : undefined
  }, 30_000)
  expect(scalarOf(after.total_resources, 'cpus', isReservedFor('web'))).toBe(1)
  expect(scalarOf(after.total_resources, 'disk', r => r.disk?.persistence?.id === 'data-1')).toBe(32)
  expect(scalarOf(after.total_resources, 'cpus')).toBe(2)
  sched.close()
}, 120_000)
