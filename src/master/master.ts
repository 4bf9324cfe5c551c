// The master's state and its transitions. HTTP handlers (scheduler-api.ts, operator-api.ts, v0-endpoints.ts) and
// the agent link (agent-link.ts) parse and validate input, then call the methods here; decisions that need no
// state (validation, reconciliation, allocation) live in pure modules.

import { hostname as osHostname } from 'node:os'
import type { AgentMessage, MasterMessage, StatusUpdate } from '../core/agent-protocol.ts'
import { EventStream } from '../core/http/event-stream.ts'
import type { Codec } from '../core/http/negotiate.ts'
import { MEDIA } from '../core/http/negotiate.ts'
import { agentIdFor, frameworkIdFor, ipToUint32, newUuid, offerIdFor } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import { Resources } from '../core/resources.ts'
import type {
  AgentInfo, ExecutorInfo, FrameworkInfo, MasterInfo, Offer, OfferOperation, Task, TaskInfo, TaskState, TaskStatus,
} from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { VERSION } from '../core/version.ts'
import { HierarchicalAllocator } from './allocator/allocator.ts'
import { DEFAULT_REFUSE_SECONDS } from './allocator/filters.ts'
import { parseMinAllocatable, parseWeights } from './flags.ts'
import { Framework } from './framework.ts'
import { MasterMetrics } from './metrics.ts'
import { OperatorEvents } from './operator-events.ts'
import { reconcile, type ReconciliationView } from './reconciliation.ts'
import { RegisteredAgent, type AgentLink } from './registered-agent.ts'
import { resourcesOf, sharedResourceList } from './resource-lists.ts'
import { Registry } from './registry.ts'
import { storedStatus } from './stored-status.ts'
import { forFramework, masterStatus } from './task-status.ts'
import { validateTask, validateTaskGroup, type TaskValidationContext } from './validation/task.ts'
import { agentView, frameworkView } from './views-v1.ts'

const log = logger('master')

export const HEARTBEAT_INTERVAL_SECONDS = 15

export interface MasterConfig {
  flags: Record<string, any>
  flagStrings: { name: string; value: string }[]
  /** Registry file, or undefined for in-memory. */
  registryPath?: string
  /** Actual listen address once bound. */
  ip: string
  port: number
}

interface OutstandingOffer {
  offer: Offer
  frameworkId: string
  agentId: string
  role: string
  resources: Resources
  timer?: ReturnType<typeof setTimeout>
}

export class Master {
  readonly id = newUuid()
  readonly startTime = Date.now() / 1000
  readonly electedTime = this.startTime
  readonly info: MasterInfo
  readonly flags: Record<string, any>
  readonly flagStrings: { name: string; value: string }[]
  readonly registry: Registry
  readonly allocator: HierarchicalAllocator
  readonly frameworks = new Map<string, Framework>()
  completedFrameworks: Framework[] = []
  readonly agents = new Map<string, RegisteredAgent>()
  readonly goneAgents = new Set<string>()
  readonly offers = new Map<string, OutstandingOffer>()
  readonly events = new OperatorEvents()
  readonly metrics = new MasterMetrics()
  weights: Record<string, number>
  private offerSeq = 0
  private allocationTimer?: ReturnType<typeof setInterval>
  private allocationPending = false
  private pingTimer?: ReturnType<typeof setInterval>
  private reregisterTimer?: ReturnType<typeof setTimeout>
  private stopped = false

