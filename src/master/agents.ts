// Agent transitions: recovery from the registrar, registration (admitted once durable), re-registration (the
// agent's report of its tasks and executors wins), disconnection, pings, unreachable, gone, operator
// (de)activation. Mesos does the same in src/master/master.cpp (Master::registerSlave, Master::reregisterSlave,
// Master::disconnect, Master::markUnreachable, Master::markGone) and src/master/registrar.cpp.

import type { AgentMessage, MasterMessage } from '../core/agent-protocol.ts'
import { agentIdFor } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import { Resources } from '../core/resources.ts'
import type { AgentInfo, Task, TaskStatus } from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { recoverFramework } from './frameworks.ts'
import { reconcileReported, restoreCheckpointed, sendCheckpointed } from './operations/agent-resources.ts'
import { rescindAgentOffers } from './offers.ts'
import { timerKey } from './outbox.ts'
import type { AgentRecord } from './registrar.ts'
import { RegisteredAgent, type AgentLink } from './registered-agent.ts'
import { PING_SLICES } from './ping-slice.ts'
import { resourcesOf } from './resource-lists.ts'
import type { Step } from './state.ts'
import { forFramework, masterStatus } from './task-status.ts'
import { applyStatus, endTask } from './tasks.ts'
import { agentView } from './views-v1.ts'
import { checkDrained, drainMessage } from './drain.ts'
import { agentMachineDown, rescindAgentInverseOffers } from './maintenance/transitions.ts'
import type { MasterState } from './state.ts'

const log = logger('master')

type Register = Extract<AgentMessage, { type: 'REGISTER' }>
type Reregister = Extract<AgentMessage, { type: 'REREGISTER' }>

const record = (agent: RegisteredAgent, state: AgentRecord['state'], s?: MasterState): AgentRecord => {
  const r: AgentRecord = { id: agent.id, info: agent.info, pid: agent.pid, state }
  if (state === 'unreachable' && agent.unreachableTime !== undefined) r.unreachableTime = agent.unreachableTime
  if (agent.deactivated) r.deactivated = true
  const drain = state !== 'gone' ? s?.draining.get(agent.id) : undefined
  if (drain) r.drain = drain
  if (agent.checkpointed) r.checkpointedResources = agent.checkpointed.toWire(true)
  return r
}

/** The agent's registrar record as it stands (admitted or unreachable; drain and deactivation included). */
export function agentRecord(s: MasterState, agent: RegisteredAgent): AgentRecord {
  return record(agent, agent.state === 'unreachable' ? 'unreachable' : 'admitted', s)
}

/** upstream registerSlave / reregisterSlave: an agent on a DOWN machine is told to shut down. */
function refuseIfMachineDown(step: Step, info: AgentInfo, pid: string, link: AgentLink): boolean {
  if (!agentMachineDown(step, { hostname: info.hostname, address: pid.split('@')[1] ?? '' })) return false
  log.warn(`Refusing registration of agent at ${pid} because the machine it is running on is DOWN`)
  step.out.toLink(link, { type: 'SHUTDOWN', message: 'Machine is `DOWN`' })
  step.out.closeLink(link, 'machine is DOWN')
  return true
}

/** Agents from the registrar after a master restart: "recovered" until they re-register or time out. */
export function recoverAgents(step: Step, records: AgentRecord[]) {
  const { s, out } = step
  for (const a of records) {
    if (a.state === 'gone') { s.goneAgents.add(a.id); continue }
    const agent = new RegisteredAgent(a.id, a.info, a.pid, a.state === 'unreachable' ? 'unreachable' : 'recovered')
    agent.unreachableTime = a.unreachableTime
    agent.deactivated = a.deactivated ?? false
    if (a.drain) s.draining.set(a.id, a.drain)
    restoreCheckpointed(agent, a.checkpointedResources)
    s.agents.set(a.id, agent)
  }
  if ([...s.agents.values()].some(a => a.state === 'recovered')) {
    out.startTimer(timerKey.agentReregister, s.flags.agent_reregister_timeout, { kind: 'agentReregisterTimeout' })
  }
}

/** --agent_reregister_timeout after a master restart: agents that did not come back are unreachable. */
export function reregisterTimeout(step: Step) {
  for (const a of step.s.agents.values()) {
    if (a.state !== 'recovered') continue
    markUnreachable(step, a, 'agent did not re-register after master failover')
    step.s.metrics.inc('master/recovery_slave_removals')
  }
}

/**
 * First registration of an agent: persisted first; admitted (offered, told REGISTERED) by `admitAgent` once the
 * write is durable. Until then the agent is known only to its own link.
 */
