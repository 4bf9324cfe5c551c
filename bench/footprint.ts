// Master footprint: RSS of the master process and the latency of GET_STATE (v1 operator API, JSON) and
// /master/state (v0) with N simulated agents (bench/sim/) and M running tasks, against the same measures taken in
// the same run with the same agents and no tasks; each answer plain and gzip-encoded (Accept-Encoding: gzip).
// Tasks are launched by a framework on the v1 scheduler API and never finish; the framework stays subscribed while
// the master is measured, as in a real cluster.
//
// Then, loaded, whether the master keeps serving while it writes state answers: a probe framework
// (lib/probe-framework.ts) on a few agents of its own launches a short task at a steady pace, and the p50/p99 of its
// ACCEPT and ACKNOWLEDGE calls and of the agents' status update round trips (STATUS_UPDATE → ACKNOWLEDGE) are taken
// with nothing else going on, while 4 clients (lib/state-fetchers.ts, another process) fetch /master/state over and
// over, and while 4 clients call GET_STATE over and over, in alternating phases.
//
// With --heap, what the master's heap holds at that size: the same cluster state built in a process of its own
// with the checkout's MasterHarness (no sockets: what is left is the state), then bun:jsc heapStats() after a full
// GC: live heap, the heap's capacity (live plus the free cells of blocks that are not empty, which RSS pays for too)
// and the most numerous object types; for the baseline checkout as well.
//
//   bun bench/footprint.ts [--quick] [--agents N] [--tasks M] [--heap]

import { startBenchMaster, waitForMetrics } from './lib/bench-master.ts'
import { GreedyFramework } from './lib/greedy-framework.ts'
import { printResult } from './lib/print-result.ts'
import { interleaved, loadNote, machine, median, percentile, type BenchResult } from './lib/measure.ts'
import { baselineMaster, mesoDescription } from './lib/meso-bin.ts'
import { ProbeFramework } from './lib/probe-framework.ts'
import { cpuSeconds, peakRssBytes, rssBytes, schedSeconds } from './lib/procfs.ts'
import { Fleet, SIM_AGENT_RESOURCES } from './sim/fleet.ts'
import { BUN, ROOT } from './lib/meso-bin.ts'
import { join } from 'node:path'

export interface FootprintOptions { quick: boolean; agents?: number; tasks?: number; rounds?: number; heap?: boolean }

interface Snapshot {
  /** JSON.stringify of the same GET_STATE document in this process: the floor for any JS master on this machine. */
  stringifyFloorMs: number
  rssMB: number
  rssAfterMB: number
  getStateMs: number[]
  stateMs: number[]
  getStateMB: number
  stateMB: number
  /** The same answers gzip-encoded (timed to their last compressed byte, not decompressed) and their size. */
  getStateGzipMs: number[]
  stateGzipMs: number[]
  getStateGzipMB: number
  stateGzipMB: number
  /**
   * The master's CPU time (user + system, all threads, from /proc) per identity-encoded answer, ms: unlike the wall
   * time it hardly moves with what else the machine runs, so it is the figure to compare across runs.
   */
  getStateCpuMs: number[]
  stateCpuMs: number[]
}

/**
 * Times a request to its last byte; the body is not parsed (that would be the client's cost, not the master's).
 * With `cpu`, the master's CPU time over the request is added to `cpu.ms`.
 */
async function timed(req: () => Promise<Response>, sizes: number[], keep?: { body?: ArrayBuffer }, cpu?: { pid: number; ms: number[] }): Promise<number> {
  const c0 = cpu ? cpuSeconds(cpu.pid) : 0
  const t0 = performance.now()
  const res = await req()
  const body = await res.arrayBuffer()
  const ms = performance.now() - t0
  if (cpu) cpu.ms.push((cpuSeconds(cpu.pid) - c0) * 1000)
  if (res.status !== 200) throw new Error(`state request → ${res.status}: ${new TextDecoder().decode(body).slice(0, 200)}`)
  sizes.push(body.byteLength)
  if (keep) keep.body = body
  return ms
}

