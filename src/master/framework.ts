// A framework as the master tracks it: its FrameworkInfo, its scheduler connection (if any), its tasks, offers
// and executors. Connection states follow Mesos: connected (stream open), disconnected (waiting for failover
// within failover_timeout), recovered (known from the registry or agents after a master restart).

import type { Codec } from '../core/http/negotiate.ts'
import { encodeBody } from '../core/v1/codec.ts'
import type { ExecutorInfo, FrameworkInfo, Task } from '../core/v1/messages.ts'
import { frameworkRoles, hasCapability } from '../core/v1/messages.ts'

/** Tasks per generation of remembered acknowledgements (see `recordAck`). */
const ACKED_GENERATION = 10_000

export type FrameworkConnection = 'connected' | 'disconnected' | 'recovered'

/** A scheduler's subscription stream (core/http/event-stream.ts's EventStream; a stand-in in the harness). */
export interface SchedulerStream {
  readonly isClosed: boolean
  send(body: string | Uint8Array): boolean
  close(): void
}

/** What SUBSCRIBE brings: the stream opened for the scheduler, its Mesos-Stream-Id and its codec. */
export interface SchedulerConnection {
  stream: SchedulerStream
  streamId: string
  codec: Codec
}

export class Framework {
  connection: FrameworkConnection
  stream?: SchedulerStream
  streamId?: string
  codec: Codec = 'json'
  /** Inactive frameworks get no offers (disconnected, or deactivated). */
  active: boolean
  registeredTime: number
  reregisteredTime?: number
  unregisteredTime?: number
  suppressedRoles = new Set<string>()
  /** Active tasks by task id. */
  readonly tasks = new Map<string, Task>()
  readonly unreachableTasks = new Map<string, Task>()
  completedTasks: Task[] = []
  readonly offers = new Set<string>()
  /** agent id → executor id → ExecutorInfo */
  readonly executors = new Map<string, Map<string, ExecutorInfo>>()
  /** Per-framework counters for /metrics/snapshot. */
  readonly counters = { calls: new Map<string, number>(), events: new Map<string, number>(), offersSent: 0, offersAccepted: 0, offersDeclined: 0, offersRescinded: 0 }

  /** `{ value: id }`, shared by every task of the framework instead of one copy each. */
  readonly wireId: { readonly value: string }

  constructor(readonly id: string, public info: FrameworkInfo, connection: FrameworkConnection, now: number) {
    this.wireId = { value: id }
    this.connection = connection
    this.active = connection === 'connected'
    this.registeredTime = now
  }

  get roles(): string[] { return frameworkRoles(this.info) }
  get partitionAware(): boolean { return hasCapability(this.info, 'PARTITION_AWARE') }
  get gpuResources(): boolean { return hasCapability(this.info, 'GPU_RESOURCES') }
  get refinement(): boolean { return hasCapability(this.info, 'RESERVATION_REFINEMENT') }
  get connected(): boolean { return this.connection === 'connected' }

  /** Sends a scheduler Event on the subscription stream; false if not connected. Only the runtime calls this. */
  send(event: { type: string; [k: string]: unknown }): boolean {
    return this.stream ? this.sendOn(this.stream, this.codec, event) : false
  }

  /** Sends on one particular stream (the one a failover replaces), encoded with that stream's codec. */
  sendOn(stream: SchedulerStream, codec: Codec, event: { type: string; [k: string]: unknown }): boolean {
    if (stream.isClosed) return false
    const c = this.counters.events
    c.set(event.type, (c.get(event.type) ?? 0) + 1)
    return stream.send(encodeBody('mesos.v1.scheduler.Event', codec, event))
  }

  executorsOn(agentId: string): Map<string, ExecutorInfo> {
    let m = this.executors.get(agentId)
    if (!m) { m = new Map(); this.executors.set(agentId, m) }
    return m
  }

  /**
   * Recently acknowledged update uuids per task, to drop agent retries of updates whose ack was lost. Two
   * generations of up to 10,000 tasks each: when the current one fills up it becomes the previous one and the
   * oldest is dropped whole. (Evicting the first key of one big Map on every insert looked the same but cost a scan
   * over the Map's deleted slots each time, and showed up in the placement benchmark's profile.)
   */
  private acked = new Map<string, string[]>()
  private ackedBefore = new Map<string, string[]>()
  recordAck(taskId: string, uuid: string) {
    let list = this.acked.get(taskId)
    if (!list) {
      list = this.ackedBefore.get(taskId) ?? []
      if (this.acked.size >= ACKED_GENERATION) { this.ackedBefore = this.acked; this.acked = new Map() }
      this.acked.set(taskId, list)
    }
    list.push(uuid)
    if (list.length > 8) list.shift()
  }
  wasAcked(taskId: string, uuid: string): boolean {
    return (this.acked.get(taskId) ?? this.ackedBefore.get(taskId))?.includes(uuid) ?? false
  }

  addCompleted(task: Task, max: number) {
    this.completedTasks.push(task)
    if (this.completedTasks.length > max) this.completedTasks.splice(0, this.completedTasks.length - max)
  }
}
