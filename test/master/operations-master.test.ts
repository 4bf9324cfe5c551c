// Reservations, persistent volumes and operation feedback through the master (src/master/operations/), with the
// harness: ACCEPT with RESERVE + LAUNCH, UNRESERVE, CREATE / DESTROY, errors, old frameworks, roles, restart, and
// the operator path.

import { describe, expect, test } from 'bun:test'
import type { MasterMessage } from '../../src/core/agent-protocol.ts'
import { Resources, type Resource } from '../../src/core/resources.ts'
import type { FrameworkInfo, Offer, OfferOperation, TaskInfo } from '../../src/core/v1/messages.ts'
import type { Framework } from '../../src/master/framework.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import type { OperationStatus } from '../../src/master/operations/operation-book.ts'
import { Registrar, type AgentRecord } from '../../src/master/registrar.ts'

const scalar = (name: string, value: number, extra: Partial<Resource> = {}): Resource => ({ name, type: 'SCALAR', scalar: { value }, ...extra })
const dyn = (role: string, principal = 'ops') => [{ type: 'DYNAMIC' as const, role, principal }]
const reservedCpus = (value: number, role = 'web', principal = 'ops') => scalar('cpus', value, { reservations: dyn(role, principal) })
const volume = (id: string, size: number, role = 'web'): Resource =>
  scalar('disk', size, { reservations: dyn(role), disk: { persistence: { id, principal: 'ops' }, volume: { container_path: 'data', mode: 'RW' } } })
const CAPS = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'RESIZE_VOLUME']
const REFINEMENT: Partial<FrameworkInfo> = { capabilities: [{ type: 'MULTI_ROLE' }, { type: 'RESERVATION_REFINEMENT' }] }

function cluster(info: Partial<FrameworkInfo> = {}) {
  const h = new MasterHarness()
  const { agent, link } = h.registerAgent('cpus:4;mem:1024;disk:1000')
  agent.capabilities = CAPS
  const { framework: fw } = h.subscribe({ principal: 'ops', roles: ['web'], ...REFINEMENT, ...info })
  h.allocate()
  return { h, agent, link, fw }
}

const lastOffer = (h: MasterHarness, fw: Framework): Offer => {
  const offers = h.offersFor(fw)
  expect(offers.length).toBeGreaterThan(0)
  return offers.at(-1)!
}

const opStatuses = (h: MasterHarness, fw: Framework): OperationStatus[] =>
  h.eventsTo(fw, 'UPDATE_OPERATION_STATUS').map(e => (e.update_operation_status as { status: OperationStatus }).status)

const task = (id: string, resources: Resource[], agentId: string): TaskInfo =>
  ({ name: id, task_id: { value: id }, agent_id: { value: agentId }, command: { value: 'true' }, resources })

const accept = (h: MasterHarness, fw: Framework, offer: Offer, operations: OfferOperation[]) =>
  h.master.accept(fw, [offer.id.value], operations, 0)

const checkpoints = (h: MasterHarness, agentId: string) =>
  h.messagesTo(agentId, 'CHECKPOINT_RESOURCES') as Extract<MasterMessage, { type: 'CHECKPOINT_RESOURCES' }>[]