/** Median time to JSON.stringify the document `body` holds (parsed once), in this process. */
function stringifyFloor(body: ArrayBuffer | undefined, rounds = 3): number {
  if (!body) return NaN
  const doc = JSON.parse(new TextDecoder().decode(body))
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now()
    JSON.stringify(doc)
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function snapshot(url: string, pid: number, rounds: number, settleMs: number): Promise<Snapshot> {
  const getStateSizes: number[] = []
  const stateSizes: number[] = []
  const getStateGzipSizes: number[] = []
  const stateGzipSizes: number[] = []
  const last: { body?: ArrayBuffer } = {}
  const getStateCpu = { pid, ms: [] as number[] }
  const stateCpu = { pid, ms: [] as number[] }
  // fetch() asks for gzip by default and would decompress in this process: each variant says what it accepts.
  const getState = (encoding: string) => () => fetch(`${url}/api/v1`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Encoding': encoding }, body: '{"type":"GET_STATE"}', decompress: false,
  } as RequestInit)
  const state = (encoding: string) => () => fetch(`${url}/master/state`, { headers: { 'Accept-Encoding': encoding }, decompress: false } as RequestInit)
  // RSS at rest: the launch burst's garbage is collected and its pages returned over several seconds (JSC's GC and
  // allocator scavenger), so reading at once would report the burst, not the master's state.
  await Bun.sleep(settleMs)
  const rss = rssBytes(pid)
  const results = await interleaved([
    { name: 'GET_STATE', run: () => timed(getState('identity'), getStateSizes, last, getStateCpu) },
    { name: '/master/state', run: () => timed(state('identity'), stateSizes, undefined, stateCpu) },
    { name: 'GET_STATE gzip', run: () => timed(getState('gzip'), getStateGzipSizes) },
    { name: '/master/state gzip', run: () => timed(state('gzip'), stateGzipSizes) },
  ], rounds)
  const rssAfter = rssBytes(pid)
  return {
    stringifyFloorMs: stringifyFloor(last.body),
    rssMB: rss / 2 ** 20,
    rssAfterMB: rssAfter / 2 ** 20,
    getStateMs: results.get('GET_STATE')!,
    stateMs: results.get('/master/state')!,
    getStateMB: (getStateSizes.at(-1) ?? 0) / 2 ** 20,
    stateMB: (stateSizes.at(-1) ?? 0) / 2 ** 20,
    getStateGzipMs: results.get('GET_STATE gzip')!,
    stateGzipMs: results.get('/master/state gzip')!,
    getStateGzipMB: (getStateGzipSizes.at(-1) ?? 0) / 2 ** 20,
    stateGzipMB: (stateGzipSizes.at(-1) ?? 0) / 2 ** 20,
    // The warm-up round is left out, as for the times.
    getStateCpuMs: getStateCpu.ms.slice(1),
    stateCpuMs: stateCpu.ms.slice(1),
  }
}

/** What the probe measured in one kind of phase: call and update round trips, ms. */
interface Phase {
  accept: number[]; acknowledge: number[]; update: number[]
  /** The master's main thread over the phase: seconds of wall time, on a CPU, and waiting for one (schedSeconds). */
  wallS: number; runS: number; waitS: number
}

/** A phase with clients fetching a state answer, and those fetches. */
interface Fetching extends Phase {
  /** Each fetch's time to its last byte, ms. */
  fetchMs: number[]
  fetchMB: number
  fetchErrors: string
}

interface Serving {
  idle: Phase
  /** While clients fetch /master/state (v0). */
  fetching: Fetching
  /** While clients call GET_STATE (v1, JSON). */
  fetchingV1: Fetching
  probeAgents: number
  probeFailures: string
  phaseSeconds: number
  rounds: number
}

