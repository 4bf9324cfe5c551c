// Keeps the record set in step with the master, from the events it publishes (operator-events.ts), not by polling:
// a task's records appear when it is RUNNING and go when it leaves RUNNING (terminal, unreachable), an agent's with
// its registration, a framework's tasks are renamed with the framework. A full build runs once, when this master
// starts leading (what it recovered). Decisions only: the caller gives the master's state.

import type { Task } from '../../core/v1/messages.ts'
import type { Framework } from '../framework.ts'
import type { RegisteredAgent } from '../registered-agent.ts'
import type { MasterState } from '../state.ts'
import type { RecordSet } from './record-set.ts'
import { agentRecords, masterRecords, taskRecords, type DiscoveryInfo, type DnsNaming } from './records.ts'

const taskOwner = (frameworkId: string, taskId: string) => `task:${frameworkId}/${taskId}`
const agentOwner = (agentId: string) => `agent:${agentId}`
const MASTERS = 'masters'

/** `slave(1)@10.0.0.2:5051` → its IP and port. */
export function agentAddress(a: RegisteredAgent): { ip: string; port: number } {
  const addr = a.address
  const i = addr.lastIndexOf(':')
  const host = i > 0 ? addr.slice(0, i).replace(/^\[|\]$/g, '') : addr
  return { ip: host, port: i > 0 ? Number(addr.slice(i + 1)) : a.port }
}

export class DnsFeed {
  /** agent id → owners of the task records that use its address. */
  private readonly tasksByAgent = new Map<string, Set<string>>()
  private readonly agentOfTask = new Map<string, string>()

  constructor(readonly records: RecordSet, readonly naming: DnsNaming, private readonly nameserverIp?: string) {}

  /** Everything the master holds now (at the start of leadership). */
  load(s: MasterState): void {
    this.records.replace(MASTERS, masterRecords({ leader: { ip: s.info.address?.ip ?? '', port: s.info.port }, nameserverIp: this.nameserverIp }, this.naming))
    for (const a of s.agents.values()) this.agent(s, a.id)
    for (const fw of s.frameworks.values()) for (const t of fw.tasks.values()) this.task(s, fw, t)
  }

  /** One operator event (TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_*), after the state changed. */
  onEvent(s: MasterState, type: string, payload: any): void {
    switch (type) {
      case 'TASK_ADDED': {
        const t = payload?.task as Task | undefined
        const fw = t && s.frameworks.get(t.framework_id.value)
        if (t && fw) this.task(s, fw, fw.tasks.get(t.task_id.value) ?? t)
        return
      }
      case 'TASK_UPDATED': {
        const fid = payload?.framework_id?.value as string | undefined
        const tid = payload?.status?.task_id?.value as string | undefined
        if (!fid || !tid) return
        const fw = s.frameworks.get(fid)
        const t = fw?.tasks.get(tid)
        if (fw && t) this.task(s, fw, t)
        else this.dropTask(taskOwner(fid, tid))
        return
      }
      case 'AGENT_ADDED': {
        const id = payload?.agent?.agent_info?.id?.value as string | undefined
        if (id) this.agent(s, id)
        return
      }
      case 'AGENT_REMOVED': {
        const id = payload?.agent_id?.value as string | undefined
        if (!id) return
        this.records.remove(agentOwner(id))
        for (const owner of [...this.tasksByAgent.get(id) ?? []]) this.dropTask(owner)
        return
      }
      case 'FRAMEWORK_ADDED': case 'FRAMEWORK_UPDATED': {
        const id = payload?.framework?.framework_info?.id?.value as string | undefined
        const fw = id ? s.frameworks.get(id) : undefined
        if (fw) for (const t of fw.tasks.values()) this.task(s, fw, t)
        return
      }
      case 'FRAMEWORK_REMOVED': {
        const id = payload?.framework_info?.id?.value as string | undefined
        if (id) for (const owner of this.records.ownersWithPrefix(taskOwner(id, ''))) this.dropTask(owner)
      }
    }
  }

  private agent(s: MasterState, id: string) {
    const a = s.agents.get(id)
    if (!a) { this.records.remove(agentOwner(id)); return }
    const addr = agentAddress(a)
    this.records.replace(agentOwner(id), agentRecords({ hostname: a.hostname, ip: addr.ip, port: addr.port }, this.naming))
    // Its tasks' `.slave` records (and host-sourced A records) follow its address.
    for (const t of a.tasks.values()) {
      const fw = s.frameworks.get(t.framework_id.value)
      if (fw) this.task(s, fw, t)
    }
  }

  private task(s: MasterState, fw: Framework, t: Task) {
    const owner = taskOwner(fw.id, t.task_id.value)
    const agent = s.agents.get(t.agent_id.value)
    // Mesos-DNS serves RUNNING tasks on known agents only (generator.go taskRecords).
    if (t.state !== 'TASK_RUNNING' || !agent) { this.dropTask(owner); return }
    const ip = agentAddress(agent).ip
    this.records.replace(owner, taskRecords({
      id: t.task_id.value, name: t.name, agentId: agent.id, frameworkName: fw.info.name,
      statuses: t.statuses ?? [], resources: t.resources ?? [], discovery: t.discovery as DiscoveryInfo | undefined,
    }, [ip], this.naming))
    let set = this.tasksByAgent.get(agent.id)
    if (!set) { set = new Set(); this.tasksByAgent.set(agent.id, set) }
    set.add(owner)
    this.agentOfTask.set(owner, agent.id)
  }

  private dropTask(owner: string) {
    this.records.remove(owner)
    const agentId = this.agentOfTask.get(owner)
    if (agentId === undefined) return
    this.agentOfTask.delete(owner)
    const set = this.tasksByAgent.get(agentId)
    if (set?.delete(owner) && !set.size) this.tasksByAgent.delete(agentId)
  }
}