export function registerAgent(step: Step, msg: Register, link: AgentLink): RegisteredAgent {
  const { s, out, now } = step
  // Refused: known to its link only and never admitted, like a registration whose registrar write failed.
  if (refuseIfMachineDown(step, msg.agent_info, msg.pid, link)) return new RegisteredAgent('', msg.agent_info, msg.pid, 'disconnected')
  const seq = s.nextSequence('agent')
  const id = agentIdFor(s.id, seq)
  const info: AgentInfo = { ...msg.agent_info, id: { value: id } }
  const agent = new RegisteredAgent(id, info, msg.pid, 'registered')
  // Reservations and volumes a rebooted agent kept are part of the new agent (Master::_registerSlave).
  if (msg.checkpointed_resources?.length) restoreCheckpointed(agent, msg.checkpointed_resources)
  agent.link = link
  agent.version = msg.version
  agent.capabilities = msg.capabilities
  agent.registeredTime = now / 1000
  s.admitting.set(id, { agent, link })
  out.push({
    type: 'persist',
    ops: [{ op: 'putSequence', name: 'agent', value: seq + 1 }, { op: 'putAgent', record: record(agent, 'admitted') }],
    then: { kind: 'admitAgent', agentId: id },
  })
  return agent
}

/** The registrar has (or has not) made a registration durable. */
export function admitAgent(step: Step, agentId: string, persisted: boolean) {
  const { s, out } = step
  const pending = s.admitting.get(agentId)
  if (!pending) return
  s.admitting.delete(agentId)
  const { agent, link } = pending
  if (!persisted) {
    // It was never told its id; it registers again after its backoff.
    out.closeLink(link, 'registrar write failed')
    return
  }
  s.agents.set(agentId, agent)
  s.maintenance.agentJoined(agent)
  s.allocator.addAgent(agentId, { total: agent.total, hostname: agent.hostname })
  log.info(`Registered agent ${agentId} at ${agent.pid} (${agent.hostname}) with ${agent.total.toString()}`)
  s.metrics.inc('master/slave_registrations')
  out.publish('AGENT_ADDED', { agent: agentView(s, agent) })
  if (agent.state !== 'registered' || agent.link !== link) {
    // The link dropped while the write was in flight: known now, disconnected, on its way to unreachable.
    s.allocator.deactivateAgent(agentId)
    return
  }
  out.toLink(link, { type: 'REGISTERED', agent_id: agentId, master_info: s.info, ping_interval_ms: s.flags.agent_ping_timeout })
  out.allocate()
}