/** Clients fetching `path` for `seconds` from another process (lib/state-fetchers.ts). */
async function stateFetchers(url: string, clients: number, seconds: number, path: string): Promise<{ ms: number[]; bytes: number; errors: number; lastError: string }> {
  const proc = Bun.spawn([BUN, join(ROOT, 'bench/lib/state-fetchers.ts'), url, String(clients), String(seconds), path, 'identity'], { stdout: 'pipe', stderr: 'inherit' })
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  if (code !== 0) throw new Error(`state fetchers exited with ${code}: ${out.slice(-500)}`)
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

/**
 * The loaded master's service to a probe framework (on agents of its own: the cluster is full), idle and while
 * FETCHERS clients fetch /master/state or GET_STATE, in alternating phases.
 */
async function serving(url: string, masterPid: number, firstAgent: number, quick: boolean): Promise<Serving> {
  const probe = new ProbeFramework(url, PROBE_EVERY_MS)
  let probeFleet: Fleet | undefined
  const probeAgents = quick ? 20 : 40
  const phaseSeconds = quick ? 3 : 10
  const rounds = quick ? 1 : 2
  const phase = (): Phase => ({ accept: [], acknowledge: [], update: [], wallS: 0, runS: 0, waitS: 0 })
  const idle: Phase = phase()
  const fetching: Fetching = { ...phase(), fetchMs: [], fetchMB: 0, fetchErrors: '' }
  const fetchingV1: Fetching = { ...phase(), fetchMs: [], fetchMB: 0, fetchErrors: '' }
  try {
    // Subscribed before its agents come: their first offers go to it, not to the full cluster's framework.
    await probe.start()
    probeFleet = await Fleet.start({ master: url, agents: probeAgents, first: firstAgent, resources: SIM_AGENT_RESOURCES, taskMs: 100 })
    const fleet = probeFleet
    await Bun.sleep(2000)
    let sched0 = schedSeconds(masterPid)
    let t0 = performance.now()
    const begin = async () => { probe.take(); await fleet.roundTrips(true); sched0 = schedSeconds(masterPid); t0 = performance.now() }
    const end = async (into: Phase) => {
      const sched1 = schedSeconds(masterPid)
      if (sched0 && sched1) {
        into.wallS += (performance.now() - t0) / 1000
        into.runS += sched1.run - sched0.run
        into.waitS += sched1.wait - sched0.wait
      }
      const s = probe.take()
      into.accept.push(...s.accept)
      into.acknowledge.push(...s.acknowledge)
      into.update.push(...await fleet.roundTrips(false))
    }
    const fetchPhase = (path: string, into: Fetching) => async () => {
      await begin()
      const r = await stateFetchers(url, FETCHERS, phaseSeconds, path)
      await end(into)
      into.fetchMs.push(...r.ms)
      into.fetchMB = r.bytes / 2 ** 20
      if (r.errors) into.fetchErrors = `${r.errors} ${path} fetches failed (last: ${r.lastError})`
    }
    await interleaved([
      { name: 'idle', run: async () => { await begin(); await Bun.sleep(phaseSeconds * 1000); await end(idle) } },
      { name: 'fetching /master/state', run: fetchPhase('/master/state', fetching) },
      { name: 'fetching GET_STATE', run: fetchPhase('GET_STATE', fetchingV1) },
    ], rounds, 0)
  } finally {
    await probe.teardown().catch(() => {})
    await probeFleet?.stop()
  }
  return {
    idle, fetching, fetchingV1, probeAgents, phaseSeconds, rounds,
    probeFailures: probe.failed ? `${probe.failed} probe tasks failed (last: ${probe.lastFailure})` : '',
  }
}

/** Concurrent /master/state clients while the probe is measured (the issue's scenario). */
const FETCHERS = 4
/** The probe launches one task this often (while it holds an offer). */
const PROBE_EVERY_MS = 25

interface Measured { empty: Snapshot; full: Snapshot; serving: Serving; running: number; failed: string; registerSeconds: number; fillSeconds: number; peakMB: number }

async function measure(agents: number, tasks: number, rounds: number, quick: boolean, command?: string[]): Promise<Measured> {
  const master = await startBenchMaster([], {}, command)
  let fleet: Fleet | undefined
  let fw: GreedyFramework | undefined
  try {
    fleet = await Fleet.start({ master: master.url, agents, resources: SIM_AGENT_RESOURCES, taskMs: -1 })
    await waitForMetrics(master.url, m => m['master/slaves_active'] === agents)
    const settleMs = quick ? 2000 : SETTLE_MS
    const empty = await snapshot(master.url, master.pid, rounds, settleMs)

    fw = new GreedyFramework({ master: master.url, name: 'footprint-bench', maxTasks: tasks, maxInFlight: quick ? 1000 : 5000 })
    const t0 = performance.now()
    await fw.start()
    // Quick runs of a full-size cluster (--quick --tasks 100000) on a loaded machine need more than a minute to fill.
    const deadline = Date.now() + Math.max(quick ? 60_000 : 300_000, tasks * 2)
    while (fw.running + fw.failed < tasks) {
      if (Date.now() > deadline) throw new Error(`only ${fw.running} of ${tasks} tasks running after the deadline`)
      await Bun.sleep(100)
    }
    const fillSeconds = (performance.now() - t0) / 1000
    // Every update acknowledged (the agents hold no unacknowledged update), so the master is at rest.
    await waitForMetrics(master.url, m => m['master/tasks_running'] === fw!.running, 30_000)
    const full = await snapshot(master.url, master.pid, rounds, settleMs)
    const peakMB = peakRssBytes(master.pid) / 2 ** 20
    const serve = await serving(master.url, master.pid, agents, quick)
    return {
      empty, full, serving: serve, running: fw.running, failed: fw.failed ? `${fw.failed} tasks did not start (last: ${fw.lastFailure})` : '',
      registerSeconds: fleet.registerMs / 1000, fillSeconds, peakMB,
    }
  } finally {
    await fw?.teardown().catch(() => {})
    await fleet?.stop()
    await master.stop()
  }
}

/** What heapBreakdown reports of one checkout's master state. */
interface HeapBreakdown { liveMB: number; capacityMB: number; rssMB: number; objects: number; top: [string, number][] }

/**
 * The heap of `root`'s master state with `agents` agents and `tasks` running tasks, built in a child process
 * (`--heap-of`, below) so that neither the benchmark's own objects nor another checkout's count.
 */
async function heapBreakdown(root: string, agents: number, tasks: number): Promise<HeapBreakdown> {
  const proc = Bun.spawn([BUN, import.meta.path, '--heap-of', root, String(agents), String(tasks)], { stdout: 'pipe', stderr: 'ignore' })
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  if (code !== 0) throw new Error(`heap breakdown of ${root} exited with ${code}: ${out.slice(-500)}`)
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

/**
 * Builds the benchmark's cluster state with `root`'s MasterHarness, as the simulated agents and the greedy framework
 * would: command tasks of 0.1 cpus / 32 MB, each reported STARTING then RUNNING (with a container id and one network
 * address) and both updates acknowledged. Requests and updates are parsed from JSON, as the master gets them.
 */
async function heapOf(root: string, agents: number, tasks: number): Promise<HeapBreakdown> {
  const { heapStats } = await import('bun:jsc')
  const { MasterHarness } = await import(join(root, 'src/master/harness.ts'))
  const h = new MasterHarness()
  const byId = new Map<string, any>()
  for (let i = 0; i < agents; i++) {
    const { agent } = h.registerAgent(SIM_AGENT_RESOURCES, `sim-${i}.bench`)
    byId.set(agent.id, agent)
    h.effects.length = 0
  }
  const { framework: fw } = h.subscribe({ name: 'footprint-bench', user: 'root', checkpoint: true, failover_timeout: 0 })
  const perAgent = Math.ceil(tasks / agents)
  let seq = 0
  while (seq < tasks) {
    h.allocate()
    const offers = h.offersFor(fw)
    h.effects.length = 0
    if (!offers.length) break
    for (const offer of offers) {
      if (seq >= tasks) { h.master.decline(fw, [offer.id.value], 3600); continue }
      const role = offer.resources?.[0]?.allocation_info?.role ?? '*'
      const infos = []
      for (let i = 0; i < perAgent && seq < tasks; i++) {
        const id = `t${seq++}`
        infos.push({ name: id, task_id: { value: id }, agent_id: offer.agent_id, command: { value: 'sleep 1' }, resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role } },
          { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role } }] })
      }
      h.master.accept(fw, [offer.id.value], JSON.parse(JSON.stringify([{ type: 'LAUNCH', launch: { task_infos: infos } }])), 3600)
      const agent = byId.get(offer.agent_id.value)
      for (const info of infos) {
        const containerId = crypto.randomUUID()
        for (const state of ['TASK_STARTING', 'TASK_RUNNING']) {
          const uuid = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
          const status = JSON.parse(JSON.stringify({
            task_id: info.task_id, state, source: 'SOURCE_EXECUTOR', agent_id: { value: agent.id }, executor_id: info.task_id, timestamp: Date.now() / 1000, uuid,
            container_status: { container_id: { value: containerId }, network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.1' }] }], ...(state === 'TASK_RUNNING' ? { executor_pid: 1000 + seq } : {}) },
          }))
          h.master.fromAgent(agent, { type: 'STATUS_UPDATE', update: { framework_id: fw.id, status } })
          h.master.acknowledge(fw, agent.id, info.task_id.value, JSON.parse(JSON.stringify(uuid)))
        }
      }
      h.effects.length = 0
    }
  }
  h.effects.length = 0
  h.persisted.length = 0
  Bun.gc(true)
  const hs = heapStats()
  const result: HeapBreakdown = {
    liveMB: hs.heapSize / 2 ** 20, capacityMB: hs.heapCapacity / 2 ** 20, rssMB: process.memoryUsage().rss / 2 ** 20, objects: hs.objectCount,
    top: Object.entries(hs.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 8),
  }
  // Kept reachable until measured.
  if (h.master.state.agents.size !== agents) throw new Error('agents lost')
  return result
}

