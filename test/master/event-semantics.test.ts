// The event semantics Mesos clients depend on (issue 16), decided without sockets: subscription refusals, TEARDOWN,
// failover with the old connection open, UPDATE_FRAMEWORK's checks, offers to non-MULTI_ROLE frameworks, offer
// constraints, unreachable agents coming back, reconciliation of tasks on unreachable agents. The wire side
// (status 200 + ERROR event, 400s) is test/e2e/event-semantics.test.ts.

import { describe, expect, test } from 'bun:test'
import type { AgentMessage } from '../../src/core/agent-protocol.ts'
import { parseResourcesFlag } from '../../src/core/resources.ts'
import type { FrameworkInfo, Task } from '../../src/core/v1/messages.ts'
import { offerConstraintsFilter, subscribeRefusal } from '../../src/master/frameworks.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { OfferConstraintsFilter, compileRegex, type OfferConstraints } from '../../src/master/offer-constraints.ts'
import { reconcile, type ReconciliationView } from '../../src/master/reconciliation.ts'
import { frameworkView } from '../../src/master/views-v1.ts'
import { frameworkInfoError, frameworkUpdateError, suppressedRolesError } from '../../src/master/validation/scheduler-call.ts'

const info = (extra: Partial<FrameworkInfo> = {}): FrameworkInfo => ({ user: 'root', name: 'test', ...extra })
const MULTI_ROLE = [{ type: 'MULTI_ROLE' as const }]

describe('SUBSCRIBE refusals (upstream Master::subscribe, validation::framework)', () => {
  test('FrameworkInfo checks, with upstream wording', () => {
    expect(frameworkInfoError(info({ roles: ['a'] }))).toBe("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable")
    expect(frameworkInfoError(info({ role: 'a', capabilities: MULTI_ROLE }))).toBe("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable")
    expect(frameworkInfoError(info({ roles: ['a', 'b', 'a', 'b'], capabilities: MULTI_ROLE }))).toBe("'FrameworkInfo.roles' contains duplicate items: { a, b }")
    expect(frameworkInfoError(info({ roles: ['ok', '-bad'], capabilities: MULTI_ROLE }))).toBe("'FrameworkInfo.roles' contains invalid role: Role component '-bad' is invalid because it starts with a dash")
    expect(frameworkInfoError(info({ role: 'a//b' }))).toBe("'FrameworkInfo.role' is not a valid role: Role 'a//b' cannot contain two adjacent slashes")
    expect(frameworkInfoError(info({ failover_timeout: 1e300 }))).toBe('The framework failover_timeout (1e+300) is invalid')
    expect(frameworkInfoError(info({ role: 'dev' }), { roleWhitelist: ['prod'] })).toBe("Roles { dev } are not present in the master's --roles")
    expect(frameworkInfoError(info({ role: 'prod' }), { roleWhitelist: ['prod'] })).toBeUndefined()
    expect(frameworkInfoError(info(), { roleWhitelist: ['prod'] })).toBeUndefined()
  })

  test('suppressed roles outside the roles', () => {
    expect(suppressedRolesError(info({ roles: ['a'], capabilities: MULTI_ROLE }), ['b', 'a', 'c'])).toBe('Suppressed roles { b, c } are not contained in the set of roles')
    expect(suppressedRolesError(info(), ['*'])).toBeUndefined()
  })

  test('a torn-down framework id is refused: Framework has been removed', () => {
    const h = new MasterHarness()
    const { framework: fw } = h.subscribe()
    h.master.teardown(fw)
    expect(subscribeRefusal(h.state, info({ id: { value: fw.id } }), [])).toEqual({ error: 'Framework has been removed' })
    expect('filter' in subscribeRefusal(h.state, info(), [])).toBe(true)
  })

  test('--roles is enforced', () => {
    const h = new MasterHarness({ flags: { roles: 'prod,web' } })
    expect(subscribeRefusal(h.state, info({ role: 'dev' }), [])).toEqual({ error: "Roles { dev } are not present in the master's --roles" })
    expect('filter' in subscribeRefusal(h.state, info({ role: 'web' }), [])).toBe(true)
  })

  test('re-subscribing with another principal is refused; user and checkpoint keep their old values', () => {
    const h = new MasterHarness()
    const { framework: fw } = h.subscribe({ principal: 'ops', checkpoint: true })
    const stream = { isClosed: false, send: () => true, close() {} }
    const changed = h.master.subscribe(info({ id: { value: fw.id }, principal: 'intruder' }), [], { stream, streamId: 's2', codec: 'json' })
    expect(changed).toEqual({ error: "Changing framework's principal is not allowed." })
    const dropped = h.master.subscribe(info({ id: { value: fw.id } }), [], { stream, streamId: 's3', codec: 'json' })
    expect(dropped).toEqual({ error: "Changing framework's principal is not allowed." })
    const ok = h.master.subscribe(info({ id: { value: fw.id }, principal: 'ops', user: 'other', checkpoint: false }), [], { stream, streamId: 's4', codec: 'json' })
    expect('framework' in ok).toBe(true)
    expect(fw.info).toMatchObject({ user: 'root', checkpoint: true, principal: 'ops' })
  })
})