/** Re-registration after an agent or master restart, or a dropped link: reconcile both sides' views. */
export function reregisterAgent(step: Step, msg: Reregister, link: AgentLink): RegisteredAgent | undefined {
  const { s, out, now } = step
  const id = msg.agent_info.id!.value
  if (s.goneAgents.has(id)) {
    out.toLink(link, { type: 'SHUTDOWN', message: `Agent ${id} has been marked gone` })
    out.closeLink(link, 'agent is gone')
    return undefined
  }
  if (refuseIfMachineDown(step, msg.agent_info, msg.pid, link)) return undefined
  let agent = s.agents.get(id)
  const wasUnreachable = agent?.state === 'unreachable'
  // An agent the master had given up on (unreachable) or never heard of, as opposed to one it recovered from the
  // registry after its own restart: the frameworks hear about every task it brings back (upstream _reregisterSlave).
  const cameBack = wasUnreachable || !agent
  if (agent?.link && agent.link !== link && agent.state === 'registered') out.closeLink(agent.link, 'agent re-registered on a new connection')
  out.cancelTimer(timerKey.agentDisconnect(id))
  if (!agent) {
    agent = new RegisteredAgent(id, msg.agent_info, msg.pid, 'registered')
    agent.registeredTime = now / 1000
    s.agents.set(id, agent)
  } else {
    // Forget the master's copy of tasks/executors; the agent's report is authoritative.
    s.allocator.removeAgent(id)
  }
  agent.info = msg.agent_info
  agent.pid = msg.pid
  s.maintenance.agentJoined(agent)
  // The total is the static resources with the checkpointed ones applied; the master's copy of those wins.
  const checkpointDiffers = reconcileReported(agent, msg.checkpointed_resources)
  agent.state = 'registered'
  agent.link = link
  agent.version = msg.version
  agent.capabilities = msg.capabilities
  agent.reregisteredTime = now / 1000
  agent.missedPings = 0
  out.persist({ op: 'putAgent', record: record(agent, 'admitted', s) })

  // Frameworks the master does not know (e.g. after its own restart) are recreated as "recovered".
  for (const info of msg.frameworks) {
    const fid = info.id?.value
    if (!fid || s.frameworks.has(fid)) continue
    if (s.completedFrameworks.some(f => f.id === fid)) { out.toLink(link, { type: 'SHUTDOWN_FRAMEWORK', framework_id: fid }); continue }
    recoverFramework(step, fid, info, now / 1000)
    out.persist({ op: 'putFramework', record: { id: fid, info, registeredTime: now / 1000 } })
  }

  const reported = new Map<string, Task>()
  for (const t of msg.tasks) reported.set(`${t.framework_id.value}/${t.task_id.value}`, t)
  // Tasks the master had on this agent but the agent no longer knows.
  for (const task of [...agent.tasks.values()]) {
    if (reported.has(`${task.framework_id.value}/${task.task_id.value}`)) continue
    agent.tasks.delete(task.framework_id.value, task.task_id.value)
    const fw = s.frameworks.get(task.framework_id.value)
    if (!fw || isTerminal(task.state)) continue
    endTask(step, task, forFramework('TASK_GONE', fw.partitionAware), 'REASON_AGENT_REREGISTERED', 'Task was not found on the re-registered agent')
  }
  agent.executors.clear()
  for (const e of msg.executors) {
    const fw = s.frameworks.get(e.framework_id)
    if (!fw) continue
    agent.executorsOf(e.framework_id).set(e.executor_info.executor_id.value, e.executor_info)
    fw.executorsOn(id).set(e.executor_info.executor_id.value, e.executor_info)
  }
  const used: { frameworkId: string; role: string; resources: Resources }[] = []
  for (const reportedTask of reported.values()) {
    const fw = s.frameworks.get(reportedTask.framework_id.value)
    if (!fw) continue
    let task = fw.tasks.get(reportedTask.task_id.value) ?? fw.unreachableTasks.get(reportedTask.task_id.value)
    if (cameBack) {
      // A task the master declared LOST (or UNREACHABLE) is running after all: tracked once, as the agent reports it,
      // not also among the completed ones (upstream MESOS-9940).
      const taskId = reportedTask.task_id.value
      const i = fw.completedTasks.findIndex(t => t.task_id.value === taskId)
      if (i >= 0) {
        const [done] = fw.completedTasks.splice(i, 1)
        task ??= done
      }
    }
    if (!task) {
      task = { ...reportedTask }
      fw.tasks.set(task.task_id.value, task)
      s.metrics.taskState(undefined, task.state)
      out.publish('TASK_ADDED', { task })
    } else {
      fw.unreachableTasks.delete(task.task_id.value)
      fw.tasks.set(task.task_id.value, task)
      const prev = task.state
      task.state = reportedTask.state
      if (reportedTask.statuses?.length) task.statuses = reportedTask.statuses
      if (prev !== task.state) s.metrics.taskState(prev, task.state)
    }
    if (cameBack) {
      // Every framework, partition-aware or not, is told the task's state as the agent reports it: a framework that
      // heard TASK_LOST learns that the task runs after all (upstream _reregisterSlave).
      const last = reportedTask.statuses?.at(-1)
      const extra: Partial<TaskStatus> = { agent_id: { value: id } }
      if (reportedTask.executor_id) extra.executor_id = reportedTask.executor_id
      if (last?.healthy !== undefined) extra.healthy = last.healthy
      if (last?.check_status) extra.check_status = last.check_status
      if (last?.container_status) extra.container_status = last.container_status
      const message = wasUnreachable ? 'Unreachable agent re-reregistered' : 'Unknown agent reregistered'
      out.toFramework(fw, { type: 'UPDATE', update: { status: masterStatus(now, task.task_id.value, reportedTask.state, 'REASON_AGENT_REREGISTERED', message, extra) } })
    }
    agent.tasks.set(task)
    if (!isTerminal(task.state)) used.push({ frameworkId: fw.id, role: resourceRole(task.resources), resources: resourcesOf(task.resources) })
  }
  for (const [fid, execs] of agent.executors) {
    for (const e of execs.values()) {
      if (e.resources?.length) used.push({ frameworkId: fid, role: resourceRole(e.resources), resources: resourcesOf(e.resources) })
    }
  }
  s.allocator.addAgent(id, { total: agent.total, hostname: agent.hostname }, used)
  // An operator's DEACTIVATE_AGENT outlives the agent's connection (and the master's restart).
  if (agent.deactivated) s.allocator.deactivateAgent(id)
  out.toLink(link, { type: 'REREGISTERED', agent_id: id, master_info: s.info, ping_interval_ms: s.flags.agent_ping_timeout })
  if (checkpointDiffers) sendCheckpointed(step, agent, link)
  for (const [key, k] of [...agent.pendingKills]) {
    agent.pendingKills.delete(key)
    const m: MasterMessage = { type: 'KILL_TASK', framework_id: k.frameworkId, task_id: k.taskId }
    if (k.killPolicy) m.kill_policy = k.killPolicy
    out.toLink(link, m)
  }
  // Acknowledgements the agent missed while it was away (it resends those updates otherwise).
  for (const [key, uuids] of [...agent.pendingAcks]) {
    agent.pendingAcks.delete(key)
    const [frameworkId, ...rest] = key.split('/')
    for (const uuid of uuids) out.toLink(link, { type: 'ACKNOWLEDGE', framework_id: frameworkId!, task_id: rest.join('/'), uuid })
  }
  // A drain outlives the agent's connection and the master's restart: the agent is told again (upstream sends
  // DrainSlaveMessage on re-registration), and may have finished meanwhile.
  const drain = s.draining.get(id)
  if (drain?.state === 'DRAINING') {
    s.allocator.deactivateAgent(id)
    out.toLink(link, drainMessage(drain.config))
    s.drainStartTimes.set(id, now / 1000)
  }
  log.info(`Re-registered agent ${id} at ${msg.pid} with ${reported.size} task(s)`)
  s.metrics.inc('master/slave_reregistrations')
  out.publish('AGENT_ADDED', { agent: agentView(s, agent) })
  out.allocate()
  checkDrained(step, agent)
  return agent
}

