// The VIP table: which VIPs exist and which tasks serve behind each, computed from the master's RUNNING tasks. A
// backend is the task's container address and its DiscoveryInfo port (a task on a CNI network) or its agent's
// address and that port (a task on the host's network). A task whose health check last failed stays listed but does
// not serve (TaskStatus.healthy false); one without a health check serves while RUNNING. Pure: the caller gives the
// facts and the allocator of named VIPs' addresses.

import { vipKey } from './vip-allocation.ts'
import { taskVips, type VipDiscoveryInfo, type VipProtocol } from './vip-labels.ts'

/** What the table needs of one RUNNING task. */
export interface VipTaskFacts {
  frameworkId: string
  frameworkName: string
  taskId: string
  agentId: string
  /** The agent's address (host-network backends). */
  agentIp: string
  /** IPv4 addresses of the task's container (CNI), newest RUNNING status; empty on the host's network. */
  containerIps: string[]
  /** The newest status' `healthy`; undefined without a health check. */
  healthy: boolean | undefined
  discovery: VipDiscoveryInfo | undefined
}

export interface VipBackend {
  ip: string
  port: number
  framework_id: string
  task_id: string
  agent_id: string
  /** undefined: the task has no health check. */
  healthy?: boolean
  /** Whether new connections go to it (RUNNING and not unhealthy). */
  serving: boolean
}

export interface VipEntry {
  /** `ip:port`. */
  vip: string
  ip: string
  port: number
  protocol: VipProtocol
  /** Named VIPs: the name (without the leading `/`) and the framework name it belongs to. */
  name?: string
  framework?: string
  backends: VipBackend[]
}

export interface VipLabelError { framework_id: string; task_id: string; message: string }

export interface VipTable { vips: VipEntry[]; errors: VipLabelError[] }

/** What an agent programs: each VIP with the backends that take new connections (agent-protocol.ts VIPS). */
export interface AgentVip { vip: string; protocol: VipProtocol; backends: string[] }

const entryKey = (protocol: string, ip: string, port: number) => `${protocol} ${ip}:${port}`

export function buildVipTable(tasks: Iterable<VipTaskFacts>, addressOf: (key: string) => string): VipTable {
  const entries = new Map<string, VipEntry>()
  const errors: VipLabelError[] = []
  for (const t of tasks) {
    const { vips, errors: bad } = taskVips(t.discovery)
    for (const message of bad) errors.push({ framework_id: t.frameworkId, task_id: t.taskId, message })
    for (const v of vips) {
      let ip: string
      if (v.address.kind === 'ip') ip = v.address.ip
      else {
        try { ip = addressOf(vipKey(t.frameworkName, v.address.name)) } catch (err) {
          errors.push({ framework_id: t.frameworkId, task_id: t.taskId, message: `${v.label}: ${(err as Error).message}` })
          continue
        }
      }
      const key = entryKey(v.protocol, ip, v.address.port)
      let e = entries.get(key)
      if (!e) {
        e = { vip: `${ip}:${v.address.port}`, ip, port: v.address.port, protocol: v.protocol, backends: [] }
        if (v.address.kind === 'named') { e.name = v.address.name; e.framework = t.frameworkName }
        entries.set(key, e)
      }
      const backendIp = t.containerIps[0] ?? t.agentIp
      if (e.backends.some(b => b.ip === backendIp && b.port === v.taskPort)) continue
      const b: VipBackend = { ip: backendIp, port: v.taskPort, framework_id: t.frameworkId, task_id: t.taskId, agent_id: t.agentId, serving: t.healthy !== false }
      if (t.healthy !== undefined) b.healthy = t.healthy
      e.backends.push(b)
    }
  }
  const vips = [...entries.values()].sort((a, b) => compareVip(a, b))
  for (const e of vips) e.backends.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1))
  return { vips, errors }
}

function compareVip(a: VipEntry, b: VipEntry): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1
  if (a.port !== b.port) return a.port - b.port
  return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0
}

/** The agents' view: serving backends only, `ip:port` strings, in a stable order. */
export function agentVips(table: VipTable): AgentVip[] {
  return table.vips.map(e => ({ vip: e.vip, protocol: e.protocol, backends: e.backends.filter(b => b.serving).map(b => `${b.ip}:${b.port}`) }))
}

/** The VIPs whose name (`/` dropped, as DC/OS does) or address is `query`. */
export function findVips(table: VipTable, query: string): VipEntry[] {
  const q = query.replace(/^\/+/, '')
  return table.vips.filter(e => e.vip === q || e.ip === q || e.name === q || (e.name !== undefined && e.name.replace(/\//g, '') === q))
}
