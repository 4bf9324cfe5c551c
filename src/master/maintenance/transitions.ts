// Maintenance transitions (upstream Master::Http::_updateMaintenanceSchedule, _startMaintenance, _stopMaintenance,
// Master::updateUnavailability, Master::inverseOffer, and the allocator's inverse offers): they change MasterState
// and queue effects like the other transitions (docs/master.md); the decisions are the pure functions of
// schedule.ts and inverse-offers.ts.

import { offerIdFor } from '../../core/ids.ts'
import { logger } from '../../core/log.ts'
import type { InverseOffer, MachineID, Unavailability } from '../../core/v1/messages.ts'
import { isTerminal } from '../../core/v1/messages.ts'
import { DEFAULT_REFUSE_SECONDS } from '../allocator/filters.ts'
import type { Framework } from '../framework.ts'
import { removeOffer, rescindAgentOffers } from '../offers.ts'
import type { RegisteredAgent } from '../registered-agent.ts'
import type { Step } from '../state.ts'
import { masterStatus } from '../task-status.ts'
import { removeTask, applyStatus } from '../tasks.ts'
import type { InverseOfferAnswer } from './inverse-offers.ts'
import { applySchedule, machineMatches, startMaintenance as startMachines, stopMaintenance as stopMachines, validateSchedule, type MaintenanceSchedule } from './schedule.ts'

const log = logger('master')

/** The agent's unavailability, when its machine is in the schedule (regular offers carry it too). */
export function agentUnavailability(step: Pick<Step, 's'>, agent: RegisteredAgent): Unavailability | undefined {
  return step.s.maintenance.machineOf(agent)?.unavailability
}

/** Whether the agent's machine is DOWN: it may not register or re-register until STOP_MAINTENANCE. */
export function agentMachineDown(step: Pick<Step, 's'>, agent: { hostname: string; address: string }): boolean {
  return step.s.maintenance.machineOf(agent)?.mode === 'DOWN'
}

function persistMaintenance(step: Step) {
  step.out.persist({ op: 'putMaintenance', record: step.s.maintenance.record() })
}

/** Takes an inverse offer off the book; `rescind` tells its framework. */
function removeInverseOffer(step: Step, id: string, rescind: boolean) {
  const o = step.s.maintenance.inverseOffers.remove(id)
  if (!o || !rescind) return
  const fw = step.s.frameworks.get(o.frameworkId)
  if (fw) step.out.toFramework(fw, { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: id } } })
}

/** The agent went away or its unavailability changed: its inverse offers are rescinded and its answers forgotten. */
export function rescindAgentInverseOffers(step: Step, agentId: string) {
  const book = step.s.maintenance.inverseOffers
  for (const o of book.ofAgent(agentId)) removeInverseOffer(step, o.id, true)
  book.resetAgent(agentId)
}

/**
 * UPDATE_MAINTENANCE_SCHEDULE / POST /maintenance/schedule: validated (400 with upstream's message), persisted, then
 * every agent whose machine's unavailability changed loses its offers and inverse offers, so what is offered next
 * carries the new unavailability.
 */
export function updateSchedule(step: Step, schedule: MaintenanceSchedule): string | undefined {
  const { s, out } = step
  const m = s.maintenance
  const normalized: MaintenanceSchedule = { windows: schedule.windows ?? [] }
  const invalid = validateSchedule(normalized, m.machines)
  if (invalid) return invalid
  const change = applySchedule(normalized, m.machines)
  m.schedule = normalized
  m.machines = change.machines
  persistMaintenance(step)
  for (const changed of change.changed) {
    for (const agent of s.agents.values()) {
      if (!machineMatches(changed.id, { hostname: agent.hostname, ip: agent.address.split(':')[0] ?? '' })) continue
      rescindAgentInverseOffers(step, agent.id)
      rescindAgentOffers(step, agent)
    }
  }
  log.info(`Updated the maintenance schedule: ${normalized.windows.length} window(s), ${m.machines.size} machine(s)`)
  out.allocate()
  return undefined
}

/**
 * START_MAINTENANCE / POST /machine/down: DRAINING machines become DOWN; their agents are told to shut down and
 * removed, their tasks TASK_LOST (upstream removeSlave: REASON_AGENT_REMOVED for every framework).
 */
