// The master: one object that the edges (scheduler-api.ts, operator-api.ts, v0 endpoints in server.ts, the agent
// links in agent-link.ts, timers and the registrar) call. Each method runs one transition (frameworks.ts, offers.ts,
// tasks.ts, agents.ts) with the time of the call, then hands the effects it queued to the runtime (runtime.ts in
// the daemon, the harness's recorder in tests). See docs/master.md.

import type { AgentMessage, StatusUpdate } from '../core/agent-protocol.ts'
import { logger } from '../core/log.ts'
import type { SecretLookup } from '../core/secrets/task-secrets.ts'
import type { FrameworkInfo, KillPolicy, MachineID, MasterInfo, OfferOperation } from '../core/v1/messages.ts'
import { HierarchicalAllocator } from './allocator/allocator.ts'
import * as agents from './agents.ts'
import * as drain from './drain.ts'
import * as maintenance from './maintenance/transitions.ts'
import type { MaintenanceSchedule } from './maintenance/schedule.ts'
import type { MasterFlags } from './flags.ts'
import { parseMinAllocatable, parseWeights } from './flags.ts'
import type { Framework, SchedulerConnection, SchedulerStream } from './framework.ts'
import * as frameworks from './frameworks.ts'
import type { OfferConstraintsFilter } from './offer-constraints.ts'
import * as offers from './offers.ts'
import type { OperationAuthorization } from './operations/accept.ts'
import type { SpeculativeOperation } from './operations/conversions.ts'
import * as feedback from './operations/feedback.ts'
import { applyOperatorOperation, type OperatorOutcome } from './operations/operator.ts'
import { quotaOfRecord } from './quota/config.ts'
import { updateQuotas, type QuotaChange } from './quota/transitions.ts'
import { Outbox, timerKey, type Effect, type PersistedEvent, type TimerEvent } from './outbox.ts'
import { PING_SLICES } from './ping-slice.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'
import type { RegistrarSnapshot } from './registrar.ts'
import { MasterState, type Step } from './state.ts'
import * as tasks from './tasks.ts'

export { HEARTBEAT_INTERVAL_SECONDS } from './state.ts'

const log = logger('master')

/** Performs effects: the daemon's runtime, or the harness's recorder. */
export interface EffectRunner {
  perform(effects: Effect[], master: Master): void
}

export interface MasterOptions {
  info: MasterInfo
  flags: MasterFlags
  /** The flags as given, for GET_FLAGS. */
  flagStrings?: { name: string; value: string }[]
  /** What the registrar held when the master started. */
  recovered: RegistrarSnapshot
  runner: EffectRunner
  /** Milliseconds since the epoch. */
  clock?: () => number
  /** How agents are reached (offers' `url.scheme`): https when TLS is on (docs/security-tls.md). */
  scheme?: 'http' | 'https'
}

export class Master {
  readonly state: MasterState
  private readonly out = new Outbox()
  private readonly clock: () => number
  private readonly runner: EffectRunner
  private flushing = false

  constructor(opts: MasterOptions) {
    this.clock = opts.clock ?? Date.now
    this.runner = opts.runner
    const allocator = new HierarchicalAllocator({
      minAllocatable: parseMinAllocatable(opts.flags.min_allocatable_resources),
      filterGpuResources: opts.flags.filter_gpu_resources,
    })
    this.state = new MasterState(opts.info.id, opts.info, opts.flags, allocator, this.clock() / 1000, opts.flagStrings, opts.scheme)
    const s = this.state
    for (const [name, value] of Object.entries(opts.recovered.sequences)) s.sequences.set(name, value)
    s.weights = { ...parseWeights(opts.flags.weights), ...opts.recovered.weights }
    allocator.updateWeights(s.weights)
    // Quotas are in force before the first allocation (the allocation timer starts in `start`).
    for (const r of opts.recovered.quotas ?? []) {
      const quota = quotaOfRecord(r)
      s.quotas.set(r.role, quota)
      allocator.updateQuota(r.role, quota)
    }
    s.maintenance.recover(opts.recovered.maintenance)
    this.run(step => {
      agents.recoverAgents(step, opts.recovered.agents)
      for (const f of opts.recovered.frameworks) frameworks.recoverFramework(step, f.id, f.info, f.registeredTime)
      const recovered = [...s.agents.values()].filter(a => a.state === 'recovered').length
      if (recovered || s.frameworks.size) {
        log.info(`Recovered ${recovered} agent(s) and ${s.frameworks.size} framework(s) from the registrar; waiting for them to re-register`)
      }
    })
  }