describe('ACCEPT with RESERVE, UNRESERVE, CREATE, DESTROY', () => {
  test('RESERVE then LAUNCH on the reserved resources in one ACCEPT; feedback, checkpoint, registrar', () => {
    const { h, agent, fw } = cluster()
    const offer = lastOffer(h, fw)
    accept(h, fw, offer, [
      { type: 'RESERVE', id: { value: 'op-1' }, reserve: { resources: [reservedCpus(1), scalar('mem', 128, { reservations: dyn('web') })] } },
      { type: 'LAUNCH', launch: { task_infos: [task('t1', [reservedCpus(1), scalar('mem', 128, { reservations: dyn('web') })], agent.id)] } },
    ])
    expect(h.messagesTo(agent, 'RUN_TASK')).toHaveLength(1)
    expect(h.updatesTo(fw, 't1')).toHaveLength(0)
    const [status] = opStatuses(h, fw)
    expect(status?.state).toBe('OPERATION_FINISHED')
    expect(status?.operation_id).toEqual({ value: 'op-1' })
    expect(status?.agent_id).toEqual({ value: agent.id })
    expect(Buffer.from(status!.uuid!.value, 'base64')).toHaveLength(16)
    const cp = checkpoints(h, agent.id)
    expect(cp).toHaveLength(1)
    expect(Resources.of(cp[0]!.resources).equals(Resources.of([reservedCpus(1), scalar('mem', 128, { reservations: dyn('web') })]))).toBe(true)
    const record = h.persisted.filter(op => op.op === 'putAgent').map(op => (op as { record: AgentRecord }).record).at(-1)!
    expect(Resources.of(record.checkpointedResources).reservedFor('web').scalar('cpus')).toBe(1)
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(1)
    expect(agent.total.unreserved().scalar('cpus')).toBe(3)
    // The rest of the offer came back without a filter and is offered again, the reservation being in use.
    h.allocate()
    const again = lastOffer(h, fw)
    expect(Resources.of(again.resources ?? []).unreserved().scalar('cpus')).toBe(3)
    expect(Resources.of(again.resources ?? []).reservedFor('web').isEmpty).toBe(true)
  })

  test('reserved resources are offered to the role and its sub-roles only', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', reserve: { resources: [reservedCpus(2)] } }])
    h.master.teardown(fw)
    const other = h.subscribe({ principal: 'ops', roles: ['db'], ...REFINEMENT }).framework
    const child = h.subscribe({ principal: 'ops', roles: ['web/api'], ...REFINEMENT }).framework
    h.allocate()
    const toOther = h.offersFor(other).flatMap(o => o.resources ?? [])
    const toChild = h.offersFor(child).flatMap(o => o.resources ?? [])
    expect(Resources.of(toOther).reservedFor('web').isEmpty).toBe(true)
    // Whoever got the unreserved part, the reservation went to the sub-role only.
    expect(Resources.of(toChild).reservedFor('web').scalar('cpus')).toBe(2)
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(2)
  })

  test('UNRESERVE gives the resources back to everyone; unreserving more than reserved is an OPERATION_ERROR', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', reserve: { resources: [reservedCpus(1)] } }])
    h.allocate()
    accept(h, fw, lastOffer(h, fw), [{ type: 'UNRESERVE', id: { value: 'too-much' }, unreserve: { resources: [reservedCpus(2)] } }])
    const err = opStatuses(h, fw).at(-1)!
    expect(err.state).toBe('OPERATION_ERROR')
    expect(err.uuid).toBeUndefined()
    expect(err.message).toContain('does not contain cpus(allocated: web)(reservations: [(DYNAMIC,web,ops)]):2')
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(1)
    h.allocate()
    accept(h, fw, lastOffer(h, fw), [{ type: 'UNRESERVE', id: { value: 'ok' }, unreserve: { resources: [reservedCpus(1)] } }])
    expect(opStatuses(h, fw).at(-1)?.state).toBe('OPERATION_FINISHED')
    expect(agent.total.reservedFor('web').isEmpty).toBe(true)
    expect(checkpoints(h, agent.id).at(-1)?.resources).toEqual([])
  })

  test('RESERVE for a foreign role or with another principal is dropped with upstream\'s message', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [
      { type: 'RESERVE', id: { value: 'foreign' }, reserve: { resources: [reservedCpus(1, 'db')] } },
      { type: 'RESERVE', id: { value: 'principal' }, reserve: { resources: [reservedCpus(1, 'web', 'mallory')] } },
    ])
    const [foreign, principal] = opStatuses(h, fw)
    expect(foreign?.state).toBe('OPERATION_ERROR')
    expect(foreign?.message).toBe(`A reserve operation was attempted for a resource with role 'db', but the resource was allocated to role 'web'; on agent ${agent.id} at ${agent.pid} (${agent.hostname})`)
    expect(principal?.message).toStartWith("A reserve operation was attempted by authenticated principal 'ops', which does not match a reserved resource in the request with principal 'mallory'")
    expect(agent.total.reservedFor('db').isEmpty).toBe(true)
    expect(checkpoints(h, agent.id)).toHaveLength(0)
  })

  test('CREATE a volume, launch a task with it; DESTROY while in use fails; after the task it succeeds', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [
      { type: 'RESERVE', reserve: { resources: [scalar('disk', 100, { reservations: dyn('web') })] } },
      { type: 'CREATE', id: { value: 'create' }, create: { volumes: [volume('v1', 64)] } },
      { type: 'LAUNCH', launch: { task_infos: [task('t1', [scalar('cpus', 0.1), scalar('mem', 32), volume('v1', 64)], agent.id)] } },
    ])
    expect(opStatuses(h, fw).map(s => s.state)).toEqual(['OPERATION_FINISHED'])
    expect(h.messagesTo(agent, 'RUN_TASK')).toHaveLength(1)
    expect(Resources.of(checkpoints(h, agent.id).at(-1)!.resources).list.some(r => (r.disk as any)?.persistence?.id === 'v1')).toBe(true)
    h.allocate()
    accept(h, fw, lastOffer(h, fw), [{ type: 'DESTROY', id: { value: 'destroy-busy' }, destroy: { volumes: [volume('v1', 64)] } }])
    expect(opStatuses(h, fw).at(-1)).toMatchObject({ state: 'OPERATION_ERROR', message: `Persistent volumes in use; on agent ${agent.id} at ${agent.pid} (${agent.hostname})` })
    h.status(agent, fw, 't1', 'TASK_FINISHED')
    h.allocate()
    const offer = lastOffer(h, fw)
    expect((offer.resources ?? []).some(r => (r.disk as any)?.persistence?.id === 'v1')).toBe(true)
    accept(h, fw, offer, [{ type: 'DESTROY', id: { value: 'destroy' }, destroy: { volumes: [volume('v1', 64)] } }])
    expect(opStatuses(h, fw).at(-1)?.state).toBe('OPERATION_FINISHED')
    expect(agent.total.list.some(r => r.disk)).toBe(false)
    expect(agent.total.reservedFor('web').scalar('disk')).toBe(100)
  })

  test('a task naming a volume that is not in the offer is TASK_ERROR', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'LAUNCH', launch: { task_infos: [task('t1', [scalar('cpus', 0.1), volume('nope', 1)], agent.id)] } }])
    const st = h.updatesTo(fw, 't1').at(-1)!
    expect(st.state).toBe('TASK_ERROR')
    expect(st.message).toStartWith('Task uses more resources')
  })
})