describe('TEARDOWN and failover', () => {
  test('TEARDOWN ends the stream without an ERROR event (upstream removeFramework just disconnects)', () => {
    const h = new MasterHarness()
    const { framework: fw, stream } = h.subscribe()
    h.master.teardown(fw)
    expect(stream.isClosed).toBe(true)
    const closes = h.effects.filter(e => e.type === 'closeStream')
    expect(closes).toHaveLength(1)
    expect(closes[0]).toMatchObject({ type: 'closeStream' })
    expect((closes[0] as { error?: string }).error).toBeUndefined()
    expect(h.eventsTo(fw, 'ERROR')).toEqual([])
  })

  test('failover with the old connection open: the offers are recovered and offered again at once, not after --offer_timeout', () => {
    const h = new MasterHarness({ flags: { offer_timeout: '10mins' } })
    const { agent } = h.registerAgent('cpus:4;mem:4096')
    const { framework: fw, stream: old } = h.subscribe({ failover_timeout: 60 })
    h.allocate()
    const first = h.offersFor(fw)
    expect(first).toHaveLength(1)
    const { framework: again, stream } = h.subscribe({ id: { value: fw.id }, failover_timeout: 60 })
    expect(again).toBe(fw)
    expect(old.isClosed).toBe(true)
    expect(stream.isClosed).toBe(false)
    expect(h.effects.some(e => e.type === 'closeStream' && e.stream === old && e.error === 'Framework failed over')).toBe(true)
    expect(h.state.offers.has(first[0]!.id.value)).toBe(false)
    h.allocate()
    const next = h.offersFor(fw)
    expect(next).toHaveLength(1)
    expect(next[0]!.agent_id.value).toBe(agent.id)
    expect(next[0]!.id.value).not.toBe(first[0]!.id.value)
  })
})

describe('UPDATE_FRAMEWORK (upstream validateUpdate)', () => {
  test('user, checkpoint and principal cannot change', () => {
    const old = info({ id: { value: 'F' }, principal: 'p', checkpoint: true })
    expect(frameworkUpdateError(old, { ...old, user: 'other' })).toBe("Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'other'")
    expect(frameworkUpdateError(old, { ...old, checkpoint: false })).toBe("Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from 'true' to 'false'")
    expect(frameworkUpdateError(old, { ...old, principal: undefined })).toBe("Changing framework's principal is not allowed.")
    expect(frameworkUpdateError(old, { ...old, name: 'renamed', roles: undefined })).toBeUndefined()
  })

  test('offers to a role the framework leaves are rescinded; agents and subscribers hear of the change', () => {
    const h = new MasterHarness()
    h.registerAgent()
    const { framework: fw } = h.subscribe({ roles: ['a'], capabilities: MULTI_ROLE })
    h.allocate()
    const [offer] = h.offersFor(fw)
    expect(offer?.allocation_info?.role).toBe('a')
    h.master.updateFramework(fw, info({ roles: ['b'], capabilities: MULTI_ROLE }), [])
    expect(h.eventsTo(fw, 'RESCIND').map(e => (e.rescind as { offer_id: { value: string } }).offer_id.value)).toEqual([offer!.id.value])
    expect(h.effects.some(e => e.type === 'publish' && e.event === 'FRAMEWORK_UPDATED')).toBe(true)
  })
})

