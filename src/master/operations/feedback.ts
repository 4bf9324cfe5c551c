// Offer operation feedback: UPDATE_OPERATION_STATUS events, ACKNOWLEDGE_OPERATION_STATUS and RECONCILE_OPERATIONS
// (upstream Master::drop for operations, Master::acknowledgeOperationStatus, Master::reconcileOperations).
//
// meso's agents have no resource providers, and the master itself applies every operation on an agent's default
// resources (it is durable once the registrar has it; the agent is then sent CHECKPOINT_RESOURCES). So the master
// is what upstream's agent with AGENT_OPERATION_FEEDBACK is: it answers an operation with an `id` with
// OPERATION_FINISHED carrying a status `uuid`, keeps the operation until the framework acknowledges that status,
// and answers reconciliation from what it keeps. Invalid operations get OPERATION_ERROR without a uuid (nothing to
// acknowledge), as upstream's drop().

import { newUpdateUuid } from '../../core/ids.ts'
import { logger } from '../../core/log.ts'
import type { Framework } from '../framework.ts'
import { timerKey } from '../outbox.ts'
import type { Step } from '../state.ts'
import type { SpeculativeOperation } from './conversions.ts'
import { isTerminalOperationState, type OperationState, type OperationStatus, type TrackedOperation } from './operation-book.ts'
import type { Resource } from '../../core/resources.ts'

const log = logger('master')

function sendStatus(step: Step, fw: Framework, status: OperationStatus): void {
  step.out.toFramework(fw, { type: 'UPDATE_OPERATION_STATUS', update_operation_status: { status } })
}

/**
 * An operation refused by validation (upstream Master::drop): logged, and OPERATION_ERROR to a framework that asked
 * for feedback. No agent id: upstream cannot always know it for a dropped operation and leaves it out.
 */
export function dropOperation(step: Step, fw: Framework, op: SpeculativeOperation, type: string, message: string): void {
  log.warn(`Dropping ${type} operation from framework ${fw.id} (${fw.info.name}): ${message}`)
  if (op.id) sendStatus(step, fw, { operation_id: op.id, state: 'OPERATION_ERROR', message })
}

/** An applied operation with an `id`: tracked until acknowledged, and OPERATION_FINISHED to its framework. */
export function operationFinished(step: Step, fw: Framework, agentId: string, op: SpeculativeOperation, converted: Resource[]): void {
  if (!op.id) return
  const status: OperationStatus = {
    operation_id: op.id,
    state: 'OPERATION_FINISHED',
    converted_resources: converted,
    uuid: { value: newUpdateUuid() },
    agent_id: { value: agentId },
  }
  const tracked: TrackedOperation = {
    framework_id: { value: fw.id },
    agent_id: { value: agentId },
    info: op,
    latest_status: status,
    statuses: [status],
    uuid: { value: newUpdateUuid() },
  }
  const forgotten = step.s.operations.add(fw.id, tracked)
  if (forgotten) {
    log.warn(`Framework ${fw.id} has too many unacknowledged operations; forgetting operation '${forgotten.info.id?.value}'`)
    step.out.cancelTimer(timerKey.operationStatusRetry(fw.id, forgotten.info.id?.value ?? ''))
  }
  sendStatus(step, fw, status)
  scheduleRetry(step, fw.id, op.id.value, RETRY_MIN_MS)
}

/**
 * Until acknowledged, a status is sent again with its uuid, 10 s after the last time and then twice as long each time
 * up to 10 min: what upstream's operation status update manager does on the agent.
 */
export const RETRY_MIN_MS = 10_000
export const RETRY_MAX_MS = 600_000

function scheduleRetry(step: Step, frameworkId: string, operationId: string, afterMs: number): void {
  const op = step.s.operations.get(frameworkId, operationId)
  if (op) step.s.operations.setRetryInterval(op, afterMs)
  step.out.startTimer(timerKey.operationStatusRetry(frameworkId, operationId), afterMs, { kind: 'operationStatusRetry', frameworkId, operationId })
}

export function retryOperationStatus(step: Step, frameworkId: string, operationId: string): void {
  const { s } = step
  const op = s.operations.get(frameworkId, operationId)
  if (!op) return
  const fw = s.frameworks.get(frameworkId)
  if (!fw) {
    // The framework is gone (torn down or failed over for good): nobody is left to acknowledge.
    s.operations.remove(frameworkId, operationId)
    return
  }
  const status = op.statuses[op.statuses.length - 1]
  if (fw.connected && status) sendStatus(step, fw, status)
  scheduleRetry(step, frameworkId, operationId, Math.min(RETRY_MAX_MS, (step.s.operations.retryInterval(op) ?? RETRY_MIN_MS) * 2))
}