describe('frameworks without RESERVATION_REFINEMENT', () => {
  test('are offered reservations in the pre-refinement format, and may RESERVE in it', () => {
    const { h, agent, fw } = cluster({ roles: undefined, role: 'web', capabilities: [] })
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', reserve: { resources: [{ ...scalar('cpus', 1), role: 'web', reservation: { principal: 'ops' } }] } }])
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(1)
    h.allocate()
    const offered = lastOffer(h, fw).resources ?? []
    const reserved = offered.find(r => r.name === 'cpus' && r.role === 'web')
    expect(reserved).toMatchObject({ role: 'web', reservation: { principal: 'ops' }, scalar: { value: 1 } })
    expect(reserved?.reservations).toBeUndefined()
    expect(offered.find(r => r.name === 'cpus' && r.role === '*')?.scalar?.value).toBe(3)
    // It launches on the reservation naming it the same way; the agent is sent the post-refinement form.
    accept(h, fw, lastOffer(h, fw), [{ type: 'LAUNCH', launch: { task_infos: [task('old', [{ ...scalar('cpus', 1), role: 'web', reservation: { principal: 'ops' } }], agent.id)] } }])
    const run = h.messagesTo(agent, 'RUN_TASK').at(-1) as Extract<MasterMessage, { type: 'RUN_TASK' }>
    expect(run.task.resources?.[0]).toMatchObject({ name: 'cpus', reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'ops' }] })
  })

  test('are not offered refined reservations', () => {
    const h = new MasterHarness()
    const { agent } = h.registerAgent('cpus:4;mem:1024')
    agent.capabilities = CAPS
    // A reservation for `a`, refined for `a/b`: pushed one at a time.
    expect(h.master.applyOperatorOperation(agent.id, { type: 'RESERVE', reserve: { resources: [scalar('cpus', 1, { reservations: dyn('a') })] } }, 'RESERVE')).toEqual({ status: 202 })
    expect(h.master.applyOperatorOperation(agent.id, { type: 'RESERVE', reserve: { resources: [scalar('cpus', 1, { reservations: [...dyn('a'), ...dyn('a/b')] })] } }, 'RESERVE')).toEqual({ status: 202 })
    expect(agent.total.reservedFor('a/b').scalar('cpus')).toBe(1)
    const { framework: old } = h.subscribe({ role: 'a/b' })
    h.allocate()
    const offered = h.offersFor(old).flatMap(o => o.resources ?? [])
    expect(offered.some(r => r.role === 'a/b')).toBe(false)
    expect(offered.find(r => r.name === 'cpus')?.scalar?.value).toBe(3)
  })
})

