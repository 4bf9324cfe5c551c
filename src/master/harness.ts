// A master with no sockets, no registrar file and no real time, for unit tests (like the allocator's harness and
// Nomad's scheduler harness): the clock moves only when told, timers fire when the clock passes them, registrar
// writes are kept in memory, and every effect the master decides is recorded so a test can read what a framework
// or an agent was told. Frameworks and agents are addressed by the ids the master gave them.

import type { AgentMessage, MasterMessage, StatusUpdate } from '../core/agent-protocol.ts'
import type { FrameworkInfo, Offer, OfferOperation, TaskInfo, TaskStatus } from '../core/v1/messages.ts'
import { resolveFlags } from '../core/flags.ts'
import { parseResourcesFlag } from '../core/resources.ts'
import { MASTER_FLAGS } from './flags.ts'
import type { Framework, SchedulerStream } from './framework.ts'
import { Master, type EffectRunner } from './master.ts'
import { masterInfo } from './master-info.ts'
import type { Effect, RegistrarOp, SchedulerEvent, TimerEvent } from './outbox.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'
import type { RegistrarSnapshot } from './registrar.ts'

/** A scheduler stream that only remembers whether it was closed (events are read from the effects). */
export class FakeStream implements SchedulerStream {
  isClosed = false
  send(): boolean { return !this.isClosed }
  close(): void { this.isClosed = true }
}

/** An agent link that only remembers whether it was closed (messages are read from the effects). */
export class FakeLink implements AgentLink {
  closed?: string
  send(): void {}
  close(reason?: string): void { this.closed = reason ?? '' }
}

interface PendingTimer { at: number; event: TimerEvent; every?: number; seq: number }

export interface HarnessOptions {
  /** Master flags as on the command line (`{ offer_timeout: '10secs' }`). */
  flags?: Record<string, unknown>
  /** What the registrar holds at start (a master restart). */
  recovered?: Partial<RegistrarSnapshot>
  /** Start time, ms since the epoch. */
  now?: number
}

export class MasterHarness implements EffectRunner {
  now: number
  readonly master: Master
  /** Every effect performed, in order. */
  readonly effects: Effect[] = []
  /** Registrar writes, in order (what would be on disk). */
  readonly persisted: RegistrarOp[] = []
  private readonly timers = new Map<string, PendingTimer>()
  private timerSeq = 0
  /** Whether a transition asked for an allocation since the last `allocate()`. */
  allocationRequested = false
  private readonly admissions: (() => void)[] = []

  constructor(opts: HarnessOptions = {}) {
    this.now = opts.now ?? 1_700_000_000_000
    const flags = resolveFlags(MASTER_FLAGS, opts.flags ?? {})
    this.master = new Master({
      info: masterInfo('master-1', 'master.example', '10.0.0.1', 5050),
      flags,
      recovered: { agents: [], frameworks: [], weights: {}, sequences: {}, ...opts.recovered },
      runner: this,
      clock: () => this.now,
    })
  }

  get state() { return this.master.state }

  perform(effects: Effect[], master: Master): void {
    for (const e of effects) {
      this.effects.push(e)
      switch (e.type) {
        case 'persist':
          this.persisted.push(...e.ops)
          if (e.then) { const then = e.then; this.admissions.push(() => master.onPersisted(then, true)) }
          break
        case 'startTimer':
          this.timers.set(e.key, { at: this.now + e.afterMs, event: e.event, every: e.repeat ? e.afterMs : undefined, seq: this.timerSeq++ })
          break
        case 'cancelTimer': this.timers.delete(e.key); break
        case 'allocate': this.allocationRequested = true; break
        case 'closeStream': e.stream.close(); break
        case 'closeLink': e.link.close(e.reason); break
      }
    }
  }

  // ------------------------------------------------------------------------------------------- time