  get id(): string { return this.state.id }
  get info(): MasterInfo { return this.state.info }
  get flags(): MasterFlags { return this.state.flags }

  /** Starts the periodic allocation and agent pings. */
  start() {
    this.run(({ out, s }) => {
      out.startTimer(timerKey.allocation, s.flags.allocation_interval, { kind: 'allocate' }, true)
      out.startTimer(timerKey.ping, s.flags.agent_ping_timeout / PING_SLICES, { kind: 'ping' }, true)
    })
  }

  /** Runs one transition at the current time, then performs what it queued. */
  private run<T>(transition: (step: Step) => T): T {
    const result = transition({ s: this.state, out: this.out, now: this.clock() })
    this.flush()
    return result
  }

  private flush() {
    // Effects can call back into the master (a closed link reports its disconnection): those transitions queue
    // their effects behind the ones being performed instead of interleaving with them.
    if (this.flushing) return
    this.flushing = true
    try {
      while (this.out.size) this.runner.perform(this.out.take(), this)
    } finally {
      this.flushing = false
    }
  }

  // ------------------------------------------------------------------------------------------- frameworks

  subscribe(info: FrameworkInfo, suppressedRoles: string[], conn: SchedulerConnection, offerConstraints?: OfferConstraintsFilter) {
    this.count(info.id?.value ? 'reregister_framework' : 'register_framework')
    return this.run(step => frameworks.subscribe(step, info, suppressedRoles, conn, offerConstraints))
  }
  schedulerDisconnected(fw: Framework, stream: SchedulerStream) { this.run(step => frameworks.schedulerDisconnected(step, fw, stream)) }
  teardown(fw: Framework) { this.count('unregister_framework'); this.run(step => frameworks.removeFramework(step, fw)) }
  updateFramework(fw: Framework, info: FrameworkInfo, suppressedRoles: string[], offerConstraints?: OfferConstraintsFilter) { this.run(step => frameworks.updateFramework(step, fw, info, suppressedRoles, offerConstraints)) }
  revive(fw: Framework, roles: string[] | undefined) { this.count('revive_offers'); this.run(step => frameworks.revive(step, fw, roles)) }
  suppress(fw: Framework, roles: string[] | undefined) { this.count('suppress_offers'); this.run(step => frameworks.suppress(step, fw, roles)) }
  updateWeights(weights: Record<string, number>) { this.run(step => frameworks.updateWeights(step, weights)) }
  /** SET_QUOTA / UPDATE_QUOTA / REMOVE_QUOTA, validated and authorized by the caller (src/master/quota/handler.ts). */
  updateQuotas(changes: QuotaChange[]) { this.run(step => updateQuotas(step, changes)) }

  // ------------------------------------------------------------------------------------------- offers

  allocate() {
    const started = performance.now()
    this.run(step => {
      offers.allocate(step)
      maintenance.sendInverseOffers(step)
      // A teardown or a re-registration may have taken a draining agent's last task.
      for (const id of [...step.s.draining.keys()]) drain.checkDrained(step, step.s.agents.get(id))
    })
    this.state.metrics.observeAllocation(performance.now() - started)
  }
  accept(fw: Framework, offerIds: string[], operations: OfferOperation[], refuseSeconds: number | undefined, authorize?: offers.TaskAuthorization, lookupSecret?: SecretLookup, authorizeOperation?: OperationAuthorization) {
    this.countAccept(fw, operations)
    this.run(step => offers.accept(step, fw, offerIds, operations, refuseSeconds, authorize, lookupSecret, authorizeOperation))
  }

  // ------------------------------------------------------------------------------------------- operations

  /** RESERVE_RESOURCES, CREATE_VOLUMES, … from an operator (src/master/operations/operator.ts). */
  applyOperatorOperation(agentId: string, op: SpeculativeOperation, type: string, principal?: string): OperatorOutcome {
    return this.run(step => applyOperatorOperation(step, agentId, op, type, principal))
  }
  acknowledgeOperationStatus(fw: Framework, ack: Parameters<typeof feedback.acknowledgeOperationStatus>[2]) { this.countOperationAck(fw, ack); this.run(step => feedback.acknowledgeOperationStatus(step, fw, ack)) }
  reconcileOperations(fw: Framework, entries: Parameters<typeof feedback.reconcileOperations>[2]) { this.count('reconcile_operations'); this.run(step => feedback.reconcileOperations(step, fw, entries)) }
  decline(fw: Framework, offerIds: string[], refuseSeconds: number | undefined) { this.count('decline_offers'); this.run(step => offers.decline(step, fw, offerIds, refuseSeconds)) }
  rescindOffer(offerId: string) { this.run(step => offers.rescindOffer(step, offerId)) }