describe('operation feedback', () => {
  test('RECONCILE_OPERATIONS answers the latest status without a uuid; ACKNOWLEDGE_OPERATION_STATUS forgets it', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', id: { value: 'op-1' }, reserve: { resources: [reservedCpus(1)] } }])
    const finished = opStatuses(h, fw).at(-1)!
    h.master.reconcileOperations(fw, [])
    expect(opStatuses(h, fw).at(-1)).toEqual({ ...finished, uuid: undefined } as unknown as OperationStatus)
    expect(opStatuses(h, fw).at(-1)?.uuid).toBeUndefined()
    h.master.reconcileOperations(fw, [
      { operation_id: { value: 'op-1' }, agent_id: { value: agent.id } },
      { operation_id: { value: 'nope' }, agent_id: { value: agent.id } },
      { operation_id: { value: 'nope' } },
      { operation_id: { value: 'nope' }, agent_id: { value: 'unknown-agent' } },
    ])
    const answers = opStatuses(h, fw).slice(-4)
    expect(answers.map(s => s.state)).toEqual(['OPERATION_FINISHED', 'OPERATION_UNKNOWN', 'OPERATION_UNKNOWN', 'OPERATION_UNKNOWN'])
    expect(answers[1]?.message).toBe('Reconciliation: Operation is unknown')
    expect(answers[2]?.message).toBe("Reconciliation: Operation is unknown and no 'agent_id' was provided")
    expect(answers[3]?.message).toBe('Reconciliation: Both operation and agent are unknown')
    expect(h.state.operations.get(fw.id, 'op-1')).toBeDefined()
    h.master.acknowledgeOperationStatus(fw, { agent_id: { value: agent.id }, uuid: finished.uuid!.value, operation_id: { value: 'op-1' } })
    expect(h.state.operations.get(fw.id, 'op-1')).toBeUndefined()
    h.master.reconcileOperations(fw, [{ operation_id: { value: 'op-1' }, agent_id: { value: agent.id } }])
    expect(opStatuses(h, fw).at(-1)?.state).toBe('OPERATION_UNKNOWN')
  })

  test('an unacknowledged status is sent again, 10 s then backing off; acknowledging stops it', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', id: { value: 'op-1' }, reserve: { resources: [reservedCpus(1)] } }])
    const finished = opStatuses(h, fw).at(-1)!
    h.advance(10_000)
    expect(opStatuses(h, fw).filter(s => s.uuid?.value === finished.uuid!.value)).toHaveLength(2)
    h.advance(10_000)
    expect(opStatuses(h, fw).filter(s => s.uuid?.value === finished.uuid!.value)).toHaveLength(2)
    h.advance(10_000)
    expect(opStatuses(h, fw).filter(s => s.uuid?.value === finished.uuid!.value)).toHaveLength(3)
    h.master.acknowledgeOperationStatus(fw, { agent_id: { value: agent.id }, uuid: finished.uuid!.value, operation_id: { value: 'op-1' } })
    h.advance(3_600_000)
    expect(opStatuses(h, fw).filter(s => s.uuid?.value === finished.uuid!.value)).toHaveLength(3)
  })

  test('an ACCEPT with invalid offers answers its operations with OPERATION_ERROR', () => {
    const { h, fw } = cluster()
    h.master.accept(fw, ['no-such-offer'], [{ type: 'RESERVE', id: { value: 'x' }, reserve: { resources: [reservedCpus(1)] } }], 0)
    expect(opStatuses(h, fw).at(-1)).toMatchObject({ state: 'OPERATION_ERROR', message: 'Operation attempted with invalid offers: Offer no-such-offer is no longer valid' })
  })
})

