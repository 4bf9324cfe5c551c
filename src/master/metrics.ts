// What the master counts as it happens, for /metrics/snapshot, GET_METRICS and GET /metrics. Gauges derived from
// state (agents, tasks per state, resources, operations) are computed on read in metrics-snapshot.ts; this holds
// counters, timers and histograms, with Mesos' keys (upstream src/master/metrics.cpp). Who feeds what:
//   messages_*                          master.ts (one per call the edges make; Mesos counts one per message)
//   valid/invalid_*_messages            master.ts (the same conditions the transitions check)
//   slave_removals/*, slave_unreachable_*, recovery_slave_removals   agents.ts
//   task_<state>/source_<s>/reason_<r>, frameworks/…/tasks/terminal   runtime.ts (the TASK_UPDATED a transition
//                                       publishes when a task ends, and the master's refusals of unknown tasks)
//   allocation_run_ms, allocation_runs  master.ts (around the allocator run); allocation_run_latency_ms runtime.ts
//   task launch latency (Prometheus only)  master.ts (ACCEPT with LAUNCH → the task's first TASK_RUNNING)
// Everything here is an increment or a ring-buffer write: cheap enough for the transition hot path.

import { Histogram } from '../core/metrics/histogram.ts'
import { MetricsRegistry, processMetrics } from '../core/metrics/registry.ts'
import type { Timer } from '../core/metrics/timer.ts'
import type { TaskState } from '../core/v1/messages.ts'

/** Counters Mesos declares at start, so they read 0 until the first event (upstream Metrics::Metrics). */
const MASTER_COUNTERS = [
  'master/slave_registrations', 'master/slave_reregistrations', 'master/slave_removals',
  'master/slave_removals/reason_unhealthy', 'master/recovery_slave_removals',
  'master/slave_unreachable_scheduled', 'master/slave_unreachable_canceled', 'master/slave_unreachable_completed',
  'master/frameworks_registered', 'master/tasks_error',
  'master/valid_status_updates', 'master/invalid_status_updates',
  'master/valid_status_update_acknowledgements', 'master/invalid_status_update_acknowledgements',
  'master/valid_operation_status_update_acknowledgements', 'master/invalid_operation_status_update_acknowledgements',
  'master/valid_framework_to_executor_messages', 'master/invalid_framework_to_executor_messages',
  'master/valid_executor_to_framework_messages', 'master/invalid_executor_to_framework_messages',
  'master/dropped_messages',
  'master/messages_decline_offers', 'master/messages_executor_to_framework', 'master/messages_exited_executor',
  'master/messages_framework_to_executor', 'master/messages_kill_task', 'master/messages_launch_tasks',
  'master/messages_operation_status_update_acknowledgement', 'master/messages_reconcile_operations',
  'master/messages_reconcile_tasks', 'master/messages_register_framework', 'master/messages_register_slave',
  'master/messages_reregister_framework', 'master/messages_reregister_slave', 'master/messages_resource_request',
  'master/messages_revive_offers', 'master/messages_suppress_offers', 'master/messages_status_update',
  'master/messages_status_update_acknowledgement', 'master/messages_unregister_framework',
  // The three task-end counters monitoring.md documents; others appear when they first happen, as upstream.
  'master/task_lost/source_master/reason_invalid_offers', 'master/task_lost/source_master/reason_slave_removed',
  'master/task_lost/source_slave/reason_executor_terminated',
] as const

/** Launches whose first TASK_RUNNING is awaited; past this many the oldest is forgotten (its latency is lost). */
const MAX_PENDING_LAUNCHES = 10_000

/** mesos.v1 names the agent "AGENT"; the metric keys keep Mesos' internal (v0) enum names, which say "SLAVE". */
export function v0EnumName(name: string): string {
  return name.replace(/AGENT/g, 'SLAVE')
}

const lowerEnum = (s: string) => v0EnumName(s).toLowerCase()
const MAX_ENDED_NAMES = 1024

export class MasterMetrics {
  readonly registry = new MetricsRegistry()
  /** Current number of tasks per state (active + completed-in-memory transitions are counted once). */
  readonly taskStates = new Map<string, number>()
  readonly allocationRun: Timer
  readonly allocationLatency: Timer
  readonly allocationRunSeconds: Histogram
  readonly taskLaunchLatency: Histogram
  /** framework id → operation type (lowercase) → operations it asked for in ACCEPT. */
  readonly frameworkOperations = new Map<string, Map<string, number>>()
  /** framework id → terminal state (lowercase, `task_finished`) → tasks of it that ended so. */
  readonly frameworkTerminal = new Map<string, Map<string, number>>()
  /** The daemon's live queue sizes (server.ts sets it; the harness has none), for every reader of the snapshot. */
  liveQueues?: () => { httpRequests: number; dispatches: number; allocatorDispatches: number }
  /** `<framework>/<task>` → when its ACCEPT launched it (performance.now()). */
  private readonly pendingLaunches = new Map<string, number>()
  private readonly allocationRuns

