// Why `meso task run` has no place for its task yet, or never will. Pure: the request and what the cluster has
// (GET_AGENTS' totals and allocations per agent, taken once at start, and the offers seen since) in, a verdict out.
// "Never" means no agent's total could hold the request even with nothing else running: the CLI fails at once,
// naming what is short where. Otherwise the reason for waiting names the resources in use, so neither the spinner
// nor the --timeout hint says "lower --cpus" when ports or GPUs are what is missing.

import { formatRanges, mergeRanges, Resources, type Range } from '../core/resources.ts'

/** One agent as GET_AGENTS shows it (only the unreserved resources count: `task run` asks for unreserved ones). */
export interface AgentResources {
  id: string
  hostname: string
  /** Registered and not deactivated (maintenance). */
  active: boolean
  total: Resources
  allocated: Resources
  /** Offered to frameworks when GET_AGENTS answered (not free for us until declined). */
  offered: Resources
}

export interface ClusterView {
  agents: AgentResources[]
  /** The master's --filter_gpu_resources (Mesos default true): agents with GPUs are offered only to GPU frameworks. */
  filterGpuResources: boolean
}

export interface PlacementRequest {
  /** The task's resources, unreserved, unallocated. */
  want: Resources
  /** The framework has GPU_RESOURCES (`--gpus` given, 0 included). */
  gpuCapable: boolean
}

/** What keeps a task off one agent, for one resource. */
interface Short {
  name: string
  /** `cpus 1000`, `ports 8080`: the part of the request that does not fit. */
  need: string
  /** The amount there is (scalars), for "largest is …". */
  have?: number
  /** Ports the agent does not have (ranges resources). */
  missing?: Range[]
}

export interface Waiting {
  /** `cpus in use on 2/2 agents, ports 31080 not offered on 1/2 agents` */
  reason: string
  /** What to do about it, naming the flag of the resource that is short. */
  hint: string
}

const ORDER = ['cpus', 'mem', 'disk', 'gpus', 'ports']
const FLAG: Record<string, string> = { cpus: '--cpus', mem: '--mem', disk: '--disk', gpus: '--gpus' }

/** GET_AGENTS' answer as the diagnosis needs it. */
export function agentsFromGetAgents(r: { agents?: { agent_info: { id?: { value: string }; hostname: string }; active?: boolean; total_resources?: unknown[]; allocated_resources?: unknown[]; offered_resources?: unknown[] }[] }): AgentResources[] {
  const bag = (list: unknown[] | undefined) => Resources.of(list as Parameters<typeof Resources.of>[0]).unallocated().unreserved()
  return (r.agents ?? []).map(a => ({
    id: a.agent_info.id?.value ?? '?',
    hostname: a.agent_info.hostname,
    active: a.active !== false,
    total: bag(a.total_resources),
    allocated: bag(a.allocated_resources),
    offered: bag(a.offered_resources),
  }))
}