describe('offers to frameworks without MULTI_ROLE (MESOS-8237)', () => {
  test('no allocation_info on the offer or its resources; the book keeps it; MULTI_ROLE frameworks see it', () => {
    const h = new MasterHarness()
    h.registerAgent()
    const { framework: plain } = h.subscribe({ role: 'web' })
    h.allocate()
    const [offer] = h.offersFor(plain)
    expect(offer).toBeDefined()
    expect(offer!.allocation_info).toBeUndefined()
    expect(offer!.resources?.some(r => r.allocation_info)).toBe(false)
    expect(h.state.offers.get(offer!.id.value)?.offer.allocation_info).toEqual({ role: 'web' })
    // What it sends back is stamped again: the launch works.
    h.launch(plain, offer!, [{ resources: parseResourcesFlag('cpus:1;mem:64') }])
    expect(plain.tasks.get('task-0')?.resources?.every(r => r.allocation_info?.role === 'web')).toBe(true)

    const m = new MasterHarness()
    m.registerAgent()
    const { framework: multi } = m.subscribe({ roles: ['web'], capabilities: MULTI_ROLE })
    m.allocate()
    const [o] = m.offersFor(multi)
    expect(o!.allocation_info).toEqual({ role: 'web' })
    expect(o!.resources?.every(r => r.allocation_info?.role === 'web')).toBe(true)
  })
})