/** RSS "at rest" is read this long after the last launch (full mode). */
const SETTLE_MS = 15_000

export async function runFootprintBench(opts: FootprintOptions): Promise<BenchResult> {
  const agents = opts.agents ?? (opts.quick ? 500 : 10_000)
  const tasks = opts.tasks ?? (opts.quick ? 5_000 : 100_000)
  const rounds = opts.rounds ?? (opts.quick ? 3 : 5)
  const load = loadNote()
  const baseline = baselineMaster()
  const runs: { label: string; m: Measured }[] = [{ label: mesoDescription(), m: await measure(agents, tasks, rounds, opts.quick) }]
  if (baseline) runs.push({ label: baseline.label, m: await measure(agents, tasks, rounds, opts.quick, baseline.command) })

  const rows: Record<string, number | string>[] = []
  const notes: string[] = []
  for (const { label, m } of runs) {
    const { empty, full } = m
    const row = (state: string, n: number, s: Snapshot) => ({
      master: label, state, agents, tasks: n,
      'RSS at rest MB': Math.round(s.rssMB),
      'RSS after state requests MB': Math.round(s.rssAfterMB),
      'GET_STATE median ms': median(s.getStateMs), 'GET_STATE max ms': Math.max(...s.getStateMs), 'GET_STATE MB': s.getStateMB,
      'GET_STATE stringify floor ms': s.stringifyFloorMs,
      'GET_STATE master CPU ms': median(s.getStateCpuMs),
      '/master/state median ms': median(s.stateMs), '/master/state max ms': Math.max(...s.stateMs), '/master/state MB': s.stateMB,
      '/master/state master CPU ms': median(s.stateCpuMs),
      'GET_STATE gzip median ms': median(s.getStateGzipMs), 'GET_STATE gzip MB': s.getStateGzipMB,
      '/master/state gzip median ms': median(s.stateGzipMs), '/master/state gzip MB': s.stateGzipMB,
    })
    const serve = m.serving
    const servingRow = (state: string, p: Phase, extra: Record<string, number | string>) => ({
      master: label, state, agents: agents + serve.probeAgents, tasks: m.running,
      'ACCEPT p50 ms': percentile(p.accept, 0.5), 'ACCEPT p99 ms': percentile(p.accept, 0.99),
      'ACKNOWLEDGE p50 ms': percentile(p.acknowledge, 0.5), 'ACKNOWLEDGE p99 ms': percentile(p.acknowledge, 0.99),
      'agent update p50 ms': percentile(p.update, 0.5), 'agent update p99 ms': percentile(p.update, 0.99),
      'samples (ACCEPT/ACK/update)': `${p.accept.length}/${p.acknowledge.length}/${p.update.length}`,
      'master loop on CPU %': p.wallS ? 100 * p.runS / p.wallS : '', 'master loop waiting for a CPU %': p.wallS ? 100 * p.waitS / p.wallS : '',
      ...extra,
    })
    rows.push(row('no tasks (baseline)', 0, empty), row('loaded', m.running, full), {
      master: label, state: 'ratio loaded / baseline', agents: '', tasks: '',
      'RSS at rest MB': full.rssMB / empty.rssMB,
      'RSS after state requests MB': full.rssAfterMB / empty.rssAfterMB,
      'GET_STATE median ms': median(full.getStateMs) / median(empty.getStateMs), 'GET_STATE max ms': '', 'GET_STATE MB': full.getStateMB / empty.getStateMB,
      'GET_STATE stringify floor ms': full.stringifyFloorMs / empty.stringifyFloorMs,
      // Ticks of 10 ms: an empty master's answer may take none.
      'GET_STATE master CPU ms': median(empty.getStateCpuMs) ? median(full.getStateCpuMs) / median(empty.getStateCpuMs) : '',
      '/master/state median ms': median(full.stateMs) / median(empty.stateMs), '/master/state max ms': '', '/master/state MB': full.stateMB / empty.stateMB,
      '/master/state master CPU ms': median(empty.stateCpuMs) ? median(full.stateCpuMs) / median(empty.stateCpuMs) : '',
      'GET_STATE gzip median ms': median(full.getStateGzipMs) / median(empty.getStateGzipMs), 'GET_STATE gzip MB': full.getStateGzipMB / empty.getStateGzipMB,
      '/master/state gzip median ms': median(full.stateGzipMs) / median(empty.stateGzipMs), '/master/state gzip MB': full.stateGzipMB / empty.stateGzipMB,
    }, servingRow('serving, idle', serve.idle, {}), ...([['/master/state', serve.fetching], ['GET_STATE', serve.fetchingV1]] as const).map(([what, f]) =>
      servingRow(`serving, ${FETCHERS} clients fetching ${what}`, f, { 'state fetches': f.fetchMs.length, 'fetch median ms': median(f.fetchMs), 'fetch p99 ms': percentile(f.fetchMs, 0.99) })))
    const fetched = (what: string, f: Fetching) => `${f.fetchMs.length} ${what} fetches of ${f.fetchMB.toFixed(1)} MB${f.fetchErrors ? ` (${f.fetchErrors})` : ''}`
    notes.push(`${label}: serving measured over ${serve.rounds} × ${serve.phaseSeconds} s of each phase (alternating) with ${serve.probeAgents} probe agents ` +
      `beside the full cluster; while fetching, the ${FETCHERS} clients made ${fetched('/master/state', serve.fetching)}, and ${fetched('GET_STATE', serve.fetchingV1)}.` +
      `${serve.probeFailures ? ' ' + serve.probeFailures + '.' : ''}`)
    notes.push(`${label}: ${agents} simulated agents registered in ${m.registerSeconds.toFixed(1)} s; ${m.running} tasks launched and running in ` +
      `${m.fillSeconds.toFixed(1)} s; peak RSS (VmHWM) over the run ${Math.round(m.peakMB)} MB.${m.failed ? ' ' + m.failed : ''}`)
  }
  if (baseline) {
    const [a, b] = [runs[0]!.m.full, runs[1]!.m.full]
    rows.push({
      master: `ratio this / ${baseline.label}`, state: 'loaded', agents: '', tasks: '',
      'RSS at rest MB': a.rssMB / b.rssMB, 'RSS after state requests MB': a.rssAfterMB / b.rssAfterMB,
      'GET_STATE median ms': median(a.getStateMs) / median(b.getStateMs), 'GET_STATE max ms': '', 'GET_STATE MB': a.getStateMB / b.getStateMB,
      'GET_STATE stringify floor ms': '',
      'GET_STATE master CPU ms': median(a.getStateCpuMs) / median(b.getStateCpuMs),
      '/master/state median ms': median(a.stateMs) / median(b.stateMs), '/master/state max ms': '', '/master/state MB': a.stateMB / b.stateMB,
      '/master/state master CPU ms': median(a.stateCpuMs) / median(b.stateCpuMs),
    })
  }
  notes.unshift(
    load,
    `Agents: ${SIM_AGENT_RESOURCES} each; tasks: 0.1 cpus / 32 MB, never finishing, launched by a framework on the v1 scheduler API that stays subscribed.`,
    `Latency: ${rounds} interleaved requests each (after one warm-up), timed to the last byte of the JSON body. RSS (VmRSS) ` +
      `read ${(opts.quick ? 2000 : SETTLE_MS) / 1000} s after the last launch, and again right after the state requests. ` +
      'Stringify floor: JSON.stringify of the same GET_STATE document (parsed from the answer) in the benchmark process, ' +
      'the serialisation cost alone that any JavaScript master pays on this machine. Gzip: Accept-Encoding: gzip, timed to the ' +
      'last compressed byte (the client does not decompress), size as sent. Master CPU: the master process\'s user + system time ' +
      'over one answer (/proc, 10 ms ticks), which a loaded machine moves far less than the wall time.',
    `Serving: a probe framework launches a 100 ms task every ${PROBE_EVERY_MS} ms on ${opts.quick ? 20 : 40} agents of its own and acknowledges every ` +
      'update; ACCEPT and ACKNOWLEDGE: from sending the call to its 202; agent update: from the agent sending STATUS_UPDATE to the ' +
      "master's ACKNOWLEDGE reaching it (which includes the probe's ACKNOWLEDGE call). The state fetchers run in their own process on " +
      'the same 2 vCPUs: their CPU is part of what the master competes with. "Master loop on CPU" and "waiting for a CPU": the ' +
      "master's main thread (its event loop) over the phase, from /proc/<pid>/schedstat: time it was runnable but another process " +
      'held the CPUs, which every request arriving then waits out too, however short the master\'s own turns are.',
  )
  if (opts.heap) {
    const roots = [{ label: mesoDescription(), root: ROOT }, ...(baseline ? [{ label: baseline.label, root: process.env.MESO_BENCH_BASELINE! }] : [])]
    for (const { label, root } of roots) {
      const b = await heapBreakdown(root, agents, tasks)
      rows.push({
        master: label, state: 'heap of the same state in process (MasterHarness)', agents, tasks,
        'RSS at rest MB': Math.round(b.rssMB), 'heap live MB': Math.round(b.liveMB), 'heap capacity MB': Math.round(b.capacityMB), 'heap objects': b.objects,
      })
      notes.push(`${label}: heap of the same state built in process, most numerous object types: ${b.top.map(([k, v]) => `${k} ${v}`).join(', ')}.`)
    }
  }
  return { name: 'footprint', machine: machine(), rows, notes }
}

export function printFootprint(r: BenchResult) {
  printResult('Master footprint', r)
}

if (import.meta.main) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined }
  const heapOfAt = process.argv.indexOf('--heap-of')
  if (heapOfAt > 0) {
    const [root, agents, tasks] = process.argv.slice(heapOfAt + 1)
    console.log(JSON.stringify(await heapOf(root!, Number(agents), Number(tasks))))
  } else {
    printFootprint(await runFootprintBench({ quick: process.argv.includes('--quick'), agents: arg('--agents'), tasks: arg('--tasks'), heap: process.argv.includes('--heap') }))
  }
}