  constructor(cfg: MasterConfig) {
    this.flags = cfg.flags
    this.flagStrings = cfg.flagStrings
    const hostname = cfg.flags.hostname ?? osHostname()
    const advertiseIp = cfg.flags.advertise_ip ?? (cfg.ip === '0.0.0.0' ? '127.0.0.1' : cfg.ip)
    const advertisePort = cfg.flags.advertise_port ?? cfg.port
    this.info = {
      id: this.id,
      ip: ipToUint32(advertiseIp),
      port: advertisePort,
      pid: `master@${advertiseIp}:${advertisePort}`,
      hostname,
      version: VERSION,
      address: { hostname, ip: advertiseIp, port: advertisePort },
      capabilities: [{ type: 'AGENT_UPDATE' }],
    }
    this.registry = Registry.open(cfg.registryPath)
    this.allocator = new HierarchicalAllocator({
      minAllocatable: parseMinAllocatable(cfg.flags.min_allocatable_resources ?? 'cpus:0.01|mem:32'),
      filterGpuResources: cfg.flags.filter_gpu_resources !== false,
    })
    this.weights = { ...parseWeights(cfg.flags.weights), ...this.registry.weights() }
    this.allocator.updateWeights(this.weights)
    this.recover()
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  /** Rebuilds what the registry remembers: agents become "recovered", frameworks wait to re-subscribe. */
  private recover() {
    const now = Date.now() / 1000
    for (const a of this.registry.agents()) {
      if (a.state === 'gone') { this.goneAgents.add(a.id); continue }
      const agent = new RegisteredAgent(a.id, a.info, a.pid, a.state === 'unreachable' ? 'unreachable' : 'recovered')
      agent.unreachableTime = a.unreachableTime
      this.agents.set(a.id, agent)
    }
    for (const f of this.registry.frameworks()) {
      const fw = new Framework(f.id, f.info, 'recovered', f.registeredTime)
      this.frameworks.set(f.id, fw)
      this.allocator.addFramework(f.id, { roles: fw.roles, gpuResources: fw.gpuResources, active: false })
      this.startFailoverTimer(fw, Math.max(fw.info.failover_timeout ?? 0, this.flags.agent_reregister_timeout / 1000))
    }
    const recovered = [...this.agents.values()].filter(a => a.state === 'recovered').length
    if (recovered || this.frameworks.size) {
      log.info(`Recovered ${recovered} agent(s) and ${this.frameworks.size} framework(s) from the registry; waiting for them to re-register`)
    }
    if (recovered) {
      this.reregisterTimer = setTimeout(() => {
        for (const a of this.agents.values()) {
          if (a.state === 'recovered') this.markUnreachable(a, 'agent did not re-register after master failover')
        }
      }, this.flags.agent_reregister_timeout)
    }
    void now
  }

  start() {
    this.allocationTimer = setInterval(() => this.allocate(), this.flags.allocation_interval)
    this.pingTimer = setInterval(() => this.pingAgents(), this.flags.agent_ping_timeout)
  }

  stop() {
    this.stopped = true
    clearInterval(this.allocationTimer)
    clearInterval(this.pingTimer)
    clearTimeout(this.reregisterTimer)
    for (const fw of this.frameworks.values()) { fw.clearTimers(); fw.stream?.close() }
    for (const a of this.agents.values()) { clearTimeout(a.disconnectTimer); a.link?.close('master stopping') }
    for (const o of this.offers.values()) clearTimeout(o.timer)
    this.events.closeAll()
    this.registry.close()
  }

  // ------------------------------------------------------------------------------------------- frameworks

  /**
   * SUBSCRIBE: a new framework, or a failover/re-subscription of a known id. Returns the streaming response
   * (SUBSCRIBED first), or an error message for a 400/403.
   */
  subscribe(info: FrameworkInfo, suppressedRoles: string[], codec: Codec): { response: Response } | { error: string; status: number } {
    const now = Date.now() / 1000
    const requestedId = info.id?.value
    if (requestedId && this.completedFrameworks.some(f => f.id === requestedId)) {
      return { error: 'Framework has been removed', status: 403 }
    }
    let fw = requestedId ? this.frameworks.get(requestedId) : undefined
    const isNew = !fw
    const streamId = newUuid()
    const stream = new EventStream({ 'Content-Type': MEDIA[codec], 'Mesos-Stream-Id': streamId })
    if (fw) {
      // Failover: the old connection is told and closed; allowed FrameworkInfo fields are updated.
      if (fw.stream && !fw.stream.isClosed) {
        fw.send({ type: 'ERROR', error: { message: 'Framework failed over' } })
        const old = fw.stream
        fw.stream = undefined
        old.close()
      }
      fw.clearTimers()
      const prev = fw.info
      fw.info = { ...info, id: { value: fw.id }, user: prev.user, checkpoint: prev.checkpoint, principal: prev.principal ?? info.principal }
      fw.reregisteredTime = now
      log.info(`Framework ${fw.id} (${fw.info.name}) re-subscribed`)
    } else {
      const id = requestedId ?? frameworkIdFor(this.id, this.registry.nextSequence('framework'))
      fw = new Framework(id, { ...info, id: { value: id } }, 'connected', now)
      this.frameworks.set(id, fw)
      this.allocator.addFramework(id, { roles: fw.roles, gpuResources: fw.gpuResources, active: false, suppressedRoles })
      log.info(`Framework ${id} (${info.name}) subscribed${requestedId ? ' with a previously assigned id' : ''}`)
    }
    fw.connection = 'connected'
    fw.stream = stream
    fw.streamId = streamId
    fw.codec = codec
    fw.active = true
    fw.suppressedRoles = new Set(suppressedRoles)
    this.registry.putFramework({ id: fw.id, info: fw.info, registeredTime: fw.registeredTime })
    this.allocator.updateFramework(fw.id, { roles: fw.roles, gpuResources: fw.gpuResources, suppressedRoles })
    this.allocator.activateFramework(fw.id)
    const sent = fw
    stream.closed.then(() => { if (sent.stream === stream) this.frameworkDisconnected(sent) })
    fw.send({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: fw.id }, heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS, master_info: this.info } })
    fw.send({ type: 'HEARTBEAT' })
    fw.heartbeatTimer = setInterval(() => sent.send({ type: 'HEARTBEAT' }), HEARTBEAT_INTERVAL_SECONDS * 1000)
    // Agents resend queued updates for this framework right away instead of waiting for their retry timer.
    for (const agent of this.agents.values()) {
      if ([...agent.tasks.values()].some(t => t.framework_id.value === sent.id) || agent.executors.has(sent.id)) {
        agent.send({ type: 'UPDATE_FRAMEWORK', framework: sent.info })
      }
    }
    this.events.publish(isNew ? 'FRAMEWORK_ADDED' : 'FRAMEWORK_UPDATED', { framework: frameworkView(this, fw) })
    this.metrics.inc(isNew ? 'master/frameworks_registered' : 'master/frameworks_reregistered')
    this.requestAllocation()
    return { response: stream.response }
  }

  /** The scheduler's stream broke: offers are rescinded and the failover timer starts. */
  private frameworkDisconnected(fw: Framework) {
    if (this.stopped || fw.connection !== 'connected') return
    log.info(`Framework ${fw.id} (${fw.info.name}) disconnected; failover timeout ${fw.info.failover_timeout ?? 0}s`)
    fw.connection = 'disconnected'
    fw.stream = undefined
    fw.active = false
    fw.unregisteredTime = Date.now() / 1000
    fw.clearTimers()
    this.allocator.deactivateFramework(fw.id)
    for (const offerId of [...fw.offers]) this.removeOffer(offerId, { rescind: false })
    this.startFailoverTimer(fw, fw.info.failover_timeout ?? 0)
    this.events.publish('FRAMEWORK_UPDATED', { framework: frameworkView(this, fw) })
    this.maybeAutoTeardown(fw)
  }

  /**
   * meso extension: a framework labelled `meso.io/auto-teardown=idle` (what `meso task run` registers) is removed
   * once it is disconnected and none of its tasks is still running, instead of lingering until its failover timeout.
   */
  private maybeAutoTeardown(fw: Framework) {
    if (fw.connected || !this.frameworks.has(fw.id)) return
    if (!fw.info.labels?.labels?.some(l => l.key === 'meso.io/auto-teardown' && l.value === 'idle')) return
    if ([...fw.tasks.values()].some(t => !isTerminal(t.state)) || fw.unreachableTasks.size) return
    log.info(`Framework ${fw.id} is disconnected and idle; tearing it down (meso.io/auto-teardown)`)
    this.removeFramework(fw)
  }

  private startFailoverTimer(fw: Framework, seconds: number) {
    clearTimeout(fw.failoverTimer)
    // Timers cap at ~24.8 days; longer timeouts simply never fire within one master run.
    const ms = Math.min(seconds * 1000, 2 ** 31 - 1)
    fw.failoverTimer = setTimeout(() => {
      if (fw.connection !== 'connected') {
        log.info(`Framework ${fw.id} did not re-subscribe within its failover timeout; removing it`)
        this.removeFramework(fw)
      }
    }, ms)
  }

  /** TEARDOWN (scheduler or operator), failover timeout: kill everything, forget the framework. */
  removeFramework(fw: Framework) {
    if (!this.frameworks.has(fw.id)) return
    log.info(`Removing framework ${fw.id} (${fw.info.name})`)
    fw.clearTimers()
    for (const offerId of [...fw.offers]) this.removeOffer(offerId, { rescind: false })
    for (const agent of this.agents.values()) {
      const touched = agent.executors.has(fw.id) || [...agent.tasks.values()].some(t => t.framework_id.value === fw.id)
      if (touched) agent.send({ type: 'SHUTDOWN_FRAMEWORK', framework_id: fw.id })
    }
    for (const task of [...fw.tasks.values()]) {
      if (!isTerminal(task.state)) this.applyStatus(task, masterStatus(task.task_id.value, 'TASK_KILLED', 'REASON_FRAMEWORK_REMOVED', 'Framework removed', { agent_id: task.agent_id }), undefined, false)
      this.removeTask(task)
    }
    for (const agent of this.agents.values()) agent.executors.delete(fw.id)
    fw.executors.clear()
    this.allocator.removeFramework(fw.id)
    this.frameworks.delete(fw.id)
    this.registry.removeFramework(fw.id)
    fw.connection = 'disconnected'
    fw.active = false
    fw.unregisteredTime = Date.now() / 1000
    this.completedFrameworks.push(fw)
    const max = this.flags.max_completed_frameworks ?? 50
    if (this.completedFrameworks.length > max) this.completedFrameworks.splice(0, this.completedFrameworks.length - max)
    if (fw.stream && !fw.stream.isClosed) {
      fw.send({ type: 'ERROR', error: { message: 'Framework removed' } })
      fw.stream.close()
    }
    fw.stream = undefined
    this.events.publish('FRAMEWORK_REMOVED', { framework_info: fw.info })
    this.metrics.inc('master/frameworks_removed')
    this.requestAllocation()
  }

  updateWeights(weights: Record<string, number>) {
    Object.assign(this.weights, weights)
    this.registry.putWeights(weights)
    this.allocator.updateWeights(this.weights)
  }

  // ------------------------------------------------------------------------------------------- offers

  requestAllocation() {
    if (this.allocationPending || this.stopped) return
    this.allocationPending = true
    setTimeout(() => this.allocate(), 0)
  }

  allocate() {
    this.allocationPending = false
    if (this.stopped) return
    const started = performance.now()
    const result = this.allocator.allocate(Date.now())
    const byFramework = new Map<string, Offer[]>()
    for (const a of result) {
      const fw = this.frameworks.get(a.frameworkId)
      const agent = this.agents.get(a.agentId)
      if (!fw || !agent || !fw.connected || !agent.connected) {
        this.allocator.recoverResources(a.frameworkId, a.agentId, a.resources, undefined, Date.now())
        continue
      }
      const id = offerIdFor(this.id, this.offerSeq++)
      const executorIds = [...(fw.executors.get(agent.id)?.keys() ?? [])].map(value => ({ value }))
      const offer: Offer = {
        id: { value: id },
        framework_id: { value: fw.id },
        agent_id: { value: agent.id },
        hostname: agent.hostname,
        url: { scheme: 'http', address: { hostname: agent.hostname, ip: agent.address.split(':')[0], port: agent.port }, path: '/slave(1)' },
        resources: a.resources.toWire(fw.refinement),
        allocation_info: { role: a.role },
      }
      if (agent.info.attributes?.length) offer.attributes = agent.info.attributes
      if (executorIds.length) offer.executor_ids = executorIds
      const out: OutstandingOffer = { offer, frameworkId: fw.id, agentId: agent.id, role: a.role, resources: a.resources }
      if (this.flags.offer_timeout) out.timer = setTimeout(() => this.rescindOffer(id), this.flags.offer_timeout)
      this.offers.set(id, out)
      fw.offers.add(id)
      agent.offers.add(id)
      let list = byFramework.get(fw.id)
      if (!list) { list = []; byFramework.set(fw.id, list) }
      list.push(offer)
    }
    for (const [fwId, offers] of byFramework) {
      const fw = this.frameworks.get(fwId)!
      fw.counters.offersSent += offers.length
      fw.send({ type: 'OFFERS', offers: { offers } })
    }
    this.metrics.observeAllocation(performance.now() - started)
  }

  /** Rescinds an outstanding offer (tells the framework) and gives its resources back. */
  rescindOffer(offerId: string) {
    this.removeOffer(offerId, { rescind: true })
  }

  private removeOffer(offerId: string, opts: { rescind: boolean; recover?: boolean; filterSeconds?: number }) {
    const o = this.offers.get(offerId)
    if (!o) return
    clearTimeout(o.timer)
    this.offers.delete(offerId)
    const fw = this.frameworks.get(o.frameworkId)
    fw?.offers.delete(offerId)
    this.agents.get(o.agentId)?.offers.delete(offerId)
    if (opts.rescind && fw) {
      fw.counters.offersRescinded++
      fw.send({ type: 'RESCIND', rescind: { offer_id: { value: offerId } } })
    }
    if (opts.recover !== false) this.allocator.recoverResources(o.frameworkId, o.agentId, o.resources, opts.filterSeconds, Date.now())
    this.requestAllocation()
  }

  decline(fw: Framework, offerIds: string[], refuseSeconds: number | undefined) {
    for (const id of offerIds) {
      const o = this.offers.get(id)
      if (!o || o.frameworkId !== fw.id) { log.debug(`Ignoring decline of unknown offer ${id} from framework ${fw.id}`); continue }
      fw.counters.offersDeclined++
      this.removeOffer(id, { rescind: false, filterSeconds: clampRefuse(refuseSeconds ?? DEFAULT_REFUSE_SECONDS) })
    }
  }

  accept(fw: Framework, offerIds: string[], operations: OfferOperation[], refuseSeconds: number | undefined) {
    const error = this.offerError(fw, offerIds)
    if (error) {
      for (const id of offerIds) {
        const o = this.offers.get(id)
        if (o && o.frameworkId === fw.id) this.removeOffer(id, { rescind: false })
      }
      for (const op of operations) {
        for (const task of launchedTasks(op)) {
          const state: TaskState = fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST'
          fw.send({ type: 'UPDATE', update: { status: masterStatus(task.task_id.value, state, 'REASON_INVALID_OFFERS', `Task launched with invalid offers: ${error}`) } })
        }
      }
      log.warn(`ACCEPT from framework ${fw.id} refused: ${error}`)
      return
    }
    const first = this.offers.get(offerIds[0]!)!
    const agent = this.agents.get(first.agentId)!
    const role = first.role
    let pool = Resources.EMPTY
    for (const id of offerIds) {
      const o = this.offers.get(id)!
      pool = pool.plus(o.resources)
      clearTimeout(o.timer)
      this.offers.delete(id)
      fw.offers.delete(id)
      agent.offers.delete(id)
    }
    fw.counters.offersAccepted += offerIds.length
    const ctx: TaskValidationContext = {
      frameworkId: fw.id,
      agentId: agent.id,
      taskIdInUse: id => fw.tasks.has(id) || fw.unreachableTasks.has(id),
      existingExecutor: eid => agent.executors.get(fw.id)?.get(eid),
    }
    for (const op of operations) {
      const type = op.type ?? (op.launch ? 'LAUNCH' : op.launch_group ? 'LAUNCH_GROUP' : 'UNKNOWN')
      if ((type === 'LAUNCH' || type === 'LAUNCH_GROUP') && op.id) {
        for (const t of launchedTasks(op)) this.sendTaskError(fw, t, 'REASON_TASK_INVALID', "The 'id' field was set in the offer operation, which is not supported for LAUNCH and LAUNCH_GROUP")
        continue
      }
      if (type === 'LAUNCH') {
        const launched: string[] = []
        for (const task of op.launch?.task_infos ?? []) {
          let err = validateTask(task, ctx)
          const need = err ? Resources.EMPTY : withAllocationRole(task.resources, role).plus(this.newExecutorResources(fw, agent, task.executor, role))
          if (!err && !pool.contains(need)) err = `Task uses more resources ${need.toString()} than available ${pool.toString()}`
          if (err) { this.sendTaskError(fw, task, 'REASON_TASK_INVALID', err); continue }
          pool = pool.minus(need)
          this.launchTask(fw, agent, task, role)
          launched.push(task.task_id.value)
        }
        // One line per operation: a framework packing an offer with many tasks would otherwise pay a log write each.
        if (launched.length === 1) log.info(`Launching task ${launched[0]} of framework ${fw.id} on agent ${agent.id} (${agent.hostname})`)
        else if (launched.length) log.info(`Launching tasks [${launched.join(', ')}] of framework ${fw.id} on agent ${agent.id} (${agent.hostname})`)
      } else if (type === 'LAUNCH_GROUP' && op.launch_group) {
        const { executor, task_group } = op.launch_group
        const tasks = task_group.tasks ?? []
        let err = validateTaskGroup(executor, tasks, ctx)
        let need = Resources.EMPTY
        if (!err) {
          for (const t of tasks) need = need.plus(withAllocationRole(t.resources, role))
          need = need.plus(this.newExecutorResources(fw, agent, executor, role))
          if (!pool.contains(need)) err = `Task group uses more resources ${need.toString()} than available ${pool.toString()}`
        }
        if (err) { for (const t of tasks) this.sendTaskError(fw, t, 'REASON_TASK_GROUP_INVALID', err); continue }
        pool = pool.minus(need)
        this.launchTaskGroup(fw, agent, executor, tasks, role)
      } else {
        // Reservations and volumes are not implemented yet; tell the framework instead of silently dropping.
        log.warn(`Framework ${fw.id}: offer operation ${type} is not supported by meso; dropped`)
        if (op.id) fw.send({ type: 'UPDATE_OPERATION_STATUS', update_operation_status: { status: { operation_id: op.id, state: 'OPERATION_ERROR', message: `Operation ${type} is not supported`, agent_id: { value: agent.id } } } })
      }
    }
    // Whatever the operations did not use goes back with the call's filter.
    this.allocator.recoverResources(fw.id, agent.id, pool, clampRefuse(refuseSeconds ?? DEFAULT_REFUSE_SECONDS), Date.now())
    this.requestAllocation()
  }

  private offerError(fw: Framework, offerIds: string[]): string | undefined {
    if (!offerIds.length) return 'No offers specified'
    const seen = new Set<string>()
    let agentId: string | undefined
    let role: string | undefined
    for (const id of offerIds) {
      if (seen.has(id)) return `Duplicate offer ${id} in offer list`
      seen.add(id)
      const o = this.offers.get(id)
      if (!o) return `Offer ${id} is no longer valid`
      if (o.frameworkId !== fw.id) return `Offer ${id} has invalid framework ${o.frameworkId} while framework ${fw.id} is expected`
      if (agentId !== undefined && o.agentId !== agentId) return 'Aggregated offers must belong to one single agent'
      if (role !== undefined && o.role !== role) return 'Aggregated offers must be allocated to the same role'
      agentId = o.agentId
      role = o.role
      const agent = this.agents.get(o.agentId)
      if (!agent?.connected) return `Offer ${id} is from agent ${o.agentId}, which is not registered`
    }
    return undefined
  }

  /** Resources of an executor that is not yet running on the agent (they come out of the offer too). */
  private newExecutorResources(fw: Framework, agent: RegisteredAgent, executor: ExecutorInfo | undefined, role: string): Resources {
    if (!executor || agent.executors.get(fw.id)?.has(executor.executor_id.value)) return Resources.EMPTY
    return withAllocationRole(executor.resources, role)
  }

  private sendTaskError(fw: Framework, task: TaskInfo, reason: string, message: string) {
    log.warn(`Framework ${fw.id}: task ${task.task_id.value} rejected: ${message}`)
    this.metrics.inc('master/tasks_error')
    fw.send({ type: 'UPDATE', update: { status: masterStatus(task.task_id.value, 'TASK_ERROR', reason, message) } })
  }

  private newTask(fw: Framework, agent: RegisteredAgent, info: TaskInfo, role: string, executorId?: string): Task {
    const task: Task = {
      name: info.name,
      task_id: info.task_id,
      framework_id: fw.wireId,
      agent_id: agent.wireId,
      state: 'TASK_STAGING',
      resources: sharedResourceList(withAllocationRole(info.resources, role).toWire(true)),
      statuses: [],
      user: info.command?.user ?? fw.info.user,
    }
    if (executorId) task.executor_id = { value: executorId }
    if (info.labels) task.labels = info.labels
    if (info.discovery) task.discovery = info.discovery
    if (info.container) task.container = info.container
    if (info.health_check) task.health_check = info.health_check
    if (info.kill_policy) task.kill_policy = info.kill_policy
    return task
  }

  private trackTask(fw: Framework, agent: RegisteredAgent, task: Task) {
    fw.tasks.set(task.task_id.value, task)
    agent.tasks.set(`${fw.id}/${task.task_id.value}`, task)
    this.metrics.taskState(undefined, task.state)
    this.events.publish('TASK_ADDED', { task })
  }

  private trackExecutor(fw: Framework, agent: RegisteredAgent, executor: ExecutorInfo) {
    const e = { ...executor, framework_id: { value: fw.id } }
    fw.executorsOn(agent.id).set(e.executor_id.value, e)
    agent.executorsOf(fw.id).set(e.executor_id.value, e)
    return e
  }

  private launchTask(fw: Framework, agent: RegisteredAgent, info: TaskInfo, role: string) {
    const executor = info.executor ? this.trackExecutor(fw, agent, { ...info.executor, resources: withAllocationRole(info.executor.resources, role).toWire(true) }) : undefined
    const task = this.newTask(fw, agent, info, role, executor?.executor_id.value)
    this.trackTask(fw, agent, task)
    const wire: TaskInfo = { ...info, resources: task.resources }
    if (executor) wire.executor = executor
    agent.send({ type: 'RUN_TASK', framework: fw.info, task: wire })
  }

  private launchTaskGroup(fw: Framework, agent: RegisteredAgent, executorInfo: ExecutorInfo, infos: TaskInfo[], role: string) {
    const executor = this.trackExecutor(fw, agent, { ...executorInfo, resources: withAllocationRole(executorInfo.resources, role).toWire(true) })
    const wires: TaskInfo[] = []
    for (const info of infos) {
      const task = this.newTask(fw, agent, info, role, executor.executor_id.value)
      this.trackTask(fw, agent, task)
      wires.push({ ...info, resources: task.resources })
    }
    agent.send({ type: 'RUN_TASK_GROUP', framework: fw.info, executor, tasks: wires })
    log.info(`Launching task group [${infos.map(t => t.task_id.value).join(', ')}] of framework ${fw.id} on agent ${agent.id}`)
  }

  // ------------------------------------------------------------------------------------------- tasks

  kill(fw: Framework, taskId: string, agentId: string | undefined, killPolicy?: TaskInfo['kill_policy']) {
    const task = fw.tasks.get(taskId)
    if (!task) {
      // Unknown task: answer as explicit reconciliation would (Mesos does the same).
      for (const status of reconcile(this.reconciliationView(fw), [{ task_id: { value: taskId }, agent_id: agentId ? { value: agentId } : undefined }])) {
        fw.send({ type: 'UPDATE', update: { status } })
      }
      return
    }
    const agent = this.agents.get(task.agent_id.value)
    if (!agent) return
    const msg: MasterMessage = { type: 'KILL_TASK', framework_id: fw.id, task_id: taskId }
    if (killPolicy) msg.kill_policy = killPolicy
    if (!agent.send(msg)) {
      agent.pendingKills.set(`${fw.id}/${taskId}`, { frameworkId: fw.id, taskId, killPolicy })
      log.info(`Agent ${agent.id} is not connected; kill of task ${taskId} will be sent when it re-registers`)
    }
  }

  acknowledge(fw: Framework, agentId: string, taskId: string, uuid: string) {
    const task = fw.tasks.get(taskId) ?? fw.unreachableTasks.get(taskId)
    if (task && task.status_update_uuid === uuid && isTerminal(task.status_update_state)) this.removeTask(task)
    fw.recordAck(taskId, uuid)
    const agent = this.agents.get(agentId)
    if (agent && !agent.send({ type: 'ACKNOWLEDGE', framework_id: fw.id, task_id: taskId, uuid })) {
      // Replayed when the agent re-registers, so it does not resend what the framework already has.
      const key = `${fw.id}/${taskId}`
      agent.pendingAcks.set(key, [...(agent.pendingAcks.get(key) ?? []), uuid])
    }
    this.metrics.inc('master/valid_status_update_acknowledgements')
  }

  reconciliationView(fw: Framework): ReconciliationView {
    return {
      partitionAware: fw.partitionAware,
      findTask: id => fw.tasks.get(id) ?? fw.unreachableTasks.get(id),
      allTasks: () => [...fw.tasks.values(), ...fw.unreachableTasks.values()],
      agentState: id => {
        if (this.goneAgents.has(id)) return 'gone'
        const a = this.agents.get(id)
        return a ? a.state : 'unknown'
      },
      anyRecoveredAgent: () => [...this.agents.values()].some(a => a.state === 'recovered'),
    }
  }

  /**
   * Applies a status to a task: latest state, statuses history, operator event. `uuid` present means the update
   * came from an agent's status update manager and is forwarded for acknowledgement.
   */
  private applyStatus(task: Task, status: TaskStatus, latestState: TaskState | undefined, forward = true) {
    const fw = this.frameworks.get(task.framework_id.value)
    const prev = task.state
    const next = latestState ?? status.state
    task.statuses = [...(task.statuses ?? []), storedStatus(task, status)]
    if (task.statuses.length > 16) task.statuses.splice(0, task.statuses.length - 16)
    task.state = next
    if (status.uuid) {
      task.status_update_state = status.state
      task.status_update_uuid = status.uuid
    }
    if (prev !== next) {
      this.metrics.taskState(prev, next)
      this.events.publish('TASK_UPDATED', { framework_id: task.framework_id, status, state: next })
    }
    const agent = this.agents.get(task.agent_id.value)
    if (!isTerminal(prev) && isTerminal(next) && agent) {
      // Resources come back as soon as the master learns the task is done, acked or not.
      this.allocator.recoverResources(task.framework_id.value, agent.id, resourcesOf(task.resources), undefined, Date.now())
      this.requestAllocation()
    }
    if (forward && fw) fw.send({ type: 'UPDATE', update: { status } })
    if (fw && isTerminal(next) && !fw.connected) this.maybeAutoTeardown(fw)
  }

  /** Moves a task out of the active set (terminal and acknowledged, or framework removed). */
  private removeTask(task: Task) {
    const fwId = task.framework_id.value
    const fw = this.frameworks.get(fwId)
    const agent = this.agents.get(task.agent_id.value)
    if (!isTerminal(task.state) && agent) {
      this.allocator.recoverResources(fwId, agent.id, resourcesOf(task.resources), undefined, Date.now())
    }
    agent?.tasks.delete(`${fwId}/${task.task_id.value}`)
    agent?.pendingKills.delete(`${fwId}/${task.task_id.value}`)
    if (fw) {
      fw.tasks.delete(task.task_id.value)
      fw.unreachableTasks.delete(task.task_id.value)
      fw.addCompleted(task, this.flags.max_completed_tasks_per_framework ?? 1000)
    }
  }

  // ------------------------------------------------------------------------------------------- agents

  /**
   * First registration of an agent: persist it, then admit it and offer its resources. The registry write joins the
   * batch of this event-loop turn (Registry.batch), so the agent is admitted, and hears REGISTERED, once that batch
   * is durable; until then it is known only to its own link.
   */
  registerAgent(msg: Extract<AgentMessage, { type: 'REGISTER' }>, link: AgentLink): RegisteredAgent {
    const id = agentIdFor(this.id, this.registry.reserveSequence('agent'))
    const info: AgentInfo = { ...msg.agent_info, id: { value: id } }
    const agent = new RegisteredAgent(id, info, msg.pid, 'registered')
    agent.link = link
    agent.version = msg.version
    agent.capabilities = msg.capabilities
    agent.registeredTime = Date.now() / 1000
    this.registry.batch(() => {
      this.registry.persistSequence('agent')
      this.registry.putAgent({ id, info, pid: msg.pid, state: 'admitted' })
    }, ok => this.admitAgent(agent, link, ok))
    return agent
  }

  private admitAgent(agent: RegisteredAgent, link: AgentLink, persisted: boolean) {
    if (this.stopped) return
    if (!persisted) {
      // It was never told its id; it registers again after its backoff.
      link.close('registry write failed')
      return
    }
    const id = agent.id
    this.agents.set(id, agent)
    this.allocator.addAgent(id, { total: agent.total, hostname: agent.hostname })
    log.info(`Registered agent ${id} at ${agent.pid} (${agent.hostname}) with ${agent.total.toString()}`)
    this.metrics.inc('master/slave_registrations')
    this.events.publish('AGENT_ADDED', { agent: agentView(this, agent) })
    if (agent.state !== 'registered' || agent.link !== link) {
      // The link dropped while the write was in flight: known now, disconnected, on its way to unreachable.
      this.allocator.deactivateAgent(id)
      return
    }
    link.send({ type: 'REGISTERED', agent_id: id, master_info: this.info, ping_interval_ms: this.flags.agent_ping_timeout })
    this.requestAllocation()
  }

  /** Re-registration after an agent or master restart, or a dropped link: reconcile both sides' views. */
  reregisterAgent(msg: Extract<AgentMessage, { type: 'REREGISTER' }>, link: AgentLink): RegisteredAgent | undefined {
    const id = msg.agent_info.id!.value
    if (this.goneAgents.has(id)) {
      link.send({ type: 'SHUTDOWN', message: `Agent ${id} has been marked gone` })
      link.close('agent is gone')
      return undefined
    }
    let agent = this.agents.get(id)
    const wasUnreachable = agent?.state === 'unreachable'
    if (agent?.link && agent.link !== link && agent.state === 'registered') agent.link.close('agent re-registered on a new connection')
    clearTimeout(agent?.disconnectTimer)
    const now = Date.now() / 1000
    if (!agent) {
      agent = new RegisteredAgent(id, msg.agent_info, msg.pid, 'registered')
      agent.registeredTime = now
      this.agents.set(id, agent)
    } else {
      // Forget the master's copy of tasks/executors; the agent's report is authoritative.
      this.allocator.removeAgent(id)
    }
    agent.info = msg.agent_info
    agent.pid = msg.pid
    agent.total = Resources.of(msg.agent_info.resources)
    agent.state = 'registered'
    agent.link = link
    agent.version = msg.version
    agent.capabilities = msg.capabilities
    agent.reregisteredTime = now
    agent.missedPings = 0
    this.registry.putAgent({ id, info: agent.info, pid: msg.pid, state: 'admitted' })

    // Frameworks the master does not know (e.g. after its own restart) are recreated as "recovered".
    for (const info of msg.frameworks) {
      const fid = info.id?.value
      if (!fid || this.frameworks.has(fid)) continue
      if (this.completedFrameworks.some(f => f.id === fid)) { link.send({ type: 'SHUTDOWN_FRAMEWORK', framework_id: fid }); continue }
      const fw = new Framework(fid, info, 'recovered', now)
      this.frameworks.set(fid, fw)
      this.allocator.addFramework(fid, { roles: fw.roles, gpuResources: fw.gpuResources, active: false })
      this.registry.putFramework({ id: fid, info, registeredTime: now })
      this.startFailoverTimer(fw, Math.max(info.failover_timeout ?? 0, this.flags.agent_reregister_timeout / 1000))
    }

    const reported = new Map<string, Task>()
    for (const t of msg.tasks) reported.set(`${t.framework_id.value}/${t.task_id.value}`, t)
    // Tasks the master had on this agent but the agent no longer knows.
    for (const [key, task] of [...agent.tasks]) {
      if (reported.has(key)) continue
      agent.tasks.delete(key)
      const fw = this.frameworks.get(task.framework_id.value)
      if (!fw || isTerminal(task.state)) continue
      const state = forFramework('TASK_GONE', fw.partitionAware)
      this.applyStatus(task, masterStatus(task.task_id.value, state, 'REASON_AGENT_REREGISTERED', 'Task was not found on the re-registered agent', { agent_id: { value: id } }), undefined)
      this.removeTask(task)
    }
    agent.executors.clear()
    for (const e of msg.executors) {
      const fw = this.frameworks.get(e.framework_id)
      if (!fw) continue
      agent.executorsOf(e.framework_id).set(e.executor_info.executor_id.value, e.executor_info)
      fw.executorsOn(id).set(e.executor_info.executor_id.value, e.executor_info)
    }
    const used: { frameworkId: string; role: string; resources: Resources }[] = []
    for (const [key, reportedTask] of reported) {
      const fw = this.frameworks.get(reportedTask.framework_id.value)
      if (!fw) continue
      let task = fw.tasks.get(reportedTask.task_id.value) ?? fw.unreachableTasks.get(reportedTask.task_id.value)
      if (wasUnreachable && task && !fw.partitionAware) {
        // Already reported LOST to a non-partition-aware framework: it must not come back. Kill it.
        agent.tasks.set(key, task)
        link.send({ type: 'KILL_TASK', framework_id: fw.id, task_id: task.task_id.value })
        continue
      }
      if (!task) {
        task = { ...reportedTask }
        fw.tasks.set(task.task_id.value, task)
        this.metrics.taskState(undefined, task.state)
        this.events.publish('TASK_ADDED', { task })
      } else {
        const wasUnreachableTask = fw.unreachableTasks.delete(task.task_id.value)
        fw.tasks.set(task.task_id.value, task)
        const prev = task.state
        task.state = reportedTask.state
        if (reportedTask.statuses?.length) task.statuses = reportedTask.statuses
        if (prev !== task.state) this.metrics.taskState(prev, task.state)
        if (wasUnreachableTask) {
          // The framework was told UNREACHABLE; tell it the task is back.
          fw.send({ type: 'UPDATE', update: { status: masterStatus(task.task_id.value, task.state, 'REASON_AGENT_REREGISTERED', `Agent ${id} re-registered`, { agent_id: { value: id } }) } })
        }
      }
      agent.tasks.set(key, task)
      if (!isTerminal(task.state)) {
        used.push({ frameworkId: fw.id, role: resourceRole(task.resources), resources: resourcesOf(task.resources) })
      }
    }
    for (const [fid, execs] of agent.executors) {
      for (const e of execs.values()) {
        if (e.resources?.length) used.push({ frameworkId: fid, role: resourceRole(e.resources), resources: resourcesOf(e.resources) })
      }
    }
    this.allocator.addAgent(id, { total: agent.total, hostname: agent.hostname }, used)
    link.send({ type: 'REREGISTERED', agent_id: id, master_info: this.info, ping_interval_ms: this.flags.agent_ping_timeout })
    for (const [key, k] of [...agent.pendingKills]) {
      agent.pendingKills.delete(key)
      const m: MasterMessage = { type: 'KILL_TASK', framework_id: k.frameworkId, task_id: k.taskId }
      if (k.killPolicy) m.kill_policy = k.killPolicy
      link.send(m)
    }
    // Acknowledgements the agent missed while it was away (it resends those updates otherwise).
    for (const [key, uuids] of [...agent.pendingAcks]) {
      agent.pendingAcks.delete(key)
      const [frameworkId, ...rest] = key.split('/')
      for (const uuid of uuids) link.send({ type: 'ACKNOWLEDGE', framework_id: frameworkId!, task_id: rest.join('/'), uuid })
    }
    log.info(`Re-registered agent ${id} at ${msg.pid} with ${reported.size} task(s)`)
    this.metrics.inc('master/slave_reregistrations')
    this.events.publish('AGENT_ADDED', { agent: agentView(this, agent) })
    this.requestAllocation()
    return agent
  }

  /** The agent's link dropped. It has the ping-timeout window to come back before it is unreachable. */
  agentDisconnected(agent: RegisteredAgent, link: AgentLink) {
    if (agent.link !== link || agent.state !== 'registered' || this.stopped) return
    log.info(`Agent ${agent.id} (${agent.hostname}) disconnected`)
    agent.state = 'disconnected'
    agent.link = undefined
    this.allocator.deactivateAgent(agent.id)
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId)
    // Tasks of frameworks that do not checkpoint cannot survive an agent restart: they are lost now.
    for (const task of [...agent.tasks.values()]) {
      const fw = this.frameworks.get(task.framework_id.value)
      if (!fw || fw.info.checkpoint || isTerminal(task.state)) continue
      const state = forFramework('TASK_LOST', fw.partitionAware)
      this.applyStatus(task, masterStatus(task.task_id.value, state, 'REASON_AGENT_DISCONNECTED', 'Agent disconnected', { agent_id: { value: agent.id } }), undefined)
      this.removeTask(task)
    }
    const window = this.flags.agent_ping_timeout * this.flags.max_agent_ping_timeouts
    agent.disconnectTimer = setTimeout(() => {
      if (agent.state === 'disconnected') this.markUnreachable(agent, `agent did not reconnect within ${window / 1000}s`)
    }, window)
  }

  private pingAgents() {
    for (const agent of this.agents.values()) {
      if (agent.state !== 'registered') continue
      if (agent.pingSeq > agent.lastPongSeq) {
        agent.missedPings++
        if (agent.missedPings >= this.flags.max_agent_ping_timeouts) {
          agent.link?.close('ping timeout')
          this.markUnreachable(agent, `missed ${agent.missedPings} pings`)
          continue
        }
      }
      agent.send({ type: 'PING', seq: ++agent.pingSeq })
    }
  }

  pong(agent: RegisteredAgent, seq: number) {
    agent.lastPongSeq = Math.max(agent.lastPongSeq, seq)
    agent.missedPings = 0
  }

  /** Agent timed out: its tasks become UNREACHABLE (partition-aware) or LOST, frameworks get FAILURE. */
  markUnreachable(agent: RegisteredAgent, why: string) {
    if (agent.state === 'unreachable') return
    log.warn(`Marking agent ${agent.id} (${agent.hostname}) unreachable: ${why}`)
    clearTimeout(agent.disconnectTimer)
    const now = Date.now()
    agent.state = 'unreachable'
    agent.unreachableTime = now / 1000
    agent.link = undefined
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId)
    this.registry.putAgent({ id: agent.id, info: agent.info, pid: agent.pid, state: 'unreachable', unreachableTime: now / 1000 })
    const unreachableTime = { nanoseconds: now * 1e6 }
    for (const task of [...agent.tasks.values()]) {
      const fw = this.frameworks.get(task.framework_id.value)
      if (!fw || isTerminal(task.state)) continue
      if (fw.partitionAware) {
        this.applyStatus(task, masterStatus(task.task_id.value, 'TASK_UNREACHABLE', 'REASON_AGENT_REMOVED', `Agent ${agent.id} is unreachable: ${why}`, { agent_id: { value: agent.id }, unreachable_time: unreachableTime }), undefined)
        fw.tasks.delete(task.task_id.value)
        fw.unreachableTasks.set(task.task_id.value, task)
      } else {
        this.applyStatus(task, masterStatus(task.task_id.value, 'TASK_LOST', 'REASON_AGENT_REMOVED', `Agent ${agent.id} is unreachable: ${why}`, { agent_id: { value: agent.id } }), undefined)
        this.removeTask(task)
      }
    }
    for (const fw of this.frameworks.values()) fw.send({ type: 'FAILURE', failure: { agent_id: { value: agent.id } } })
    this.allocator.removeAgent(agent.id)
    this.metrics.inc('master/slave_removals')
    this.events.publish('AGENT_REMOVED', { agent_id: { value: agent.id } })
  }

  /** MARK_AGENT_GONE: permanent; tasks become GONE_BY_OPERATOR / LOST. */
  markAgentGone(agent: RegisteredAgent) {
    for (const task of [...agent.tasks.values()]) {
      const fw = this.frameworks.get(task.framework_id.value)
      if (!fw || isTerminal(task.state)) continue
      const state = forFramework('TASK_GONE_BY_OPERATOR', fw.partitionAware)
      this.applyStatus(task, masterStatus(task.task_id.value, state, 'REASON_AGENT_REMOVED_BY_OPERATOR', 'Agent was marked as gone by an operator', { agent_id: { value: agent.id } }), undefined)
      this.removeTask(task)
    }
    agent.send({ type: 'SHUTDOWN', message: 'Agent has been marked gone by an operator' })
    agent.link?.close('marked gone')
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId)
    if (agent.state !== 'unreachable') this.allocator.removeAgent(agent.id)
    for (const fw of this.frameworks.values()) fw.send({ type: 'FAILURE', failure: { agent_id: { value: agent.id } } })
    this.agents.delete(agent.id)
    this.goneAgents.add(agent.id)
    this.registry.putAgent({ id: agent.id, info: agent.info, pid: agent.pid, state: 'gone' })
    this.events.publish('AGENT_REMOVED', { agent_id: { value: agent.id } })
  }

  /** A status update relayed by an agent's status update manager. */
  statusUpdate(agent: RegisteredAgent, update: StatusUpdate) {
    const fw = this.frameworks.get(update.framework_id)
    const status = { ...update.status, agent_id: { value: agent.id } }
    if (!fw) {
      // Framework gone for good: acknowledge so the agent stops retrying.
      if (this.completedFrameworks.some(f => f.id === update.framework_id) && status.uuid) {
        agent.send({ type: 'ACKNOWLEDGE', framework_id: update.framework_id, task_id: status.task_id.value, uuid: status.uuid })
      }
      this.metrics.inc('master/invalid_status_updates')
      return
    }
    if (status.uuid && fw.wasAcked(status.task_id.value, status.uuid)) {
      // A retry of an update the framework already acknowledged (the ack was lost on the way): ack it again.
      agent.send({ type: 'ACKNOWLEDGE', framework_id: fw.id, task_id: status.task_id.value, uuid: status.uuid })
      return
    }
    const task = fw.tasks.get(status.task_id.value) ?? fw.unreachableTasks.get(status.task_id.value)
    this.metrics.inc('master/valid_status_updates')
    if (!task) {
      // Unknown to the master (e.g. acknowledged already); still forward so the scheduler can acknowledge.
      fw.send({ type: 'UPDATE', update: { status } })
      return
    }
    this.applyStatus(task, status, update.latest_state)
  }

  /** The agent has a newer state for a task whose older update is still unacknowledged. */
  latestState(agent: RegisteredAgent, frameworkId: string, taskId: string, state: TaskState) {
    const fw = this.frameworks.get(frameworkId)
    const task = fw?.tasks.get(taskId) ?? fw?.unreachableTasks.get(taskId)
    if (!fw || !task || task.agent_id.value !== agent.id || task.state === state || isTerminal(task.state)) return
    const prev = task.state
    task.state = state
    this.metrics.taskState(prev, state)
    // Operator subscribers hear of every change of a task's latest state, as in Mesos (where the latest state rides
    // on the status update itself). Without this, a task whose later updates queue behind an unacknowledged one
    // reached TASK_FINISHED with no TASK_UPDATED at all: by the time its updates arrived, nothing changed any more.
    this.events.publish('TASK_UPDATED', {
      framework_id: task.framework_id,
      status: task.statuses?.[task.statuses.length - 1] ?? { task_id: task.task_id, state: prev },
      state,
    })
    if (isTerminal(state)) {
      this.allocator.recoverResources(frameworkId, agent.id, resourcesOf(task.resources), undefined, Date.now())
      this.requestAllocation()
      if (!fw.connected) this.maybeAutoTeardown(fw)
    }
  }

  executorMessage(agent: RegisteredAgent, frameworkId: string, executorId: string, data: string) {
    const fw = this.frameworks.get(frameworkId)
    fw?.send({ type: 'MESSAGE', message: { agent_id: { value: agent.id }, executor_id: { value: executorId }, data } })
  }

  exitedExecutor(agent: RegisteredAgent, frameworkId: string, executorId: string, status?: number) {
    const fw = this.frameworks.get(frameworkId)
    const e = agent.executors.get(frameworkId)?.get(executorId)
    if (e) {
      agent.executors.get(frameworkId)!.delete(executorId)
      fw?.executors.get(agent.id)?.delete(executorId)
      if (e.resources?.length) {
        this.allocator.recoverResources(frameworkId, agent.id, resourcesOf(e.resources), undefined, Date.now())
        this.requestAllocation()
      }
    }
    const failure: Record<string, unknown> = { agent_id: { value: agent.id }, executor_id: { value: executorId } }
    if (status !== undefined) failure.status = status
    fw?.send({ type: 'FAILURE', failure })
  }

  // ------------------------------------------------------------------------------------------- queries

  findFramework(id: string): Framework | undefined { return this.frameworks.get(id) }

  /** All tasks the master knows: active, unreachable and completed, across active and completed frameworks. */
  *allTasks(opts: { completed?: boolean } = {}): Generator<{ task: Task; framework: Framework; kind: 'active' | 'unreachable' | 'completed' }> {
    for (const fw of [...this.frameworks.values(), ...(opts.completed ? this.completedFrameworks : [])]) {
      for (const task of fw.tasks.values()) yield { task, framework: fw, kind: 'active' }
      for (const task of fw.unreachableTasks.values()) yield { task, framework: fw, kind: 'unreachable' }
      if (opts.completed !== false) for (const task of fw.completedTasks) yield { task, framework: fw, kind: 'completed' }
    }
  }

  agentUsed(agent: RegisteredAgent): Resources { return agent.usedResources() }
  agentOffered(agent: RegisteredAgent): Resources {
    let r = Resources.EMPTY
    for (const id of agent.offers) { const o = this.offers.get(id); if (o) r = r.plus(o.resources) }
    return r
  }
  frameworkOffered(fw: Framework): Resources {
    let r = Resources.EMPTY
    for (const id of fw.offers) { const o = this.offers.get(id); if (o) r = r.plus(o.resources) }
    return r
  }
  frameworkUsed(fw: Framework): Resources {
    return Resources.sum(frameworkUsedParts(fw))
  }
  frameworkOffers(fw: Framework): Offer[] {
    return [...fw.offers].map(id => this.offers.get(id)?.offer).filter((o): o is Offer => !!o)
  }
  get address(): string { return `${this.info.address!.ip}:${this.info.port}` }
}

function clampRefuse(s: number | undefined): number | undefined {
  if (s === undefined) return undefined
  if (!(s >= 0)) return 5
  return Math.min(s, 31_536_000)
}

function launchedTasks(op: OfferOperation): TaskInfo[] {
  return [...(op.launch?.task_infos ?? []), ...(op.launch_group?.task_group.tasks ?? [])]
}

/** Frameworks without MULTI_ROLE omit allocation_info; Mesos injects the offer's role, and so do we. */
function withAllocationRole(list: TaskInfo['resources'], role: string): Resources {
  return Resources.of((list ?? []).map(r => (r.allocation_info ? r : { ...r, allocation_info: { role } })))
}

function* frameworkUsedParts(fw: Framework): Generator<Resources> {
  for (const t of fw.tasks.values()) if (!isTerminal(t.state)) yield resourcesOf(t.resources)
  for (const execs of fw.executors.values()) for (const e of execs.values()) yield resourcesOf(e.resources)
}

function resourceRole(list: Task['resources']): string {
  return list?.find(r => r.allocation_info?.role)?.allocation_info?.role ?? '*'
}