describe('operator operations', () => {
  test('RESERVE rescinds the offers holding the resources, 409 when they are in use, 400 when invalid', () => {
    const { h, agent, fw } = cluster()
    const offer = lastOffer(h, fw)
    expect(h.master.applyOperatorOperation(agent.id, { type: 'RESERVE', reserve: { resources: [reservedCpus(2)] } }, 'RESERVE', 'ops')).toEqual({ status: 202 })
    expect(h.state.offers.has(offer.id.value)).toBe(false)
    expect(h.eventsTo(fw, 'RESCIND')).toHaveLength(1)
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(2)
    expect(checkpoints(h, agent.id)).toHaveLength(1)
    // Everything unreserved is used by a task now: reserving more conflicts.
    h.advance(6000)
    h.allocate()
    const next = lastOffer(h, fw)
    accept(h, fw, next, [{ type: 'LAUNCH', launch: { task_infos: [task('big', [scalar('cpus', 2), scalar('mem', 1024)], agent.id)] } }])
    const conflict = h.master.applyOperatorOperation(agent.id, { type: 'RESERVE', reserve: { resources: [reservedCpus(1)] } }, 'RESERVE', 'ops')
    expect(conflict.status).toBe(409)
    expect(h.master.applyOperatorOperation(agent.id, { type: 'RESERVE', reserve: { resources: [scalar('cpus', 1)] } }, 'RESERVE')).toEqual({
      status: 400, message: `Invalid RESERVE operation on agent ${agent.id} at ${agent.pid} (${agent.hostname}): Resource cpus:1 is not dynamically reserved`,
    })
    expect(h.master.applyOperatorOperation('nope', { type: 'RESERVE', reserve: { resources: [reservedCpus(1)] } }, 'RESERVE')).toEqual({ status: 400, message: 'No agent found with specified ID' })
  })

  test('CREATE_VOLUMES / DESTROY_VOLUMES, and GROW / SHRINK', () => {
    const h = new MasterHarness()
    const { agent } = h.registerAgent('cpus:4;mem:1024;disk:1000')
    agent.capabilities = CAPS
    const apply = (op: OfferOperation & Record<string, unknown>, type: string) => h.master.applyOperatorOperation(agent.id, op, type)
    expect(apply({ type: 'RESERVE', reserve: { resources: [scalar('disk', 200, { reservations: dyn('web') })] } }, 'RESERVE')).toEqual({ status: 202 })
    expect(apply({ type: 'CREATE', create: { volumes: [volume('v1', 64)] } }, 'CREATE')).toEqual({ status: 202 })
    expect(apply({ type: 'CREATE', create: { volumes: [volume('v1', 10)] } }, 'CREATE')).toMatchObject({ status: 400, message: expect.stringContaining("Persistence ID 'v1' is not unique") })
    expect(apply({ type: 'GROW_VOLUME', grow_volume: { volume: volume('v1', 64), addition: scalar('disk', 36, { reservations: dyn('web') }) } }, 'GROW_VOLUME')).toEqual({ status: 202 })
    expect(agent.total.list.find(r => r.disk)?.scalar?.value).toBe(100)
    expect(apply({ type: 'SHRINK_VOLUME', shrink_volume: { volume: volume('v1', 100), subtract: { value: 50 } } }, 'SHRINK_VOLUME')).toEqual({ status: 202 })
    expect(apply({ type: 'DESTROY', destroy: { volumes: [volume('v1', 50)] } }, 'DESTROY')).toEqual({ status: 202 })
    expect(apply({ type: 'DESTROY', destroy: { volumes: [volume('v1', 50)] } }, 'DESTROY')).toEqual({ status: 400, message: 'Invalid DESTROY operation: Persistent volumes not found' })
    expect(agent.total.reservedFor('web').scalar('disk')).toBe(200)
    expect(checkpoints(h, agent.id)).toHaveLength(5)
  })
})

