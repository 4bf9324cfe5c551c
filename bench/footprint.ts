// Master footprint: RSS of the master process and the latency of GET_STATE (v1 operator API, JSON) and
// /master/state (v0) with N simulated agents (bench/sim/) and M running tasks, against the same measures taken in
// the same run with the same agents and no tasks. Tasks are launched by a framework on the v1 scheduler API and
// never finish; the framework stays subscribed while the master is measured, as in a real cluster.
//
//   bun bench/footprint.ts [--quick] [--agents N] [--tasks M]

import { startBenchMaster, waitForMetrics } from './lib/bench-master.ts'
import { GreedyFramework } from './lib/greedy-framework.ts'
import { printResult } from './lib/print-result.ts'
import { interleaved, machine, median, type BenchResult } from './lib/measure.ts'
import { baselineMaster, mesoDescription } from './lib/meso-bin.ts'
import { peakRssBytes, rssBytes } from './lib/procfs.ts'
import { Fleet, SIM_AGENT_RESOURCES } from './sim/fleet.ts'

export interface FootprintOptions { quick: boolean; agents?: number; tasks?: number; rounds?: number }

interface Snapshot {
  /** JSON.stringify of the same GET_STATE document in this process: the floor for any JS master on this machine. */
  stringifyFloorMs: number
  rssMB: number
  rssAfterMB: number
  getStateMs: number[]
  stateMs: number[]
  getStateMB: number
  stateMB: number
}

/** Times a request to its last byte; the body is not parsed (that would be the client's cost, not the master's). */
async function timed(req: () => Promise<Response>, sizes: number[], keep?: { body?: ArrayBuffer }): Promise<number> {
  const t0 = performance.now()
  const res = await req()
  const body = await res.arrayBuffer()
  const ms = performance.now() - t0
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
  const last: { body?: ArrayBuffer } = {}
  // RSS at rest: the launch burst's garbage is collected and its pages returned over several seconds (JSC's GC and
  // allocator scavenger), so reading at once would report the burst, not the master's state.
  await Bun.sleep(settleMs)
  const rss = rssBytes(pid)
  const results = await interleaved([
    {
      name: 'GET_STATE',
      run: () => timed(() => fetch(`${url}/api/v1`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"type":"GET_STATE"}',
      }), getStateSizes, last),
    },
    { name: '/master/state', run: () => timed(() => fetch(`${url}/master/state`), stateSizes) },
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
  }
}

interface Measured { empty: Snapshot; full: Snapshot; running: number; failed: string; registerSeconds: number; fillSeconds: number; peakMB: number }

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
    const deadline = Date.now() + (quick ? 60_000 : 300_000)
    while (fw.running + fw.failed < tasks) {
      if (Date.now() > deadline) throw new Error(`only ${fw.running} of ${tasks} tasks running after the deadline`)
      await Bun.sleep(100)
    }
    const fillSeconds = (performance.now() - t0) / 1000
    // Every update acknowledged (the agents hold no unacknowledged update), so the master is at rest.
    await waitForMetrics(master.url, m => m['master/tasks_running'] === fw!.running, 30_000)
    const full = await snapshot(master.url, master.pid, rounds, settleMs)
    return {
      empty, full, running: fw.running, failed: fw.failed ? `${fw.failed} tasks did not start (last: ${fw.lastFailure})` : '',
      registerSeconds: fleet.registerMs / 1000, fillSeconds, peakMB: peakRssBytes(master.pid) / 2 ** 20,
    }
  } finally {
    await fw?.teardown().catch(() => {})
    await fleet?.stop()
    await master.stop()
  }
}

/** RSS "at rest" is read this long after the last launch (full mode). */
const SETTLE_MS = 15_000

export async function runFootprintBench(opts: FootprintOptions): Promise<BenchResult> {
  const agents = opts.agents ?? (opts.quick ? 500 : 10_000)
  const tasks = opts.tasks ?? (opts.quick ? 5_000 : 100_000)
  const rounds = opts.rounds ?? (opts.quick ? 3 : 5)
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
      '/master/state median ms': median(s.stateMs), '/master/state max ms': Math.max(...s.stateMs), '/master/state MB': s.stateMB,
    })
    rows.push(row('no tasks (baseline)', 0, empty), row('loaded', m.running, full), {
      master: label, state: 'ratio loaded / baseline', agents: '', tasks: '',
      'RSS at rest MB': full.rssMB / empty.rssMB,
      'RSS after state requests MB': full.rssAfterMB / empty.rssAfterMB,
      'GET_STATE median ms': median(full.getStateMs) / median(empty.getStateMs), 'GET_STATE max ms': '', 'GET_STATE MB': full.getStateMB / empty.getStateMB,
      'GET_STATE stringify floor ms': full.stringifyFloorMs / empty.stringifyFloorMs,
      '/master/state median ms': median(full.stateMs) / median(empty.stateMs), '/master/state max ms': '', '/master/state MB': full.stateMB / empty.stateMB,
    })
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
      '/master/state median ms': median(a.stateMs) / median(b.stateMs), '/master/state max ms': '', '/master/state MB': a.stateMB / b.stateMB,
    })
  }
  notes.unshift(
    `Agents: ${SIM_AGENT_RESOURCES} each; tasks: 0.1 cpus / 32 MB, never finishing, launched by a framework on the v1 scheduler API that stays subscribed.`,
    `Latency: ${rounds} interleaved requests each (after one warm-up), timed to the last byte of the JSON body. RSS (VmRSS) ` +
      `read ${(opts.quick ? 2000 : SETTLE_MS) / 1000} s after the last launch, and again right after the state requests. ` +
      'Stringify floor: JSON.stringify of the same GET_STATE document (parsed from the answer) in the benchmark process, ' +
      'the serialisation cost alone that any JavaScript master pays on this machine.',
  )
  return { name: 'footprint', machine: machine(), rows, notes }
}

export function printFootprint(r: BenchResult) {
  printResult('Master footprint', r)
}

if (import.meta.main) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined }
  printFootprint(await runFootprintBench({ quick: process.argv.includes('--quick'), agents: arg('--agents'), tasks: arg('--tasks') }))
}