/** The agent's link dropped. It has the ping-timeout window to come back before it is unreachable. */
export function agentDisconnected(step: Step, agent: RegisteredAgent, link: AgentLink) {
  const { s, out } = step
  // (A link that drops before its registration is durable gets here too: admitAgent then sees it disconnected.)
  if (agent.link !== link || agent.state !== 'registered') return
  // Removed meanwhile (marked gone, machine DOWN): nothing is left to time out, and no FAILURE is due.
  if (s.agents.get(agent.id) !== agent && !s.admitting.has(agent.id)) return
  log.info(`Agent ${agent.id} (${agent.hostname}) disconnected`)
  agent.state = 'disconnected'
  agent.link = undefined
  s.allocator.deactivateAgent(agent.id)
  rescindAgentOffers(step, agent)
  // Tasks of frameworks that do not checkpoint cannot survive an agent restart: they are lost now.
  for (const task of [...agent.tasks.values()]) {
    const fw = s.frameworks.get(task.framework_id.value)
    if (!fw || fw.info.checkpoint || isTerminal(task.state)) continue
    endTask(step, task, forFramework('TASK_LOST', fw.partitionAware), 'REASON_AGENT_DISCONNECTED', 'Agent disconnected')
  }
  const window = s.flags.agent_ping_timeout * s.flags.max_agent_ping_timeouts
  out.startTimer(timerKey.agentDisconnect(agent.id), window, { kind: 'agentDisconnectTimeout', agentId: agent.id })
}

/** The disconnected agent's window to come back has passed. */
export function disconnectTimeout(step: Step, agentId: string) {
  const agent = step.s.agents.get(agentId)
  if (agent?.state !== 'disconnected') return
  markUnreachable(step, agent, `agent did not reconnect within ${step.s.flags.agent_ping_timeout * step.s.flags.max_agent_ping_timeouts / 1000}s`)
}

/** A ping tick: each registered agent of this tick's slice gets a ping; too many unanswered make it unreachable. */
export function pingAgents(step: Step) {
  const { s, out } = step
  const slice = s.pingTick++ % PING_SLICES
  for (const agent of s.agents.values()) {
    if (agent.state !== 'registered' || agent.pingSlice !== slice) continue
    if (agent.pingSeq > agent.lastPongSeq) {
      agent.missedPings++
      if (agent.missedPings >= s.flags.max_agent_ping_timeouts) {
        if (agent.link) out.closeLink(agent.link, 'ping timeout')
        markUnreachable(step, agent, `missed ${agent.missedPings} pings`)
        continue
      }
    }
    out.toAgent(agent, { type: 'PING', seq: ++agent.pingSeq })
  }
}

export function pong(agent: RegisteredAgent, seq: number) {
  agent.lastPongSeq = Math.max(agent.lastPongSeq, seq)
  agent.missedPings = 0
}

