// DRAIN_AGENT (Mesos 1.9, upstream docs/agent-drain.md; Master::Http::_drainAgent and
// Master::checkAndTransitionDrainingAgent in src/master/http.cpp and master.cpp): the agent is deactivated (no more
// offers) and told to kill every task, with at most `max_grace_period` of grace. Once the master holds no task on it
// any more (each terminal update acknowledged) it is DRAINED, or, with `mark_gone`, marked gone. REACTIVATE_AGENT
// ends a drain that is DRAINED. The drain info is persisted with the agent (AgentRecord.drain), so a restarted master
// keeps draining, and a re-registering agent is told again.

import type { MasterMessage } from '../core/agent-protocol.ts'
import { logger } from '../core/log.ts'
import type { DurationInfo } from '../core/v1/messages.ts'
import { agentRecord, markAgentGone } from './agents.ts'
import { rescindAgentOffers } from './offers.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import type { Step } from './state.ts'

const log = logger('master')

export type DrainState = 'DRAINING' | 'DRAINED'
/** mesos.v1.DrainConfig */
export interface DrainConfig { max_grace_period?: DurationInfo; mark_gone?: boolean }
/** mesos.v1.DrainInfo */
export interface DrainInfo { state: DrainState; config: DrainConfig }

/** The longest grace period a drain may ask for (a year; anything longer is a typo). */
const MAX_GRACE_NS = 365 * 24 * 3600 * 1e9

/**
 * DRAIN_AGENT's fields as a DrainConfig. `max_grace_period` is a google.protobuf.Duration ({seconds, nanos}, as the
 * v1 JSON codec reads it).
 */
export function drainConfigOf(call: { max_grace_period?: { seconds?: number | string; nanos?: number }; mark_gone?: boolean }): { config: DrainConfig } | { error: string } {
  const config: DrainConfig = { mark_gone: call.mark_gone === true }
  const d = call.max_grace_period
  if (d !== undefined) {
    const ns = Number(d.seconds ?? 0) * 1e9 + Number(d.nanos ?? 0)
    if (!Number.isFinite(ns)) return { error: "'max_grace_period' must be a duration ({\"seconds\": …, \"nanos\": …})" }
    if (ns < 0) return { error: "'max_grace_period' must not be negative" }
    if (ns > MAX_GRACE_NS) return { error: "'max_grace_period' is longer than a year" }
    config.max_grace_period = { nanoseconds: ns }
  }
  return { config }
}

/** What a draining agent does next: nothing to do, wait for its tasks, or finish (DRAINED or gone). */
export function drainProgress(info: DrainInfo | undefined, tasksLeft: number): 'none' | 'wait' | 'drained' | 'markGone' {
  if (!info || info.state === 'DRAINED') return 'none'
  if (tasksLeft > 0) return 'wait'
  return info.config.mark_gone ? 'markGone' : 'drained'
}

/** REACTIVATE_AGENT's precondition (upstream _reactivateAgent): undefined when allowed, else the 400 message. */
export function reactivationError(deactivated: boolean, drain: DrainInfo | undefined): string | undefined {
  if (!deactivated) return 'Agent is not deactivated'
  if (drain?.state === 'DRAINING') return 'Agent is still in the DRAINING state'
  return undefined
}

/** The DRAIN message for the agent. */
export function drainMessage(config: DrainConfig): MasterMessage {
  const m: Extract<MasterMessage, { type: 'DRAIN' }> = { type: 'DRAIN' }
  if (config.max_grace_period) m.max_grace_period_ns = config.max_grace_period.nanoseconds
  if (config.mark_gone) m.mark_gone = true
  return m
}

/** DRAIN_AGENT on a known agent (registered, recovered, disconnected or unreachable). */
export function drainAgent(step: Step, agent: RegisteredAgent, config: DrainConfig) {
  const { s, out, now } = step
  const info: DrainInfo = { state: 'DRAINING', config }
  s.draining.set(agent.id, info)
  agent.deactivated = true
  out.persist({ op: 'putAgent', record: agentRecord(s, agent) })
  if (agent.state === 'registered' || agent.state === 'disconnected') s.allocator.deactivateAgent(agent.id)
  rescindAgentOffers(step, agent)
  log.info(`Transitioning agent ${agent.id} (${agent.hostname}) to the DRAINING state with ${agent.tasks.size} task(s)` +
    (config.max_grace_period ? `, max grace period ${config.max_grace_period.nanoseconds / 1e9}s` : '') + (config.mark_gone ? ', then marking it gone' : ''))
  if (out.toAgent(agent, drainMessage(config))) s.drainStartTimes.set(agent.id, now / 1000)
  checkDrained(step, agent)
}

/** After anything that can remove the last task of a draining agent (an acknowledgement, a re-registration). */
export function checkDrained(step: Step, agent: RegisteredAgent | undefined) {
  if (!agent) return
  const { s, out } = step
  const info = s.draining.get(agent.id)
  switch (drainProgress(info, agent.tasks.size)) {
    case 'none':
    case 'wait':
      return
    case 'markGone':
      log.info(`Marking agent ${agent.id} in the DRAINED state as gone`)
      markAgentGone(step, agent)
      return
    case 'drained':
      info!.state = 'DRAINED'
      log.info(`Agent ${agent.id} successfully marked as DRAINED`)
      out.persist({ op: 'putAgent', record: agentRecord(s, agent) })
  }
}
