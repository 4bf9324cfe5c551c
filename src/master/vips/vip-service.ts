// The leading master's VIP service: keeps the VIP table (vip-table.ts) in step with the tasks that declare VIPs,
// from the operator events and the status updates the master applies (a health change is no event), and pushes the
// table to every connected agent as one VIPS message: after its (re)registration and in the same turn of the event
// loop as a change (so well within the 1 s the issue asks). Named VIPs' addresses are allocated once and kept in the
// registrar's key-value area (namespace `vips`), so they survive restarts and failovers. See docs/discovery.md.
//
// What a flush walks is what it has to: every agent when the table changed (each gets it) and once a second (the
// safety net), otherwise only the agents that (re-)registered since the last one. A walk over every agent for each
// registration made a 10,000-agent master's start quadratic.

import type { MasterMessage, StatusUpdate } from '../../core/agent-protocol.ts'
import { logger } from '../../core/log.ts'
import type { Task } from '../../core/v1/messages.ts'
import type { NamespaceStore } from '../builtin-frameworks/store.ts'
import { agentAddress } from '../dns/feed.ts'
import type { Master } from '../master.ts'
import type { Viewer } from '../../core/authz/viewer.ts'
import type { OperatorEvents } from '../operator-events.ts'
import type { AgentLink, RegisteredAgent } from '../registered-agent.ts'
import type { MasterState } from '../state.ts'
import { VipAllocator, VipRange } from './vip-allocation.ts'
import { hasVipLabels, isIpv4, type VipDiscoveryInfo } from './vip-labels.ts'
import { agentVips, buildVipTable, type VipTable, type VipTaskFacts } from './vip-table.ts'

const log = logger('vips')
/** A safety net: links that changed without an event (none known) get the table within this (a walk over every agent). */
const RESEND_CHECK_MS = 1_000

export interface VipServiceOptions {
  range: VipRange
  store: NamespaceStore
  /** Called with the new table after every change (the DNS records of named VIPs). */
  onChange?: (table: VipTable) => void
}

/** What GET /api/meso/v1/vips answers. */
export interface VipsInfo extends VipTable { range: string }

const taskKey = (frameworkId: string, taskId: string) => `${frameworkId}/${taskId}`

/** The facts of a RUNNING task on a known agent, else undefined. */
export function vipFactsOf(s: MasterState, t: Task): VipTaskFacts | undefined {
  if (t.state !== 'TASK_RUNNING') return undefined
  const agent = s.agents.get(t.agent_id.value)
  const fw = s.frameworks.get(t.framework_id.value)
  if (!agent || !fw) return undefined
  const statuses = t.statuses ?? []
  const running = [...statuses].reverse().find(x => x.state === 'TASK_RUNNING')
  const containerIps = (running?.container_status?.network_infos ?? [])
    .flatMap(n => n.ip_addresses ?? []).map(a => a.ip_address ?? '').filter(isIpv4)
  return {
    frameworkId: fw.id, frameworkName: fw.info.name, taskId: t.task_id.value, agentId: agent.id,
    agentIp: agentAddress(agent).ip, containerIps, healthy: statuses.at(-1)?.healthy,
    discovery: t.discovery as VipDiscoveryInfo | undefined,
  }
}

export class VipService {
  private readonly allocator: VipAllocator
  /** Tasks that declare VIPs (any state), by framework/task id: the only ones a change can concern. */
  private readonly labelled = new Set<string>()
  private table: VipTable = { vips: [], errors: [] }
  private message: MasterMessage = { type: 'VIPS', vips: [] }
  private messageJson = '[]'
  private version = 0
  private readonly sent = new Map<string, { link: AgentLink; version: number }>()
  private dirty = true
  /** Agents that (re-)registered since the last flush: their link may not have the table yet. */
  private readonly joined = new Set<string>()
  /** Whether the next flush looks at every agent rather than only `joined` (at start, then every RESEND_CHECK_MS). */
  private sweep = true
  private scheduled = false
  private stopped = false
  private readonly timer: ReturnType<typeof setInterval>
  private readonly unlisten: (() => void)[] = []
  private reportedErrors = new Set<string>()

  constructor(private readonly master: Master, events: OperatorEvents, private readonly opts: VipServiceOptions) {
    this.allocator = new VipAllocator(opts.range, opts.store.list(), (key, ip) => {
      opts.store.put(key, ip)
      log.info(`Named VIP ${key} gets ${ip}`)
    })
    const s = master.state
    for (const fw of s.frameworks.values()) for (const t of fw.tasks.values()) if (hasVipLabels(t.discovery as VipDiscoveryInfo)) this.labelled.add(taskKey(fw.id, t.task_id.value))
    this.unlisten.push(events.listen((type, payload) => this.onEvent(type, payload)))
    this.unlisten.push(master.observeStatusUpdates(u => this.onStatus(u)))
    this.timer = setInterval(() => { this.sweep = true; this.schedule() }, RESEND_CHECK_MS)
    this.schedule()
  }