describe('offer constraints (upstream OfferConstraintsFilter)', () => {
  const agent = (attrs: Record<string, string | number>, hostname = 'h1', fault?: { region: string; zone: string }) => ({
    hostname,
    attributes: Object.entries(attrs).map(([name, v]) => (typeof v === 'number' ? { name, type: 'SCALAR' as const, scalar: { value: v } } : { name, type: 'TEXT' as const, text: { value: v } })),
    ...(fault ? { domain: { fault_domain: { region: { name: fault.region }, zone: { name: fault.zone } } } } : {}),
  })
  const filter = (c: OfferConstraints, roles = ['r']) => {
    const f = OfferConstraintsFilter.create(c, roles)
    if (!(f instanceof OfferConstraintsFilter)) throw new Error(f.error)
    return f
  }
  const one = (selector: object, predicate: object) => ({ role_constraints: { r: { groups: [{ attribute_constraints: [{ selector, predicate }] }] } } })

  test('predicates on attributes and pseudoattributes', () => {
    const rack = { attribute_name: 'rack' }
    const a1 = agent({ rack: 'r1', gpus: 2 }, 'host-1', { region: 'eu', zone: 'eu-1' })
    const bare = agent({}, 'host-2')
    const excluded = (c: OfferConstraints, a: ReturnType<typeof agent>) => filter(c).isAgentExcluded('r', a)
    expect(excluded(one(rack, { exists: {} }), a1)).toBe(false)
    expect(excluded(one(rack, { exists: {} }), bare)).toBe(true)
    expect(excluded(one(rack, { not_exists: {} }), bare)).toBe(false)
    expect(excluded(one(rack, { text_equals: { value: 'r1' } }), a1)).toBe(false)
    expect(excluded(one(rack, { text_equals: { value: 'r2' } }), a1)).toBe(true)
    expect(excluded(one(rack, { text_equals: { value: 'r1' } }), bare)).toBe(true)
    expect(excluded(one(rack, { text_not_equals: { value: 'r1' } }), bare)).toBe(false)
    expect(excluded(one(rack, { text_matches: { regex: 'r[0-9]' } }), a1)).toBe(false)
    expect(excluded(one(rack, { text_matches: { regex: 'r' } }), a1)).toBe(true) // a full match, as RE2::FullMatch
    expect(excluded(one(rack, { text_not_matches: { regex: 'r[0-9]' } }), a1)).toBe(true)
    // A non-TEXT attribute satisfies text predicates (upstream: the constraint only speaks about text).
    expect(excluded(one({ attribute_name: 'gpus' }, { text_equals: { value: 'x' } }), a1)).toBe(false)
    expect(excluded(one({ pseudoattribute_type: 'HOSTNAME' }, { text_equals: { value: 'host-1' } }), a1)).toBe(false)
    expect(excluded(one({ pseudoattribute_type: 'REGION' }, { text_equals: { value: 'eu' } }), a1)).toBe(false)
    expect(excluded(one({ pseudoattribute_type: 'ZONE' }, { exists: {} }), bare)).toBe(true)
  })

  test('groups: any group whose constraints all hold; unconstrained roles pass', () => {
    const c: OfferConstraints = {
      role_constraints: {
        r: {
          groups: [
            { attribute_constraints: [{ selector: { attribute_name: 'rack' }, predicate: { text_equals: { value: 'r1' } } }, { selector: { attribute_name: 'ssd' }, predicate: { exists: {} } }] },
            { attribute_constraints: [{ selector: { pseudoattribute_type: 'HOSTNAME' }, predicate: { text_equals: { value: 'special' } } }] },
          ],
        },
      },
    }
    const f = filter(c, ['r', 'other'])
    expect(f.isAgentExcluded('r', agent({ rack: 'r1', ssd: 'yes' }))).toBe(false)
    expect(f.isAgentExcluded('r', agent({ rack: 'r1' }))).toBe(true)
    expect(f.isAgentExcluded('r', agent({}, 'special'))).toBe(false)
    expect(f.isAgentExcluded('other', agent({}))).toBe(false)
  })

  test('invalid constraints are refused with upstream messages', () => {
    const err = (c: OfferConstraints, roles = ['r']) => { const f = OfferConstraintsFilter.create(c, roles); return f instanceof OfferConstraintsFilter ? undefined : f.error }
    expect(err({ role_constraints: { x: { groups: [] } } })).toBe("Offer constraints specify `role_constraints` for a role 'x'not contained in the set of roles")
    expect(err({ role_constraints: { r: { groups: [] } } })).toBe("'OfferConstraints::role_constraints' has an empty 'RoleConstraints::groups' for role r")
    expect(err({ role_constraints: { r: { groups: [{ attribute_constraints: [] }] } } })).toBe("'OfferConstraints::RoleConstraints::groups' for role rcontains an empty RoleConstraints::Group")
    expect(err(one({}, { exists: {} }))).toContain("Exactly one of 'AttributeConstraint::Selector::name' or 'AttributeConstraint::Selector::pseudoattribute_type' must be set")
    expect(err(one({ pseudoattribute_type: 'UNKNOWN' }, { exists: {} }))).toBe("A role r has an invalid 'AttributeConstraint': Unknown pseudoattribute type")
    expect(err(one({ attribute_name: 'a' }, {}))).toBe("A role r has an invalid 'AttributeConstraint': Unknown predicate type")
    expect(err(one({ attribute_name: 'a' }, { text_matches: { regex: '(a' } }))).toContain("Failed to construct regex from pattern '(a'")
    // The prefix the master adds, as upstream's createAllocatorFrameworkOptions.
    expect(offerConstraintsFilter(info({ role: 'r' }), one({}, { exists: {} }))).toEqual({ error: "Offer constraints are not valid: A role r has an invalid 'AttributeConstraint': Exactly one of 'AttributeConstraint::Selector::name' or 'AttributeConstraint::Selector::pseudoattribute_type' must be set" })
  })

  test('regexes meso refuses: backreferences, lookarounds, nested quantifiers (catastrophic backtracking)', () => {
    expect(typeof compileRegex('(a)\\1')).toBe('string')
    expect(typeof compileRegex('a(?=b)')).toBe('string')
    expect(typeof compileRegex('(a+)+$')).toBe('string')
    expect(typeof compileRegex('(a*)*')).toBe('string')
    expect(typeof compileRegex('x'.repeat(300))).toBe('string')
    for (const ok of ['rack-[0-9]+', '(eu|us)-west', '(ab)?c', '[+*]+', 'a{2,3}', '(a|b)+']) expect(compileRegex(ok)).toBeInstanceOf(RegExp)
  })

  test('the allocator offers a constrained role only agents that satisfy it', () => {
    const h = new MasterHarness()
    const register = (hostname: string, rack: string) => {
      const msg: Extract<AgentMessage, { type: 'REGISTER' }> = {
        type: 'REGISTER', version: 'test', capabilities: [], protocol: 1, pid: `slave(1)@10.0.0.${rack.length}:5051`,
        agent_info: { hostname, resources: parseResourcesFlag('cpus:4;mem:4096'), attributes: [{ name: 'rack', type: 'TEXT', text: { value: rack } }] },
      }
      const agent = h.master.registerAgent(msg, { send() {}, close() {} })
      h.commit()
      return agent
    }
    register('a1', 'r1')
    const wanted = register('a2', 'r2')
    const stream = { isClosed: false, send: () => true, close() {} }
    const ok = offerConstraintsFilter(info(), { role_constraints: { '*': one({ attribute_name: 'rack' }, { text_equals: { value: 'r2' } }).role_constraints.r } })
    if (!('filter' in ok)) throw new Error(ok.error)
    const result = h.master.subscribe(info(), [], { stream, streamId: 's', codec: 'json' }, ok.filter)
    if (!('framework' in result)) throw new Error(result.error)
    h.allocate()
    expect(h.offersFor(result.framework).map(o => o.agent_id.value)).toEqual([wanted.id])
    // GET_FRAMEWORKS shows them, as upstream does.
    expect(frameworkView(h.state, result.framework).offer_constraints?.role_constraints?.['*']?.groups).toHaveLength(1)
    // UPDATE_FRAMEWORK without constraints: the other agent is offered too.
    h.master.updateFramework(result.framework, result.framework.info, [])
    h.allocate()
    expect(h.offersFor(result.framework)).toHaveLength(2)
    expect(frameworkView(h.state, result.framework).offer_constraints).toBeUndefined()
  })
})

