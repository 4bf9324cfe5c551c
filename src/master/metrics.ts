// Counters and gauges behind /metrics/snapshot and GET_METRICS. Gauges derived from state (tasks per state,
// resources) are computed on read in metrics-snapshot.ts; this holds what must be counted as it happens.

import type { TaskState } from '../core/v1/messages.ts'

export class MasterMetrics {
  readonly counters = new Map<string, number>()
  /** Current number of tasks per state (active + completed-in-memory transitions are counted once). */
  readonly taskStates = new Map<string, number>()
  private allocationRuns: number[] = []
  allocationCount = 0

  inc(name: string, by = 1) { this.counters.set(name, (this.counters.get(name) ?? 0) + by) }

  taskState(from: TaskState | undefined, to: TaskState) {
    if (from) this.taskStates.set(from, Math.max(0, (this.taskStates.get(from) ?? 0) - 1))
    this.taskStates.set(to, (this.taskStates.get(to) ?? 0) + 1)
  }

  observeAllocation(ms: number) {
    this.allocationCount++
    this.allocationRuns.push(ms)
    if (this.allocationRuns.length > 1000) this.allocationRuns.splice(0, 500)
  }

  allocationStats(): Record<string, number> {
    const xs = [...this.allocationRuns].sort((a, b) => a - b)
    const q = (p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : 0)
    return {
      'allocator/mesos/allocation_runs': this.allocationCount,
      'allocator/mesos/allocation_run_ms': xs.length ? xs[xs.length - 1]! : 0,
      'allocator/mesos/allocation_run_ms/count': xs.length,
      'allocator/mesos/allocation_run_ms/min': xs[0] ?? 0,
      'allocator/mesos/allocation_run_ms/max': xs[xs.length - 1] ?? 0,
      'allocator/mesos/allocation_run_ms/p50': q(0.5),
      'allocator/mesos/allocation_run_ms/p90': q(0.9),
      'allocator/mesos/allocation_run_ms/p99': q(0.99),
    }
  }
}