  get range(): VipRange { return this.opts.range }
  info(): VipsInfo { this.flushNow(); return { range: this.opts.range.cidr, ...this.table } }

  stop() {
    this.stopped = true
    clearInterval(this.timer)
    for (const u of this.unlisten) u()
  }

  private onEvent(type: string, payload: any) {
    switch (type) {
      case 'TASK_ADDED': {
        const t = payload?.task as Task | undefined
        if (t && hasVipLabels(t.discovery as VipDiscoveryInfo)) { this.labelled.add(taskKey(t.framework_id.value, t.task_id.value)); this.changed() }
        return
      }
      case 'TASK_UPDATED': {
        const key = taskKey(payload?.framework_id?.value ?? '', payload?.status?.task_id?.value ?? '')
        if (this.labelled.has(key)) this.changed()
        return
      }
      // A new link needs the table; a removed agent takes its backends along; a framework's tasks go with it.
      case 'AGENT_ADDED': {
        const id = payload?.agent?.agent_info?.id?.value
        if (typeof id === 'string') this.joined.add(id)
        else this.sweep = true
        this.schedule()
        return
      }
      case 'AGENT_REMOVED': {
        const id = payload?.agent_id?.value
        if (typeof id === 'string') this.sent.delete(id)
        this.changed()
        return
      }
      case 'FRAMEWORK_REMOVED': case 'FRAMEWORK_UPDATED': this.changed()
    }
  }

  private onStatus(u: StatusUpdate) {
    if (this.labelled.has(taskKey(u.framework_id, u.status.task_id.value))) this.changed()
  }

  private changed() { this.dirty = true; this.schedule() }

  /** Coalesces the changes of one turn (a burst of status updates) into one rebuild and one message per agent. */
  private schedule() {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    setTimeout(() => { this.scheduled = false; if (!this.stopped) this.flushNow() }, 0)
  }

  private rebuild() {
    const s = this.master.state
    const facts: VipTaskFacts[] = []
    for (const key of [...this.labelled]) {
      const slash = key.indexOf('/')
      const fw = s.frameworks.get(key.slice(0, slash))
      const t = fw?.tasks.get(key.slice(slash + 1))
      if (!t) { this.labelled.delete(key); continue }
      const f = vipFactsOf(s, t)
      if (f) facts.push(f)
    }
    this.table = buildVipTable(facts, key => this.allocator.addressOf(key))
    for (const e of this.table.errors) {
      const line = `Task ${e.task_id} of framework ${e.framework_id}: ${e.message}`
      if (!this.reportedErrors.has(line)) log.warn(`Ignoring a VIP label: ${line}`)
    }
    this.reportedErrors = new Set(this.table.errors.map(e => `Task ${e.task_id} of framework ${e.framework_id}: ${e.message}`))
    const vips = agentVips(this.table)
    const json = JSON.stringify(vips)
    if (json !== this.messageJson) {
      this.messageJson = json
      this.message = { type: 'VIPS', vips }
      this.version++
      this.opts.onChange?.(this.table)
    }
  }

  private flushNow() {
    const version = this.version
    if (this.dirty) { this.dirty = false; this.rebuild() }
    const s = this.master.state
    if (this.sweep || this.version !== version) {
      this.sweep = false
      for (const a of s.agents.values()) this.sendTo(a)
      for (const id of this.sent.keys()) if (!s.agents.has(id)) this.sent.delete(id)
    } else {
      for (const id of this.joined) {
        const a = s.agents.get(id)
        if (a) this.sendTo(a)
        else this.sent.delete(id)
      }
    }
    this.joined.clear()
  }

  /** The table to the agent's link unless that link has it already. */
  private sendTo(a: RegisteredAgent) {
    if (!a.connected || !a.link) { this.sent.delete(a.id); return }
    const last = this.sent.get(a.id)
    if (last && last.link === a.link && last.version === this.version) return
    try { a.link.send(this.message) } catch (err) { log.warn(`Sending the VIP table to agent ${a.id} failed: ${(err as Error).message}`); return }
    this.sent.set(a.id, { link: a.link, version: this.version })
  }
}

/** GET /api/meso/v1/vips: the table, without the backends and label errors of frameworks `viewer` may not see. */
export function vipsView(master: Master, service: VipService, viewer: Viewer | undefined): VipsInfo {
  const info = service.info()
  if (!viewer) return info
  const visible = (frameworkId: string) => {
    const fw = master.state.frameworks.get(frameworkId)
    return !!fw && viewer.framework(fw.info)
  }
  return {
    range: info.range,
    vips: info.vips.map(e => ({ ...e, backends: e.backends.filter(b => visible(b.framework_id)) })).filter(e => e.backends.length),
    errors: info.errors.filter(e => visible(e.framework_id)),
  }
}