  constructor() {
    for (const name of MASTER_COUNTERS) this.registry.counter(name)
    this.allocationRuns = this.registry.counter('allocator/mesos/allocation_runs', 'Number of times the allocation algorithm has run')
    this.allocationRun = this.registry.timer('allocator/mesos/allocation_run_ms', 'Time spent in the allocation algorithm (ms)')
    this.allocationLatency = this.registry.timer('allocator/mesos/allocation_run_latency_ms', 'Time from an allocation being due to it running (ms)')
    this.allocationRunSeconds = this.registry.histogram('allocator_mesos_allocation_run_seconds', 'Time spent in the allocation algorithm')
    this.taskLaunchLatency = this.registry.histogram('master_task_launch_latency_seconds', 'Time from the ACCEPT that launched a task to its first TASK_RUNNING')
  }

  inc(name: string, by = 1) { this.registry.counter(name).inc(by) }

  /** The counters' values now (a copy), by key. */
  get counters(): ReadonlyMap<string, number> { return this.registry.counterValues() }

  taskState(from: TaskState | undefined, to: TaskState) {
    if (from) this.taskStates.set(from, Math.max(0, (this.taskStates.get(from) ?? 0) - 1))
    this.taskStates.set(to, (this.taskStates.get(to) ?? 0) + 1)
  }

  observeAllocation(ms: number) {
    this.allocationRuns.inc()
    this.allocationRun.record(ms)
    this.allocationRunSeconds.observe(ms / 1000)
  }

  /** A task reached a terminal state: upstream Metrics::incrementTasksStates and the framework's tasks/terminal. */
  taskEnded(frameworkId: string | undefined, state: string, source: string | undefined, reason: string | undefined) {
    const src = source ?? 'SOURCE_MASTER', why = reason ?? 'REASON_COMMAND_EXECUTOR_FAILED'
    // Every finished task lands here with one of a few dozen combinations: their counter names are kept rather than
    // built again (three regex replacements and a concatenation a task, seen in the placement profile).
    let bySource = this.endedNames.get(state)
    let names = bySource?.get(src)?.get(why)
    if (names === undefined) {
      const lowerState = lowerEnum(state)
      names = [`master/${lowerState}/${lowerEnum(src)}/${lowerEnum(why)}`, lowerState]
      if (this.endedNamesCount < MAX_ENDED_NAMES) {
        if (!bySource) this.endedNames.set(state, bySource = new Map())
        let byReason = bySource.get(src)
        if (!byReason) bySource.set(src, byReason = new Map())
        byReason.set(why, names)
        this.endedNamesCount++
      }
    }
    this.inc(names[0])
    if (frameworkId !== undefined) bump(this.frameworkTerminal, frameworkId, names[1])
  }
  /** state → source → reason → the counter name taskEnded increments and the state's lowercase name (bounded: the
   * values come from agents). */
  private readonly endedNames = new Map<string, Map<string, Map<string, readonly [string, string]>>>()
  private endedNamesCount = 0

  /** An ACCEPT's operations, by type (upstream FrameworkMetrics::incrementOperation). */
  frameworkOperation(frameworkId: string, type: string) {
    bump(this.frameworkOperations, frameworkId, type.toLowerCase())
  }

  launchStarted(frameworkId: string, taskId: string, at: number) {
    const key = `${frameworkId}/${taskId}`
    this.pendingLaunches.delete(key)
    this.pendingLaunches.set(key, at)
    if (this.pendingLaunches.size > MAX_PENDING_LAUNCHES) this.pendingLaunches.delete(this.pendingLaunches.keys().next().value!)
  }

  /** A status for a launched task: its first TASK_RUNNING gives the latency; any terminal state ends the wait. */
  launchProgress(frameworkId: string, taskId: string, state: string, at: number) {
    const key = `${frameworkId}/${taskId}`
    const started = this.pendingLaunches.get(key)
    if (started === undefined) return
    if (state === 'TASK_RUNNING') this.taskLaunchLatency.observe((at - started) / 1000)
    if (state !== 'TASK_STAGING' && state !== 'TASK_STARTING') this.pendingLaunches.delete(key)
  }

  forgetFramework(frameworkId: string) {
    this.frameworkOperations.delete(frameworkId)
    this.frameworkTerminal.delete(frameworkId)
  }
}

function bump(m: Map<string, Map<string, number>>, id: string, key: string) {
  let inner = m.get(id)
  if (!inner) m.set(id, inner = new Map())
  inner.set(key, (inner.get(key) ?? 0) + 1)
}

/**
 * The registrar's keys (upstream src/master/registrar.cpp), on the process registry: a registrar is built once per
 * leading master (registrar.ts, ha/zk-registrar.ts). `state_fetch_ms` is the time the recovery read took,
 * `state_store_ms` a timer over durable writes (one SQLite transaction, or one fenced ZooKeeper write of a batch).
 */
export function registrarMetrics(): { store: Timer; fetched(ms: number): void } {
  let fetchMs = 0
  processMetrics.gauge('registrar/state_fetch_ms', () => fetchMs, 'Registry read latency (ms)')
  return {
    store: processMetrics.timer('registrar/state_store_ms', 'Registry write latency (ms)'),
    fetched(ms: number) { fetchMs = ms },
  }
}