/** ACKNOWLEDGE_OPERATION_STATUS: the acknowledged terminal status ends the operation's tracking. */
export function acknowledgeOperationStatus(step: Step, fw: Framework, ack: { agent_id?: { value: string }; resource_provider_id?: { value: string }; uuid: string; operation_id: { value: string } }): void {
  const { s } = step
  const agentId = ack.agent_id?.value
  const what = `status ${ack.uuid} of operation '${ack.operation_id.value}' of framework ${fw.id}`
  const agent = agentId === undefined ? undefined : s.agents.get(agentId)
  if (!agent || agent.state === 'recovered' || agent.state === 'unreachable') {
    log.warn(`Cannot process the acknowledgement for ${what} on agent ${agentId}: agent is not registered`)
    return
  }
  if (!agent.connected) {
    log.warn(`Cannot process the acknowledgement for ${what} on agent ${agentId}: agent is disconnected`)
    return
  }
  if (ack.resource_provider_id) {
    log.warn(`Cannot process the acknowledgement for ${what} on agent ${agentId}: the agent does not have the RESOURCE_PROVIDER capability`)
    return
  }
  const op = s.operations.get(fw.id, ack.operation_id.value)
  if (!op) {
    log.warn(`Cannot process the acknowledgement for ${what}: the operation is unknown`)
    return
  }
  const status = op.statuses.find(x => x.uuid?.value === ack.uuid)
  if (!status) {
    log.warn(`Ignoring operation status acknowledgement for ${what}: the operation status is unknown`)
    return
  }
  log.info(`Processing ACKNOWLEDGE_OPERATION_STATUS call for ${what} on agent ${agentId}`)
  if (isTerminalOperationState(status.state)) {
    s.operations.remove(fw.id, ack.operation_id.value)
    step.out.cancelTimer(timerKey.operationStatusRetry(fw.id, ack.operation_id.value))
  }
}

/** Upstream scheduler::call::validate for ACKNOWLEDGE_OPERATION_STATUS (after the field's presence). */
export function operationAckError(ack: { uuid?: string; agent_id?: unknown }): string | undefined {
  if (typeof ack.uuid !== 'string' || Buffer.from(ack.uuid, 'base64').length !== 16) return 'Invalid UUID in \'acknowledge_operation_status.uuid\': expected 16 bytes'
  if (!ack.agent_id) return "Expecting 'agent_id' to be present"
  return undefined
}

type ReconcileEntry = { operation_id: { value: string }; agent_id?: { value: string }; resource_provider_id?: { value: string } }

/** The answer to one operation in RECONCILE_OPERATIONS (upstream cases 1–7). */
export function reconcileStatus(step: Step, fw: Framework, entry: ReconcileEntry): OperationStatus {
  const { s } = step
  const known = s.operations.get(fw.id, entry.operation_id.value)
  if (known) {
    // Not sent reliably: no uuid, nothing to acknowledge.
    const { uuid: _uuid, ...status } = known.statuses[known.statuses.length - 1] ?? known.latest_status
    return status
  }
  const agentId = entry.agent_id?.value
  const status = (state: OperationState, message: string): OperationStatus => {
    const out: OperationStatus = { operation_id: entry.operation_id, state, message }
    if (entry.agent_id) out.agent_id = entry.agent_id
    return out
  }
  if (agentId === undefined) return status('OPERATION_UNKNOWN', "Reconciliation: Operation is unknown and no 'agent_id' was provided")
  const agent = s.agents.get(agentId)
  if (agent?.state === 'recovered') return status('OPERATION_RECOVERING', 'Reconciliation: Agent is recovered but has not re-registered')
  if (agent && agent.state !== 'unreachable') return status('OPERATION_UNKNOWN', 'Reconciliation: Operation is unknown')
  if (agent?.state === 'unreachable') return status('OPERATION_UNREACHABLE', 'Reconciliation: Agent is unreachable')
  if (s.goneAgents.has(agentId)) return status('OPERATION_GONE_BY_OPERATOR', 'Reconciliation: Agent marked gone by operator')
  return status('OPERATION_UNKNOWN', 'Reconciliation: Both operation and agent are unknown')
}

/**
 * RECONCILE_OPERATIONS: with no operations listed, every operation the framework has (implicit); else each one
 * listed (explicit). Statuses are sent as UPDATE_OPERATION_STATUS events without uuids.
 */
export function reconcileOperations(step: Step, fw: Framework, entries: ReconcileEntry[]): void {
  if (!entries.length) {
    log.info(`Performing implicit operation state reconciliation for framework ${fw.id}`)
    for (const op of step.s.operations.ofFramework(fw.id)) {
      const { uuid: _uuid, ...status } = op.statuses[op.statuses.length - 1] ?? op.latest_status
      sendStatus(step, fw, status)
    }
    return
  }
  log.info(`Performing explicit operation state reconciliation for ${entries.length} operations of framework ${fw.id}`)
  for (const e of entries) sendStatus(step, fw, reconcileStatus(step, fw, e))
}