describe('unreachable agents', () => {
  const taskOn = (fwId: string, taskId: string, agentId: string, state: Task['state']): Task => ({
    name: taskId, task_id: { value: taskId }, framework_id: { value: fwId }, agent_id: { value: agentId }, state, resources: [],
    statuses: [{ task_id: { value: taskId }, state, container_status: { container_id: { value: 'c1' }, network_infos: [{ ip_addresses: [{ ip_address: '10.1.2.3' }] }] } }],
  })

  test('a non-partition-aware framework is told when the agent comes back; the task is tracked once', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '1secs', max_agent_ping_timeouts: 1 } })
    const { agent, link } = h.registerAgent()
    const { framework: fw } = h.subscribe({ checkpoint: true })
    h.allocate()
    h.launch(fw, h.offersFor(fw)[0]!, [{ task_id: { value: 't' } }])
    h.status(agent, fw, 't', 'TASK_RUNNING')
    h.master.agentDisconnected(agent, link)
    h.advance(1_000)
    expect(agent.state).toBe('unreachable')
    expect(h.updatesTo(fw, 't').at(-1)?.state).toBe('TASK_LOST')
    expect(fw.completedTasks.map(t => t.task_id.value)).toEqual(['t'])

    h.reregisterAgent(agent, { tasks: [taskOn(fw.id, 't', agent.id, 'TASK_RUNNING')], frameworks: [fw.info] })
    const back = h.updatesTo(fw, 't').at(-1)!
    expect(back).toMatchObject({ state: 'TASK_RUNNING', source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REREGISTERED', message: 'Unreachable agent re-reregistered' })
    expect(back.container_status?.network_infos?.[0]?.ip_addresses?.[0]?.ip_address).toBe('10.1.2.3')
    expect(fw.tasks.get('t')?.state).toBe('TASK_RUNNING')
    expect(fw.completedTasks.some(t => t.task_id.value === 't')).toBe(false)
    // No kill: upstream re-adds the task rather than shutting it down.
    expect(h.messagesTo(agent, 'KILL_TASK')).toEqual([])
  })

  test('explicit reconciliation of a task on an unreachable agent carries unreachable_time', () => {
    const view: ReconciliationView = {
      partitionAware: true, findTask: () => undefined, allTasks: () => [], anyRecoveredAgent: () => false,
      agentState: () => 'unreachable', agentUnreachableTime: () => 1_700_000_000_123,
    }
    const [s] = reconcile(view, [{ task_id: { value: 'x' }, agent_id: { value: 'A' } }], 1_700_000_005_000)
    expect(s).toMatchObject({ state: 'TASK_UNREACHABLE', reason: 'REASON_RECONCILIATION', unreachable_time: { nanoseconds: 1_700_000_000_123_000_000 } })
  })

  test('the harness view knows when the agent became unreachable', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '1secs', max_agent_ping_timeouts: 1 } })
    const { agent, link } = h.registerAgent()
    const { framework: fw } = h.subscribe({ ...{ capabilities: [{ type: 'PARTITION_AWARE' as const }] } })
    h.master.agentDisconnected(agent, link)
    h.advance(1_000)
    h.master.reconcile(fw, [{ task_id: { value: 'nope' }, agent_id: { value: agent.id } }])
    const s = h.updatesTo(fw, 'nope').at(-1)!
    expect(s.state).toBe('TASK_UNREACHABLE')
    expect(s.unreachable_time?.nanoseconds).toBe(h.now * 1e6)
  })
})