  // ------------------------------------------------------------------------------------------- tasks

  kill(fw: Framework, taskId: string, agentId: string | undefined, killPolicy?: KillPolicy) { this.count('kill_task'); this.run(step => tasks.kill(step, fw, taskId, agentId, killPolicy)) }
  acknowledge(fw: Framework, agentId: string, taskId: string, uuid: string) {
    this.count('status_update_acknowledgement')
    this.run(step => {
      tasks.acknowledge(step, fw, agentId, taskId, uuid)
      drain.checkDrained(step, step.s.agents.get(agentId))
    })
  }
  reconcile(fw: Framework, list: { task_id: { value: string }; agent_id?: { value: string } }[]) { this.count('reconcile_tasks'); this.run(step => tasks.reconcileTasks(step, fw, list)) }
  message(fw: Framework, agentId: string, executorId: string, data: string) {
    this.count('framework_to_executor')
    // Upstream Master::schedulerMessage: invalid when the agent is unknown or not connected.
    const agent = this.state.agents.get(agentId)
    this.state.metrics.inc(agent?.state === 'registered' && agent.link ? 'master/valid_framework_to_executor_messages' : 'master/invalid_framework_to_executor_messages')
    this.run(step => tasks.frameworkMessage(step, fw, agentId, executorId, data))
  }
  shutdownExecutor(fw: Framework, agentId: string, executorId: string) { this.run(step => tasks.shutdownExecutor(step, fw, agentId, executorId)) }
  statusUpdate(agent: RegisteredAgent, update: StatusUpdate) {
    this.countStatusUpdate(update)
    this.run(step => tasks.statusUpdate(step, agent, update))
    this.notifyStatus(update)
  }

  /**
   * In-process observers of every status update an agent relays, after it is applied (the VIP table,
   * src/master/vips/): a health change keeps the task RUNNING, so no operator event tells of it.
   */
  private readonly statusObservers = new Set<(update: StatusUpdate) => void>()
  observeStatusUpdates(fn: (update: StatusUpdate) => void): () => void {
    this.statusObservers.add(fn)
    return () => { this.statusObservers.delete(fn) }
  }
  private notifyStatus(update: StatusUpdate) {
    for (const fn of this.statusObservers) {
      try { fn(update) } catch (err) { log.error(`Status observer failed: ${(err as Error).stack ?? err}`) }
    }
  }

  // ------------------------------------------------------------------------------------------- agents

  registerAgent(msg: Extract<AgentMessage, { type: 'REGISTER' }>, link: AgentLink): RegisteredAgent { this.count('register_slave'); return this.run(step => agents.registerAgent(step, msg, link)) }
  reregisterAgent(msg: Extract<AgentMessage, { type: 'REREGISTER' }>, link: AgentLink): RegisteredAgent | undefined { this.count('reregister_slave'); return this.run(step => agents.reregisterAgent(step, msg, link)) }
  agentDisconnected(agent: RegisteredAgent, link: AgentLink) { this.run(step => agents.agentDisconnected(step, agent, link)) }
  markAgentGone(agent: RegisteredAgent) { this.run(step => agents.markAgentGone(step, agent)) }
  setAgentActive(agent: RegisteredAgent, active: boolean) { this.run(step => agents.setAgentActive(step, agent, active)) }
  drainAgent(agent: RegisteredAgent, config: drain.DrainConfig) { this.run(step => drain.drainAgent(step, agent, config)) }

  // ------------------------------------------------------------------------------------------- maintenance

  /** Each returns undefined when done, else why not (a 400). */
  updateMaintenanceSchedule(schedule: MaintenanceSchedule): string | undefined { return this.run(step => maintenance.updateSchedule(step, schedule)) }
  startMaintenance(machines: MachineID[]): string | undefined { return this.run(step => maintenance.startMaintenance(step, machines)) }
  stopMaintenance(machines: MachineID[]): string | undefined { return this.run(step => maintenance.stopMaintenance(step, machines)) }
  answerInverseOffers(fw: Framework, ids: string[], answer: 'ACCEPT' | 'DECLINE', refuseSeconds: number | undefined) {
    this.run(step => maintenance.answerInverseOffers(step, fw, ids, answer, refuseSeconds))
  }