export function startMaintenance(step: Step, ids: MachineID[]): string | undefined {
  const { s } = step
  const r = startMachines(ids, s.maintenance.machines)
  if ('error' in r) return r.error
  s.maintenance.machines = r.machines
  persistMaintenance(step)
  for (const agent of [...s.agents.values()]) {
    if (!ids.some(id => machineMatches(id, { hostname: agent.hostname, ip: agent.address.split(':')[0] ?? '' }))) continue
    removeAgentForMaintenance(step, agent, "Operator initiated 'Machine DOWN'")
  }
  return undefined
}

/** STOP_MAINTENANCE / POST /machine/up: DOWN machines are UP again and leave the schedule. */
export function stopMaintenance(step: Step, ids: MachineID[]): string | undefined {
  const { s } = step
  const r = stopMachines(ids, s.maintenance.machines, s.maintenance.schedule)
  if ('error' in r) return r.error
  s.maintenance.machines = r.machines
  s.maintenance.schedule = r.schedule
  persistMaintenance(step)
  log.info(`Machines ${ids.map(id => id.hostname ?? id.ip).join(', ')} are UP again`)
  return undefined
}

/** upstream Master::removeSlave for a machine brought down: the agent is forgotten (it registers anew later). */
function removeAgentForMaintenance(step: Step, agent: RegisteredAgent, cause: string) {
  const { s, out, now } = step
  log.info(`Removing agent ${agent.id} (${agent.hostname}): ${cause}`)
  out.toAgent(agent, { type: 'SHUTDOWN', message: cause })
  if (agent.link) out.closeLink(agent.link, 'machine is DOWN')
  agent.link = undefined
  out.cancelTimer(`agent-disconnect:${agent.id}`)
  if (agent.state !== 'unreachable') s.allocator.removeAgent(agent.id)
  for (const task of [...agent.tasks.values()]) {
    const fw = s.frameworks.get(task.framework_id.value)
    if (!fw || isTerminal(task.state)) { removeTask(step, task); continue }
    const status = masterStatus(now, task.task_id.value, 'TASK_LOST', 'REASON_AGENT_REMOVED', `Agent ${agent.hostname} removed: ${cause}`, { agent_id: { value: agent.id } })
    if (task.executor_id) status.executor_id = task.executor_id
    applyStatus(step, task, status, undefined)
    removeTask(step, task)
  }
  for (const [fid, execs] of agent.executors) for (const eid of execs.keys()) s.frameworks.get(fid)?.executors.get(agent.id)?.delete(eid)
  agent.executors.clear()
  for (const offerId of [...agent.offers]) removeOffer(step, offerId, { rescind: true, recover: false })
  rescindAgentInverseOffers(step, agent.id)
  s.agents.delete(agent.id)
  s.draining.delete(agent.id)
  s.drainStartTimes.delete(agent.id)
  out.persist({ op: 'removeAgent', id: agent.id })
  for (const fw of s.frameworks.values()) out.toFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } })
  s.metrics.inc('master/slave_removals')
  out.publish('AGENT_REMOVED', { agent_id: { value: agent.id } })
}

/** Frameworks with resources on an agent: its tasks, executors and outstanding offers. */
function frameworksOn(step: Step, agent: RegisteredAgent): string[] {
  const ids = new Set<string>()
  for (const t of agent.tasks.values()) if (!isTerminal(t.state)) ids.add(t.framework_id.value)
  for (const [fid, execs] of agent.executors) if (execs.size) ids.add(fid)
  for (const offerId of agent.offers) { const o = step.s.offers.get(offerId); if (o) ids.add(o.frameworkId) }
  return [...ids].filter(id => step.s.frameworks.get(id)?.connected)
}

/**
 * After each allocation (upstream's allocator makes inverse offers in the same pass): one INVERSE_OFFERS event per
 * framework, for the agents on DRAINING machines it has resources on.
 */