  /** Moves the clock forward, firing every timer that comes due, in time order. */
  advance(ms: number) {
    const end = this.now + ms
    for (;;) {
      let next: [string, PendingTimer] | undefined
      for (const entry of this.timers) {
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))) next = entry
      }
      if (!next) break
      const [key, t] = next
      this.now = t.at
      if (t.every) this.timers.set(key, { ...t, at: t.at + t.every, seq: this.timerSeq++ })
      else this.timers.delete(key)
      this.master.onTimer(t.event)
    }
    this.now = end
  }

  /** Whether a timer called `key` is pending. */
  hasTimer(key: string): boolean { return this.timers.has(key) }

  /** Runs the allocator if anything asked for it (the runtime does this on the next turn of the event loop). */
  allocate() {
    this.allocationRequested = false
    this.master.allocate()
  }

  /** Completes the registrar writes that wait for durability (agent admissions). */
  commit() {
    for (const admit of this.admissions.splice(0)) admit()
  }

  // ------------------------------------------------------------------------------------------- frameworks

  /** SUBSCRIBE; returns the framework and the stream it was given. */
  subscribe(info: Partial<FrameworkInfo> = {}, suppressedRoles: string[] = []): { framework: Framework; stream: FakeStream } {
    const stream = new FakeStream()
    const result = this.master.subscribe({ user: 'root', name: 'test', ...info }, suppressedRoles, { stream, streamId: `stream-${this.timerSeq++}`, codec: 'json' })
    if ('error' in result) throw new Error(`SUBSCRIBE failed: ${result.error}`)
    return { framework: result.framework, stream }
  }

  /** The scheduler's connection breaks. */
  disconnect(fw: Framework) {
    if (fw.stream) {
      const stream = fw.stream
      stream.close()
      this.master.schedulerDisconnected(fw, stream)
    }
  }

  /** Scheduler events sent to a framework (optionally of one type), in order. */
  eventsTo(fw: Framework | string, type?: string): SchedulerEvent[] {
    const id = typeof fw === 'string' ? fw : fw.id
    const out: SchedulerEvent[] = []
    for (const e of this.effects) if (e.type === 'toFramework' && e.framework.id === id && (!type || e.event.type === type)) out.push(e.event)
    return out
  }

  /** Offers sent to a framework that are still outstanding. */
  offersFor(fw: Framework): Offer[] {
    return this.eventsTo(fw, 'OFFERS').flatMap(e => (e.offers as { offers: Offer[] }).offers).filter(o => this.state.offers.has(o.id.value))
  }

  /** Task statuses sent to a framework (optionally for one task), in order. */
  updatesTo(fw: Framework, taskId?: string): TaskStatus[] {
    return this.eventsTo(fw, 'UPDATE').map(e => (e.update as { status: TaskStatus }).status).filter(s => !taskId || s.task_id.value === taskId)
  }

  /** Accepts `offer` launching `tasks` (command tasks of `cpus:0.1;mem:32` unless they say otherwise). */
  launch(fw: Framework, offer: Offer, tasks: Partial<TaskInfo>[], refuseSeconds?: number) {
    const infos = tasks.map((t, i): TaskInfo => ({
      name: `task-${i}`, task_id: { value: `task-${i}` }, agent_id: offer.agent_id, command: { value: 'true' }, resources: parseResourcesFlag('cpus:0.1;mem:32'), ...t,
    }))
    const operations: OfferOperation[] = [{ type: 'LAUNCH', launch: { task_infos: infos } }]
    this.master.accept(fw, [offer.id.value], operations, refuseSeconds)
  }

  // ------------------------------------------------------------------------------------------- agents

  /** REGISTER, committed and admitted; returns the agent and its link. */
  registerAgent(resources = 'cpus:4;mem:4096', hostname = 'agent.example'): { agent: RegisteredAgent; link: FakeLink } {
    const link = new FakeLink()
    const msg: Extract<AgentMessage, { type: 'REGISTER' }> = {
      type: 'REGISTER', agent_info: { hostname, resources: parseResourcesFlag(resources) }, version: 'test', capabilities: [], protocol: 1, pid: `slave(1)@10.0.0.2:5051`,
    }
    const agent = this.master.registerAgent(msg, link)
    this.commit()
    return { agent, link }
  }

  /** REREGISTER on a new link with what the agent reports. */
  reregisterAgent(agent: RegisteredAgent, report: Partial<Extract<AgentMessage, { type: 'REREGISTER' }>> = {}): FakeLink {
    const link = new FakeLink()
    this.master.reregisterAgent({
      type: 'REREGISTER', agent_info: agent.info, version: 'test', capabilities: [], protocol: 1, pid: agent.pid, frameworks: [], executors: [], tasks: [], ...report,
    }, link)
    return link
  }

  /** Messages sent to an agent (optionally of one type), on any of its links, in order. */
  messagesTo(agent: RegisteredAgent | string, type?: MasterMessage['type']): MasterMessage[] {
    const id = typeof agent === 'string' ? agent : agent.id
    const out: MasterMessage[] = []
    for (const e of this.effects) {
      if (e.type === 'toAgent' && e.agentId === id && (!type || e.message.type === type)) out.push(e.message)
    }
    return out
  }

  /** Messages sent on one particular link (replies to REGISTER/REREGISTER included). */
  messagesOn(link: AgentLink, type?: MasterMessage['type']): MasterMessage[] {
    const out: MasterMessage[] = []
    for (const e of this.effects) {
      if ((e.type === 'toAgent' || e.type === 'toLink') && e.link === link && (!type || e.message.type === type)) out.push(e.message)
    }
    return out
  }

  /** A status update from the agent's status update manager. */
  status(agent: RegisteredAgent, fw: Framework, taskId: string, state: TaskStatus['state'], uuid?: string, latest?: TaskStatus['state']) {
    const update: StatusUpdate = { framework_id: fw.id, status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', ...(uuid ? { uuid } : {}) } }
    if (latest) update.latest_state = latest
    this.master.fromAgent(agent, { type: 'STATUS_UPDATE', update })
  }
}