  /** A message from a registered agent's link (REGISTER and REREGISTER go to their own methods). */
  fromAgent(agent: RegisteredAgent, msg: Exclude<AgentMessage, { type: 'REGISTER' | 'REREGISTER' }>) {
    this.countAgentMessage(msg)
    this.run(step => {
      switch (msg.type) {
        case 'STATUS_UPDATE': return tasks.statusUpdate(step, agent, msg.update)
        case 'LATEST_STATE': return tasks.latestState(step, agent, msg)
        case 'EXECUTOR_MESSAGE': return tasks.executorMessage(step, agent, msg)
        case 'EXITED_EXECUTOR': return tasks.exitedExecutor(step, agent, msg)
        case 'PONG': return agents.pong(agent, msg.seq)
      }
    })
    if (msg.type === 'STATUS_UPDATE') this.notifyStatus(msg.update)
  }

  // ------------------------------------------------------------------------------------------- metrics
  // Mesos counts one `master/messages_*` per message a scheduler or agent sends; here every call from the edges is one
  // (src/master/metrics.ts lists who feeds which key).

  private count(message: string) { this.state.metrics.inc(`master/messages_${message}`) }

  private countAccept(fw: Framework, operations: OfferOperation[]) {
    const m = this.state.metrics
    const now = performance.now()
    for (const op of operations) {
      if (op.type) m.frameworkOperation(fw.id, op.type)
      if (op.type === 'LAUNCH') {
        // Upstream Master::accept: a LAUNCH without tasks declines the offers.
        const infos = op.launch?.task_infos ?? []
        this.count(infos.length ? 'launch_tasks' : 'decline_offers')
        for (const t of infos) m.launchStarted(fw.id, t.task_id.value, now)
      } else if (op.type === 'LAUNCH_GROUP') {
        this.count('launch_tasks')
        for (const t of op.launch_group?.task_group?.tasks ?? []) m.launchStarted(fw.id, t.task_id.value, now)
      }
    }
  }

  /** Upstream Master::acknowledgeOperationStatus' checks, in feedback.ts' order: which of the two counters. */
  private countOperationAck(fw: Framework, ack: Parameters<typeof feedback.acknowledgeOperationStatus>[2]) {
    this.count('operation_status_update_acknowledgement')
    const s = this.state
    const agent = ack.agent_id === undefined ? undefined : s.agents.get(ack.agent_id.value)
    const op = s.operations.get(fw.id, ack.operation_id.value)
    const valid = !!agent && agent.state !== 'recovered' && agent.state !== 'unreachable' && agent.connected &&
      !ack.resource_provider_id && !!op && op.statuses.some(x => x.uuid?.value === ack.uuid)
    s.metrics.inc(valid ? 'master/valid_operation_status_update_acknowledgements' : 'master/invalid_operation_status_update_acknowledgements')
  }

  private countStatusUpdate(update: StatusUpdate) {
    this.count('status_update')
    this.state.metrics.launchProgress(update.framework_id, update.status.task_id.value, update.status.state, performance.now())
  }

  private countAgentMessage(msg: Exclude<AgentMessage, { type: 'REGISTER' | 'REREGISTER' }>) {
    switch (msg.type) {
      case 'STATUS_UPDATE': return this.countStatusUpdate(msg.update)
      case 'EXECUTOR_MESSAGE': {
        this.count('executor_to_framework')
        // Upstream Master::executorMessage: invalid when the framework is unknown or not connected.
        const fw = this.state.frameworks.get(msg.framework_id)
        this.state.metrics.inc(fw?.connected ? 'master/valid_executor_to_framework_messages' : 'master/invalid_executor_to_framework_messages')
        return
      }
      case 'EXITED_EXECUTOR': return this.count('exited_executor')
    }
  }

  // ------------------------------------------------------------------------------------------- time and storage

  /** A timer started by a transition fired. */
  onTimer(event: TimerEvent) {
    if (event.kind === 'allocate') return this.allocate()
    this.run(step => {
      switch (event.kind) {
        case 'ping': return agents.pingAgents(step)
        case 'heartbeat': {
          const fw = step.s.frameworks.get(event.frameworkId)
          if (fw?.connected) step.out.toFramework(fw, { type: 'HEARTBEAT' })
          return
        }
        case 'failover': return frameworks.failoverExpired(step, event.frameworkId)
        case 'offerTimeout': return offers.rescindOffer(step, event.offerId)
        case 'operationStatusRetry': return feedback.retryOperationStatus(step, event.frameworkId, event.operationId)
        case 'agentDisconnectTimeout': return agents.disconnectTimeout(step, event.agentId)
        case 'agentReregisterTimeout': return agents.reregisterTimeout(step)
      }
    })
  }

  /** A batched registrar write asked for with `then` is durable (or failed). */
  onPersisted(event: PersistedEvent, ok: boolean) {
    this.run(step => agents.admitAgent(step, event.agentId, ok))
  }
}