export function sendInverseOffers(step: Step) {
  const { s, out, now } = step
  const m = s.maintenance
  const book = m.inverseOffers
  // Inverse offers of frameworks or agents that went away are dropped quietly (there is no one to tell).
  for (const o of [...book.outstanding.values()]) {
    if (!s.frameworks.get(o.frameworkId)?.connected || !s.agents.has(o.agentId)) book.remove(o.id)
  }
  if (!m.machines.size) return
  const underMaintenance = []
  for (const { agent, unavailability } of m.drainingAgents(s.agents)) {
    if (agent.connected) underMaintenance.push({ agentId: agent.id, unavailability, frameworks: frameworksOn(step, agent) })
  }
  const byFramework = new Map<Framework, InverseOffer[]>()
  for (const p of book.plan(underMaintenance, now)) {
    const fw = s.frameworks.get(p.frameworkId)!
    const agent = s.agents.get(p.agentId)!
    const id = offerIdFor(s.id, s.nextSequence('offer'))
    const inverse: InverseOffer = {
      id: { value: id },
      url: { scheme: s.scheme, address: { hostname: agent.hostname, ip: agent.address.split(':')[0], port: agent.port }, path: '/slave(1)' },
      framework_id: { value: fw.id },
      agent_id: { value: agent.id },
      unavailability: p.unavailability,
    }
    book.add({ id, frameworkId: fw.id, agentId: agent.id, unavailability: p.unavailability })
    let list = byFramework.get(fw)
    if (!list) { list = []; byFramework.set(fw, list) }
    list.push(inverse)
  }
  for (const [fw, inverseOffers] of byFramework) {
    log.info(`Sending ${inverseOffers.length} inverse offer(s) to framework ${fw.id}`)
    out.toFramework(fw, { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: inverseOffers } })
  }
}

/** ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS: the answer is recorded; unknown ids are ignored (as upstream logs). */
export function answerInverseOffers(step: Step, fw: Framework, ids: string[], answer: Exclude<InverseOfferAnswer, 'UNKNOWN'>, refuseSeconds: number | undefined) {
  const book = step.s.maintenance.inverseOffers
  const refuse = refuseSeconds === undefined || !(refuseSeconds >= 0) ? DEFAULT_REFUSE_SECONDS : Math.min(refuseSeconds, 31_536_000)
  for (const id of ids) {
    const o = book.outstanding.get(id)
    if (!o || o.frameworkId !== fw.id) { log.warn(`Ignoring ${answer === 'ACCEPT' ? 'accept' : 'decline'} of unknown inverse offer ${id} from framework ${fw.id}`); continue }
    book.answer(o, answer, step.now, refuse * 1000)
  }
  step.out.allocate()
}

type InverseOfferStatusWire = { status: InverseOfferAnswer; framework_id: { value: string }; timestamp: { nanoseconds: number } }

/**
 * GET_MAINTENANCE_STATUS / GET /maintenance/status (mesos.v1.maintenance.ClusterStatus). Empty lists are left out,
 * as upstream's protobuf JSON leaves them out (no machines: `{}`).
 */
export function clusterStatus(step: Pick<Step, 's'>): { draining_machines?: { id: MachineID; statuses?: InverseOfferStatusWire[] }[]; down_machines?: MachineID[] } {
  const { s } = step
  const draining_machines: { id: MachineID; statuses?: InverseOfferStatusWire[] }[] = []
  const down_machines: MachineID[] = []
  for (const machine of s.maintenance.machines.values()) {
    if (machine.mode === 'DOWN') { down_machines.push(machine.id); continue }
    if (machine.mode !== 'DRAINING') continue
    const statuses: InverseOfferStatusWire[] = []
    for (const agent of s.agents.values()) {
      if (!machineMatches(machine.id, { hostname: agent.hostname, ip: agent.address.split(':')[0] ?? '' })) continue
      for (const st of s.maintenance.inverseOffers.statuses.get(agent.id)?.values() ?? []) {
        statuses.push({ status: st.status, framework_id: { value: st.frameworkId }, timestamp: { nanoseconds: Math.round(st.timestamp * 1e9) } })
      }
    }
    draining_machines.push(statuses.length ? { id: machine.id, statuses } : { id: machine.id })
  }
  return { ...(draining_machines.length ? { draining_machines } : {}), ...(down_machines.length ? { down_machines } : {}) }
}