const names = (want: Resources) => [...want.names()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
const rank = (n: string) => { const i = ORDER.indexOf(n); return i < 0 ? ORDER.length : i }

function portsText(rs: Range[]): string {
  return rs.map(r => (r.begin === r.end ? `${r.begin}` : `${r.begin}-${r.end}`)).join(',')
}

/** Ranges of `want` outside `have`. */
function outside(want: Range[], have: Range[]): Range[] {
  const out: Range[] = []
  for (const w of want) {
    let from = w.begin
    for (const h of have) {
      if (h.end < from || h.begin > w.end) continue
      if (h.begin > from) out.push({ begin: from, end: h.begin - 1 })
      from = Math.max(from, h.end + 1)
      if (from > w.end) break
    }
    if (from <= w.end) out.push({ begin: from, end: w.end })
  }
  return mergeRanges(out)
}

/** What of `want` does not fit in `have`. */
function shortfalls(want: Resources, have: Resources): Short[] {
  const out: Short[] = []
  for (const name of names(want)) {
    const need = want.scalar(name)
    if (need > 0) {
      const there = have.scalar(name)
      if (there + 1e-9 < need) out.push({ name, need: `${name} ${need}`, have: there })
      continue
    }
    const ranges = want.ranges(name)
    if (ranges.length) {
      const missing = outside(ranges, have.ranges(name))
      if (missing.length) out.push({ name, need: `${name} ${portsText(missing)}`, missing })
    }
  }
  return out
}

const excludedForGpus = (req: PlacementRequest, cluster: ClusterView, a: AgentResources) =>
  cluster.filterGpuResources && !req.gpuCapable && a.total.scalar('gpus') > 0

const agentName = (a: AgentResources) => `agent ${a.id} on ${a.hostname}`
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * Why no agent could ever hold the request, as one line (`no agent can fit cpus=1000 mem=32, not even an idle one:
 * cpus 1000: the largest agent has 2 (agent a1 on host x); lower --cpus`), or undefined when some agent could once enough is free. With no agents at all there is
 * nothing to judge: one may still register.
 */
export function neverFits(req: PlacementRequest, cluster: ClusterView, describe: string): string | undefined {
  if (!cluster.agents.length) return undefined
  const shorts = cluster.agents.map(a => ({ agent: a, short: shortfalls(req.want, a.total), excluded: excludedForGpus(req, cluster, a) }))
  if (shorts.some(s => !s.short.length && !s.excluded)) return undefined
  const head = `no agent can fit ${describe}, not even an idle one`
  const gpuOnly = shorts.filter(s => !s.short.length).map(s => s.agent)
  if (gpuOnly.length) {
    // It would fit, but only on agents the master offers to GPU frameworks alone.
    const list = gpuOnly.slice(0, 3).map(agentName).join(', ') + (gpuOnly.length > 3 ? ', …' : '')
    return `${head}: it fits only ${plural(gpuOnly.length, 'agent')} with GPUs (${list}), offered only to tasks that ask for GPUs (master --filter_gpu_resources); add --gpus 0 to run there without a GPU`
  }

  const parts: string[] = []
  const hints: string[] = []
  for (const name of names(req.want)) {
    if (!shorts.every(s => s.short.some(x => x.name === name))) continue
    const mine = shorts.map(s => ({ agent: s.agent, short: s.short.find(x => x.name === name)! }))
    if (mine[0]!.short.missing) {
      // A port short on every agent: which of the requested ones no agent has at all.
      const offered = mergeRanges(cluster.agents.flatMap(a => a.total.ranges(name)))
      const nowhere = outside(req.want.ranges(name), offered)
      const where = offered.length ? `agents offer ${name} ${formatRanges(offered)}` : `no agent has ${name} resources`
      parts.push(nowhere.length
        ? `${name} ${portsText(nowhere)} not offered by any agent (${where})`
        : `no agent offers all of ${name} ${portsText(req.want.ranges(name))} (${where})`)
      hints.push(name === 'ports' ? `use host ports the agents offer with -p (or widen the agents' --resources ports)` : `ask for ${name} the agents offer`)
    } else {
      const best = mine.reduce((a, b) => ((b.short.have ?? 0) > (a.short.have ?? 0) ? b : a))
      parts.push((best.short.have ?? 0) > 0
        ? `${best.short.need}: the largest agent has ${best.short.have} (${agentName(best.agent)})`
        : `${best.short.need}: no agent has ${name}`)
      if ((best.short.have ?? 0) > 0) hints.push(FLAG[name] ? `lower ${FLAG[name]}` : `ask for less ${name}`)
      else hints.push(name === 'gpus' ? 'run without --gpus or add GPU agents' : `add agents with ${name}`)
    }
  }
  if (!parts.length) {
    // Every resource fits somewhere, but never all of them on one agent.
    parts.push(shorts.map(s => `${agentName(s.agent)} lacks ${s.short.map(x => x.need).join(', ')}`).join('; '))
    hints.push('ask for less, so that one agent can hold all of it')
  }
  return `${head}: ${parts.join('; ')}; ${[...new Set(hints)].join(', ')}`
}

/**
 * Why the task is still waiting: for each agent, what is short in its latest offer to us (or, before it made one,
 * in what GET_AGENTS said was neither allocated nor offered). Counts are over all agents, so "cpus 1 in use on 1/2
 * agents, mem 4096 too much on 1/2 agents" says both why the big agent is busy and why the small one never helps.
 */
export function waitingReason(req: PlacementRequest, cluster: ClusterView | undefined, offers: ReadonlyMap<string, Resources>): Waiting {
  if (!cluster) {
    // GET_AGENTS was refused: only the offers tell anything.
    if (!offers.size) return { reason: 'no offers yet', hint: 'are agents registered? (meso agent list)' }
    return summarize(req, [...offers.values()].map(have => ({ inUse: shortfalls(req.want, have) })))
  }
  if (!cluster.agents.length) return { reason: 'no agents registered', hint: "start one (meso agent --master …, or meso up)" }
  return summarize(req, cluster.agents.map(a => {
    if (excludedForGpus(req, cluster, a)) return { gpuOnly: true }
    const never = shortfalls(req.want, a.total)
    if (never.length) return { never }
    if (!a.active) return { deactivated: true }
    const have = offers.get(a.id) ?? a.total.minus(a.allocated).minus(a.offered)
    return { inUse: shortfalls(req.want, have) }
  }))
}

/** One agent's part in the wait: too small for good, deactivated, GPU-only, or what of the request is in use. */
interface AgentVerdict { never?: Short[]; inUse?: Short[]; deactivated?: boolean; gpuOnly?: boolean }

function summarize(req: PlacementRequest, verdicts: AgentVerdict[]): Waiting {
  const n = verdicts.length
  const counts = new Map<string, number>()
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1)
  const hints: string[] = []
  let roomNoOffer = 0
  for (const v of verdicts) {
    for (const s of v.inUse ?? []) bump(`${s.need} in use`)
    for (const s of v.never ?? []) bump(s.missing ? `${s.need} not offered` : `${s.need} too much`)
    if (v.deactivated) bump('deactivated')
    if (v.gpuOnly) bump('GPUs only for --gpus tasks')
    if (v.inUse && !v.inUse.length) roomNoOffer++
  }
  const parts = [...counts].map(([what, k]) => `${what} on ${k}/${n} agents`)
  if (roomNoOffer) parts.push(`${roomNoOffer}/${n} agents have room but made no offer yet`)
  const inUse = new Set(verdicts.flatMap(v => (v.inUse ?? []).map(s => s.name)))
  for (const name of names(req.want)) {
    if (!inUse.has(name)) continue
    hints.push(name === 'ports' ? 'free the host ports or pick others with -p' : FLAG[name] ? `lower ${FLAG[name]}` : `ask for less ${name}`)
  }
  if (counts.has('deactivated')) hints.push('reactivate the agents (maintenance)')
  if (roomNoOffer) hints.push('other frameworks may hold the offers')
  const hint = hints.length ? `${hints.join(', ')}, or wait longer (--timeout)` : 'wait longer (--timeout)'
  return { reason: parts.join(', ') || 'no offers yet', hint }
}
