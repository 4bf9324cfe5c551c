// The agent's side of DRAIN_AGENT (upstream Slave::drain, Slave::run and Slave::statusUpdate in src/slave/slave.cpp):
// while draining, every task is killed with its kill policy's grace capped at the drain's `max_grace_period`, new
// tasks are dropped, and KILLING/KILLED updates say REASON_AGENT_DRAINING (TASK_GONE_BY_OPERATOR for partition-aware
// frameworks when the agent will be marked gone). The drain ends once the agent has no framework left. Pure helpers;
// agent.ts applies them.

import type { KillPolicy, TaskStatus } from '../core/v1/messages.ts'

export interface AgentDrainConfig { maxGraceNs?: number; markGone: boolean }

/** The kill policy to kill a task with during a drain: the task's own unless its grace is longer than the cap. */
export function drainKillPolicy(taskPolicy: KillPolicy | undefined, maxGraceNs: number | undefined): KillPolicy | undefined {
  if (maxGraceNs === undefined) return taskPolicy
  const own = taskPolicy?.grace_period?.nanoseconds
  if (own === undefined || own > maxGraceNs) return { ...taskPolicy, grace_period: { nanoseconds: maxGraceNs } }
  return taskPolicy
}

/** A task status as sent while draining (unchanged when not draining or not a kill). */
export function drainStatus<T extends Pick<TaskStatus, 'state' | 'reason'>>(status: T, drain: AgentDrainConfig | undefined, partitionAware: boolean): T {
  if (!drain || (status.state !== 'TASK_KILLING' && status.state !== 'TASK_KILLED')) return status
  const out = { ...status, reason: 'REASON_AGENT_DRAINING' as TaskStatus['reason'] }
  if (drain.markGone && partitionAware) out.state = 'TASK_GONE_BY_OPERATOR'
  return out
}

/** The TASK_DROPPED a task launched on a draining agent gets. */
export const DROPPED_WHILE_DRAINING = { state: 'TASK_DROPPED', source: 'SOURCE_AGENT', reason: 'REASON_AGENT_DRAINING', message: 'Task was received while agent was already draining' } as const
