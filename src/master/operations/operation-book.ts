// Operations a framework asked feedback for (an `id` on RESERVE/UNRESERVE/CREATE/DESTROY/GROW/SHRINK), kept until
// the framework acknowledges their terminal status, so RECONCILE_OPERATIONS can answer with the latest status and
// GET_OPERATIONS can list them (upstream Master::addOperation / removeOperation, Framework::operations).

import type { Resource } from '../../core/resources.ts'
import type { SpeculativeOperation } from './conversions.ts'

export type OperationState =
  | 'OPERATION_UNSUPPORTED' | 'OPERATION_PENDING' | 'OPERATION_FINISHED' | 'OPERATION_FAILED' | 'OPERATION_ERROR'
  | 'OPERATION_DROPPED' | 'OPERATION_UNREACHABLE' | 'OPERATION_GONE_BY_OPERATOR' | 'OPERATION_RECOVERING'
  | 'OPERATION_UNKNOWN'

/** mesos.v1.OperationStatus as JSON (`uuid.value` is base64 of 16 bytes). */
export interface OperationStatus {
  operation_id?: { value: string }
  state: OperationState
  message?: string
  converted_resources?: Resource[]
  uuid?: { value: string }
  agent_id?: { value: string }
}

/** mesos.v1.Operation as JSON. */
export interface TrackedOperation {
  framework_id?: { value: string }
  agent_id: { value: string }
  info: SpeculativeOperation
  latest_status: OperationStatus
  statuses: OperationStatus[]
  uuid: { value: string }
}

const TERMINAL = new Set<OperationState>(['OPERATION_FINISHED', 'OPERATION_FAILED', 'OPERATION_ERROR', 'OPERATION_DROPPED', 'OPERATION_GONE_BY_OPERATOR'])
export const isTerminalOperationState = (s: OperationState) => TERMINAL.has(s)

/**
 * A framework that never acknowledges would grow the book without end: past this many operations per framework the
 * oldest is forgotten (its reconciliation then answers OPERATION_UNKNOWN, as for any operation the master lost).
 */
export const MAX_OPERATIONS_PER_FRAMEWORK = 10_000

export class OperationBook {
  /** framework id → operation id → operation, in insertion order. */
  private readonly byFramework = new Map<string, Map<string, TrackedOperation>>()
  /** The current retry interval of each unacknowledged status (feedback.ts); kept off the wire-shaped object. */
  private readonly retryMs = new WeakMap<TrackedOperation, number>()

  retryInterval(op: TrackedOperation): number | undefined { return this.retryMs.get(op) }
  setRetryInterval(op: TrackedOperation, ms: number): void { this.retryMs.set(op, ms) }

  /** Adds an operation; returns the one forgotten to stay within the bound, if any. */
  add(frameworkId: string, op: TrackedOperation): TrackedOperation | undefined {
    let ops = this.byFramework.get(frameworkId)
    if (!ops) this.byFramework.set(frameworkId, ops = new Map())
    const id = op.info.id?.value
    if (id === undefined) return undefined
    ops.delete(id)
    ops.set(id, op)
    if (ops.size <= MAX_OPERATIONS_PER_FRAMEWORK) return undefined
    const [oldestId, oldest] = ops.entries().next().value as [string, TrackedOperation]
    ops.delete(oldestId)
    return oldest
  }

  get(frameworkId: string, operationId: string): TrackedOperation | undefined {
    return this.byFramework.get(frameworkId)?.get(operationId)
  }

  remove(frameworkId: string, operationId: string): void {
    const ops = this.byFramework.get(frameworkId)
    if (!ops) return
    ops.delete(operationId)
    if (!ops.size) this.byFramework.delete(frameworkId)
  }

  ofFramework(frameworkId: string): TrackedOperation[] {
    return [...(this.byFramework.get(frameworkId)?.values() ?? [])]
  }

  all(): TrackedOperation[] {
    const out: TrackedOperation[] = []
    for (const ops of this.byFramework.values()) out.push(...ops.values())
    return out
  }
}