/** Agent timed out: its tasks become UNREACHABLE (partition-aware) or LOST, frameworks get FAILURE. */
export function markUnreachable(step: Step, agent: RegisteredAgent, why: string) {
  const { s, out, now } = step
  if (agent.state === 'unreachable') return
  log.warn(`Marking agent ${agent.id} (${agent.hostname}) unreachable: ${why}`)
  out.cancelTimer(timerKey.agentDisconnect(agent.id))
  agent.state = 'unreachable'
  agent.unreachableTime = now / 1000
  agent.link = undefined
  rescindAgentOffers(step, agent)
  out.persist({ op: 'putAgent', record: record(agent, 'unreachable', s) })
  rescindAgentInverseOffers(step, agent.id)
  const unreachableTime = { nanoseconds: now * 1e6 }
  const message = `Agent ${agent.id} is unreachable: ${why}`
  for (const task of [...agent.tasks.values()]) {
    const fw = s.frameworks.get(task.framework_id.value)
    if (!fw || isTerminal(task.state)) continue
    if (fw.partitionAware) {
      const status = masterStatus(now, task.task_id.value, 'TASK_UNREACHABLE', 'REASON_AGENT_REMOVED', message, { agent_id: { value: agent.id }, unreachable_time: unreachableTime })
      applyStatus(step, task, status, undefined)
      fw.tasks.delete(task.task_id.value)
      fw.unreachableTasks.set(task.task_id.value, task)
    } else {
      endTask(step, task, 'TASK_LOST', 'REASON_AGENT_REMOVED', message)
    }
  }
  for (const fw of s.frameworks.values()) out.toFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } })
  s.allocator.removeAgent(agent.id)
  s.metrics.inc('master/slave_removals')
  // Upstream schedules the transition through a rate limiter (scheduled, then completed or canceled); meso has no
  // limiter, so every scheduled transition completes at once.
  s.metrics.inc('master/slave_removals/reason_unhealthy')
  s.metrics.inc('master/slave_unreachable_scheduled')
  s.metrics.inc('master/slave_unreachable_completed')
  out.publish('AGENT_REMOVED', { agent_id: { value: agent.id } })
}

/** MARK_AGENT_GONE: permanent; tasks become GONE_BY_OPERATOR / LOST. */
export function markAgentGone(step: Step, agent: RegisteredAgent) {
  const { s, out } = step
  for (const task of [...agent.tasks.values()]) {
    const fw = s.frameworks.get(task.framework_id.value)
    if (!fw || isTerminal(task.state)) continue
    endTask(step, task, forFramework('TASK_GONE_BY_OPERATOR', fw.partitionAware), 'REASON_AGENT_REMOVED_BY_OPERATOR', 'Agent was marked as gone by an operator')
  }
  out.toAgent(agent, { type: 'SHUTDOWN', message: 'Agent has been marked gone by an operator' })
  if (agent.link) out.closeLink(agent.link, 'marked gone')
  // Its link's close must not start the disconnection window: a gone agent is never unreachable later.
  agent.link = undefined
  out.cancelTimer(timerKey.agentDisconnect(agent.id))
  rescindAgentOffers(step, agent)
  rescindAgentInverseOffers(step, agent.id)
  s.draining.delete(agent.id)
  s.drainStartTimes.delete(agent.id)
  if (agent.state !== 'unreachable') s.allocator.removeAgent(agent.id)
  for (const fw of s.frameworks.values()) out.toFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } })
  s.agents.delete(agent.id)
  s.goneAgents.add(agent.id)
  out.persist({ op: 'putAgent', record: record(agent, 'gone') })
  out.publish('AGENT_REMOVED', { agent_id: { value: agent.id } })
}

/** DEACTIVATE_AGENT / REACTIVATE_AGENT: an inactive agent is offered to no one, across re-registration and restarts. */
export function setAgentActive(step: Step, agent: RegisteredAgent, active: boolean) {
  const { s, out } = step
  agent.deactivated = !active
  // REACTIVATE_AGENT also ends a (finished) drain, as upstream's ReactivateAgent registry operation does.
  if (active) { s.draining.delete(agent.id); s.drainStartTimes.delete(agent.id) }
  out.persist({ op: 'putAgent', record: agentRecord(s, agent) })
  if (agent.deactivated) {
    s.allocator.deactivateAgent(agent.id)
    rescindAgentOffers(step, agent)
  } else if (agent.state === 'registered') {
    s.allocator.activateAgent(agent.id)
    out.allocate()
  }
}

function resourceRole(list: Task['resources']): string {
  return list?.find(r => r.allocation_info?.role)?.allocation_info?.role ?? '*'
}
