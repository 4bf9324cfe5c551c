// An agent's checkpointed resources (dynamic reservations and persistent volumes) on the master side: how they make
// the agent's total, how an applied operation changes them (persisted, then sent to the agent as
// CHECKPOINT_RESOURCES), and how the master's copy and a re-registering agent's report are reconciled (the master's
// copy wins, as upstream Master::__reregisterSlave sends CheckpointResourcesMessage when they differ).

import { logger } from '../../core/log.ts'
import { Resources, type Resource } from '../../core/resources.ts'
import { agentRecord } from '../agents.ts'
import type { AgentLink, RegisteredAgent } from '../registered-agent.ts'
import type { Step } from '../state.ts'
import { applyCheckpointedResources, applyConversions, checkpointedPart, stampConversions, type Conversion } from './conversions.ts'
import { formatResources } from './resource-format.ts'

const log = logger('master')

/**
 * The agent's total from its static resources (AgentInfo.resources) and checkpointed ones. An agent that reports
 * its total with the checkpointed resources already in it is taken as it is.
 */
export function agentTotal(staticResources: readonly Resource[] | undefined, checkpointed: Resources, agentId: string): Resources {
  const base = Resources.of(staticResources)
  if (checkpointed.isEmpty || base.contains(checkpointed)) return base
  const total = applyCheckpointedResources(base, checkpointed)
  if ('error' in total) {
    // The agent's --resources no longer hold what was reserved on them: offer what it has, keep the reservations
    // on record (they come back if the resources do) and say why.
    log.error(`Agent ${agentId}: checkpointed resources ${formatResources(checkpointed.list)} do not fit its resources: ${total.error}`)
    return base
  }
  return total
}

/** After a registrar recovery: the record's checkpointed resources (undefined: the registrar did not keep them). */
export function restoreCheckpointed(agent: RegisteredAgent, recorded: readonly Resource[] | undefined): void {
  if (recorded === undefined) return
  agent.checkpointed = Resources.of(recorded)
  agent.total = agentTotal(agent.info.resources, agent.checkpointed, agent.id)
}

/**
 * A re-registering agent's report against the master's copy: sets the agent's total, and answers whether the agent
 * must be sent the master's copy (call `sendCheckpointed` once it has been told REREGISTERED).
 */
export function reconcileReported(agent: RegisteredAgent, reported: readonly Resource[] | undefined): boolean {
  const theirs = Resources.of(reported)
  // A master that does not know (new to this agent, or an old registrar) adopts the agent's report.
  const ours = agent.checkpointed ?? theirs
  agent.checkpointed = ours
  agent.total = agentTotal(agent.info.resources, ours, agent.id)
  return !ours.equals(theirs)
}

export function sendCheckpointed(step: Step, agent: RegisteredAgent, link?: AgentLink): void {
  const message = { type: 'CHECKPOINT_RESOURCES' as const, resources: (agent.checkpointed ?? Resources.EMPTY).toWire(true) }
  if (link) step.out.toLink(link, message)
  else step.out.toAgent(agent, message)
}

/**
 * Applies conversions to the agent's total (allocation info stripped), then records, persists and sends the new
 * checkpointed resources. The allocator is the caller's to update. Returns the error when the total lacks what the
 * conversions consume.
 */
export function applyToAgent(step: Step, agent: RegisteredAgent, conversions: readonly Conversion[]): string | undefined {
  const total = applyConversions(agent.total, stampConversions(conversions, undefined))
  if ('error' in total) return total.error
  agent.total = total
  agent.checkpointed = checkpointedPart(total)
  step.out.persist({ op: 'putAgent', record: agentRecord(step.s, agent) })
  sendCheckpointed(step, agent)
  return undefined
}