describe('restarts', () => {
  test('the SQLite registrar keeps an agent\'s checkpointed resources', () => {
    const r = Registrar.open(undefined)
    const record: AgentRecord = { id: 'a1', info: { hostname: 'h', resources: [] }, pid: 'p', state: 'admitted', checkpointedResources: [reservedCpus(1), volume('v1', 8)] }
    r.write([{ op: 'putAgent', record }, { op: 'putAgent', record: { id: 'a2', info: { hostname: 'h2', resources: [] }, pid: 'p', state: 'admitted' } }])
    const agents = r.snapshot().agents
    expect(agents.find(a => a.id === 'a1')?.checkpointedResources).toEqual(record.checkpointedResources)
    expect(agents.find(a => a.id === 'a2')?.checkpointedResources).toBeUndefined()
    r.close()
  })

  test('a restarted master recovers reservations from the registrar and re-sends them to an agent that lost them', () => {
    const { h, agent, fw } = cluster()
    accept(h, fw, lastOffer(h, fw), [{ type: 'RESERVE', reserve: { resources: [reservedCpus(1)] } }])
    const records = new Map<string, AgentRecord>()
    for (const op of h.persisted) if (op.op === 'putAgent') records.set(op.record.id, op.record)
    const h2 = new MasterHarness({ recovered: { agents: [...records.values()] } })
    const recovered = h2.state.agents.get(agent.id)!
    expect(recovered.total.reservedFor('web').scalar('cpus')).toBe(1)
    // The agent comes back without them (its checkpoint was lost): the master's copy wins.
    const link = h2.reregisterAgent(recovered, { capabilities: CAPS, checkpointed_resources: [] })
    const sent = h2.messagesOn(link).map(m => m.type)
    expect(sent.indexOf('CHECKPOINT_RESOURCES')).toBeGreaterThan(sent.indexOf('REREGISTERED'))
    expect(Resources.of((h2.messagesOn(link, 'CHECKPOINT_RESOURCES')[0] as { resources: Resource[] }).resources).reservedFor('web').scalar('cpus')).toBe(1)
    // An agent that reports the same gets nothing more.
    const again = h2.reregisterAgent(recovered, { capabilities: CAPS, checkpointed_resources: [reservedCpus(1)] })
    expect(h2.messagesOn(again, 'CHECKPOINT_RESOURCES')).toHaveLength(0)
    expect(recovered.total.reservedFor('web').scalar('cpus')).toBe(1)
    expect(recovered.total.unreserved().scalar('cpus')).toBe(3)
  })

  test('an agent unknown to the master (registrar without checkpointed resources) is believed', () => {
    const h = new MasterHarness({ recovered: { agents: [{ id: 'a1', info: { hostname: 'h', resources: Resources.of([scalar('cpus', 4)]).toWire(true), id: { value: 'a1' } }, pid: 'slave(1)@10.0.0.3:5051', state: 'admitted' }] } })
    const agent = h.state.agents.get('a1')!
    const link = h.reregisterAgent(agent, { capabilities: CAPS, checkpointed_resources: [reservedCpus(1)] })
    expect(h.messagesOn(link, 'CHECKPOINT_RESOURCES')).toHaveLength(0)
    expect(agent.total.reservedFor('web').scalar('cpus')).toBe(1)
    expect(agent.total.scalar('cpus')).toBe(4)
  })
})