describe('executor calls (upstream common::validation::validateExecutorCall)', () => {
  test('an UPDATE must come from the executor with a 16-byte uuid; a MESSAGE must carry its message', async () => {
    const { executorCallError } = await import('../../src/agent/executor-api.ts')
    const ids = { framework_id: { value: 'F' }, executor_id: { value: 'E' } }
    const uuid = Buffer.alloc(16, 1).toString('base64')
    const update = (status: Record<string, unknown>) => executorCallError({ type: 'UPDATE', ...ids, update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid, ...status } } })
    expect(update({ source: 'SOURCE_EXECUTOR' })).toBeUndefined()
    expect(update({ source: 'SOURCE_AGENT' })).toBe("Received Call from executor E of framework F with invalid source, expecting 'SOURCE_EXECUTOR'")
    expect(update({})).toBe("Received Call from executor E of framework F with invalid source, expecting 'SOURCE_EXECUTOR'")
    expect(update({ source: 'SOURCE_EXECUTOR', state: 'TASK_STAGING' })).toBe('Received TASK_STAGING from executor E of framework F which is not allowed')
    expect(update({ source: 'SOURCE_EXECUTOR', executor_id: { value: 'X' } })).toBe('ExecutorID in Call: E does not match ExecutorID in TaskStatus: X')
    expect(update({ source: 'SOURCE_EXECUTOR', uuid: 'AAAA' })).toBe('Invalid UUID: expected 16 bytes, got 3')
    expect(executorCallError({ type: 'MESSAGE', ...ids })).toBe("Expecting 'message' to be present")
    expect(executorCallError({ type: 'SUBSCRIBE', ...ids })).toBe("Expecting 'subscribe' to be present")
    expect(executorCallError({ type: 'HEARTBEAT', ...ids })).toBeUndefined()
  })
})
