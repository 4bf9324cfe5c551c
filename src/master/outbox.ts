// What a master transition asks the world to do. Transitions (frameworks.ts, offers.ts, tasks.ts, agents.ts) change
// the master's state and describe their effects here as plain data; the runtime (runtime.ts) performs them in order
// once the transition returns, and the harness (harness.ts) records them instead. A transition therefore never
// touches a socket, a timer or the registrar, and a test can read exactly what it decided. See docs/master.md.

import type { MasterMessage } from '../core/agent-protocol.ts'
import type { Codec } from '../core/http/negotiate.ts'
import type { Framework, SchedulerStream } from './framework.ts'
import type { MaintenanceRecord } from './maintenance/schedule.ts'
import type { QuotaRecord } from './quota/config.ts'
import type { AgentRecord, FrameworkRecord } from './registrar.ts'
import type { SecretRecord } from './secret-store.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'

/** A scheduler Event (mesos.v1.scheduler.Event) as plain JSON. */
export interface SchedulerEvent { type: string; [field: string]: unknown }

/** Operator API events (mesos.v1.master.Event) the master publishes to SUBSCRIBE streams. */
export type OperatorEventType = 'TASK_ADDED' | 'TASK_UPDATED' | 'AGENT_ADDED' | 'AGENT_REMOVED' | 'FRAMEWORK_ADDED' | 'FRAMEWORK_UPDATED' | 'FRAMEWORK_REMOVED'

/** What a timer brings back to the master when it fires (Master.onTimer). */
export type TimerEvent =
  | { kind: 'allocate' }
  | { kind: 'ping' }
  | { kind: 'heartbeat'; frameworkId: string }
  | { kind: 'failover'; frameworkId: string }
  | { kind: 'offerTimeout'; offerId: string }
  | { kind: 'agentDisconnectTimeout'; agentId: string }
  | { kind: 'agentReregisterTimeout' }
  /** An unacknowledged operation status is sent again (src/master/operations/feedback.ts). */
  | { kind: 'operationStatusRetry'; frameworkId: string; operationId: string }

/** What the registrar brings back once a batched write is durable (Master.onPersisted). */
export type PersistedEvent = { kind: 'admitAgent'; agentId: string }

/** One write to the registrar (registrar.ts). */
export type RegistrarOp =
  | { op: 'putFramework'; record: FrameworkRecord }
  | { op: 'removeFramework'; id: string }
  | { op: 'putAgent'; record: AgentRecord }
  /** An agent removed by START_MAINTENANCE (it registers anew once its machine is up). */
  | { op: 'removeAgent'; id: string }
  /** The maintenance schedule and machine modes, replaced whole. */
  | { op: 'putMaintenance'; record: MaintenanceRecord }
  | { op: 'putWeights'; weights: Record<string, number> }
  | { op: 'putQuota'; record: QuotaRecord }
  | { op: 'removeQuota'; role: string }
  | { op: 'putSequence'; name: string; value: number }
  /** Sealed secrets, replicated with --zk only (the single master keeps its own store: src/master/secret-store.ts). */
  | { op: 'putSecret'; record: SecretRecord }
  | { op: 'removeSecret'; path: string }
  /**
   * A generic key-value area for the master's built-in frameworks (src/master/builtin-frameworks/store.ts): `value`
   * replaces the entry of `key` in `namespace`. Bounded: at most KV_MAX_VALUE_BYTES a value.
   */
  | { op: 'putKv'; namespace: string; key: string; value: string }
  | { op: 'removeKv'; namespace: string; key: string }

export type Effect =
  /** A scheduler event on the framework's current subscription stream (dropped when it has none). */
  | { type: 'toFramework'; framework: Framework; event: SchedulerEvent }
  /** Ends one particular subscription stream (a failed-over or removed framework), after an ERROR event if given. */
  | { type: 'closeStream'; framework: Framework; stream: SchedulerStream; codec: Codec; error?: string }
  /** A message on a registered agent's link (the link it had when the message was decided). */
  | { type: 'toAgent'; agentId: string; link: AgentLink; message: MasterMessage }
  /** A message on one link, registered or not (replies to REGISTER/REREGISTER). */
  | { type: 'toLink'; link: AgentLink; message: MasterMessage }
  | { type: 'closeLink'; link: AgentLink; reason: string }
  /** Writes to the registrar; with `then`, batched with the turn's other writes and reported once durable. */
  | { type: 'persist'; ops: RegistrarOp[]; then?: PersistedEvent }
  | { type: 'publish'; event: OperatorEventType; payload: unknown }
  /** Starts (or restarts) the timer called `key`; `repeat` makes it fire every `afterMs`. */
  | { type: 'startTimer'; key: string; afterMs: number; event: TimerEvent; repeat?: boolean }
  | { type: 'cancelTimer'; key: string }
  /** Run the allocator soon (coalesced: many requests in one turn make one allocation). */
  | { type: 'allocate' }

export class Outbox {
  private effects: Effect[] = []

  get size(): number { return this.effects.length }

  /** Everything queued so far, emptying the outbox. */
  take(): Effect[] {
    const out = this.effects
    this.effects = []
    return out
  }

  push(effect: Effect): void { this.effects.push(effect) }

  toFramework(framework: Framework, event: SchedulerEvent): void { this.effects.push({ type: 'toFramework', framework, event }) }
  /** Queues a message for a registered agent; false (nothing queued) when it is not connected. */
  toAgent(agent: RegisteredAgent, message: MasterMessage): boolean {
    if (!agent.link || !agent.connected) return false
    this.effects.push({ type: 'toAgent', agentId: agent.id, link: agent.link, message })
    return true
  }
  toLink(link: AgentLink, message: MasterMessage): void { this.effects.push({ type: 'toLink', link, message }) }
  closeLink(link: AgentLink, reason: string): void { this.effects.push({ type: 'closeLink', link, reason }) }
  persist(...ops: RegistrarOp[]): void { this.effects.push({ type: 'persist', ops }) }
  /** Ends the framework's current stream, with an ERROR event first when `error` is given. */
  closeStream(framework: Framework, error?: string): void {
    if (framework.stream && !framework.stream.isClosed) this.effects.push({ type: 'closeStream', framework, stream: framework.stream, codec: framework.codec, error })
  }
  publish(event: OperatorEventType, payload: unknown): void { this.effects.push({ type: 'publish', event, payload }) }
  startTimer(key: string, afterMs: number, event: TimerEvent, repeat?: boolean): void {
    this.effects.push(repeat ? { type: 'startTimer', key, afterMs, event, repeat } : { type: 'startTimer', key, afterMs, event })
  }
  cancelTimer(key: string): void { this.effects.push({ type: 'cancelTimer', key }) }
  allocate(): void { this.effects.push({ type: 'allocate' }) }
}

/** Timer names, one per thing that can time out. */
export const timerKey = {
  heartbeat: (frameworkId: string) => `heartbeat:${frameworkId}`,
  failover: (frameworkId: string) => `failover:${frameworkId}`,
  offer: (offerId: string) => `offer:${offerId}`,
  agentDisconnect: (agentId: string) => `agent-disconnect:${agentId}`,
  agentReregister: 'agent-reregister',
  operationStatusRetry: (frameworkId: string, operationId: string) => `operation-status:${frameworkId}:${operationId}`,
  allocation: 'allocation',
  ping: 'ping',
} as const
