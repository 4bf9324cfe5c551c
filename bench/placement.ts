// Placement throughput: a real `meso master`, N simulated agents (bench/sim/, in their own processes) and one
// framework on the v1 scheduler API that accepts every offer with as many small tasks as fit. Tasks run `taskMs`
// and finish, so the cluster turns over continuously. Reported: tasks reaching TASK_RUNNING per second over the
// window (and over its second half, once the initial fill is done), p50/p99 from ACCEPT to TASK_RUNNING, and what
// the master process used. The ratio is against Nomad's published C2M rate (3,750 placements/s on a 5-server
// cluster, 2020): a reference line from another system and other hardware, not a baseline measured here.
//
//   bun bench/placement.ts [--quick] [--agents N] [--seconds S] [--task-ms MS] [--profile DIR]
//
// --profile DIR (or MESO_BENCH_PROFILE=DIR) runs the master under `bun --cpu-prof`, writing its profile into DIR, and
// adds to the notes where the master's time went during the measured window (bench/lib/profile-summary.ts).

import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startBenchMaster, waitForMetrics, type BenchMaster } from './lib/bench-master.ts'
import { GreedyFramework } from './lib/greedy-framework.ts'
import { printResult } from './lib/print-result.ts'
import { loadNote, machine, percentile, type BenchResult } from './lib/measure.ts'
import { baselineMaster, mesoDescription } from './lib/meso-bin.ts'
import { CpuMeter, peakRssBytes, rssBytes } from './lib/procfs.ts'
import { summarise } from './lib/profile-summary.ts'
import { Fleet, SIM_AGENT_RESOURCES } from './sim/fleet.ts'

/** Nomad's "C2M" run: 2 million containers placed in ~22 minutes ≈ 3,750/s (hashicorp.com/c2m, 2020). */
export const NOMAD_C2M_PER_SECOND = 3750

export interface PlacementOptions { quick: boolean; agents?: number; seconds?: number; taskMs?: number }

export interface PlacementRun {
  agents: number
  seconds: number
  registerSeconds: number
  launched: number
  running: number
  perSecond: number
  perSecondSecondHalf: number
  p50: number
  p99: number
  startingP50: number
  masterCores: number
  /** CPU of the simulated agents' processes and of this process (the scheduler), for spotting a client bottleneck. */
  simCores: number
  schedulerCores: number
  masterRssMB: number
  masterPeakRssMB: number
  offers: number
  accepts: number
  failed: number
  callErrors: number
  agentDisconnects: number
  updateRetries: number
  notes: string[]
}

export async function placementRun(agents: number, seconds: number, taskMs: number, maxInFlight: number, command?: string[]): Promise<PlacementRun> {
  const master: BenchMaster = await startBenchMaster([], {}, command)
  let fleet: Fleet | undefined
  let fw: GreedyFramework | undefined
  let run: PlacementRun
  let windowEnd = 0
  try {
    fleet = await Fleet.start({ master: master.url, agents, resources: SIM_AGENT_RESOURCES, taskMs })
    await waitForMetrics(master.url, m => m['master/slaves_active'] === agents)
    const registerSeconds = fleet.registerMs / 1000
    fw = new GreedyFramework({ master: master.url, name: 'placement-bench', maxInFlight })
    const meter = new CpuMeter(master.pid)
    const simMeters = fleet.pids.map(pid => new CpuMeter(pid))
    const self0 = process.cpuUsage()
    const t0 = performance.now()
    await fw.start()
    await Bun.sleep(seconds * 1000)
    fw.stop()
    windowEnd = performance.now()
    const cores = meter.cores()
    const simCores = simMeters.reduce((s, m) => s + m.cores(), 0)
    const self = process.cpuUsage(self0)
    const schedulerCores = (self.user + self.system) / 1000 / (performance.now() - t0)
    const rss = rssBytes(master.pid)
    const buckets = fw.runningPer100ms.slice(0, seconds * 10)
    const inWindow = buckets.reduce((a, b) => a + b, 0)
    const half = Math.floor(buckets.length / 2)
    const secondHalf = buckets.slice(half).reduce((a, b) => a + b, 0)
    const lat = fw.latencies.slice(0, inWindow)
    const sim = await fleet.stats()
    const metrics = await (await fetch(`${master.url}/metrics/snapshot`)).json() as Record<string, number>
    const notes: string[] = [
      `master allocator: ${metrics['allocator/mesos/allocation_runs']} allocation runs, p50 ${metrics['allocator/mesos/allocation_run_ms/p50']?.toFixed(2)} ms, ` +
        `max ${metrics['allocator/mesos/allocation_run_ms/max']?.toFixed(1)} ms (last 1000 runs)`,
    ]
    if (fw.scheduler.callErrors) notes.push(`scheduler call errors: ${fw.scheduler.callErrors} (last: ${fw.scheduler.lastError})`)
    if (fw.failed) notes.push(`tasks ending other than FINISHED: ${fw.failed} (last: ${fw.lastFailure})`)
    run = {
      agents, seconds, registerSeconds,
      launched: fw.launched,
      running: inWindow,
      perSecond: inWindow / seconds,
      perSecondSecondHalf: secondHalf / ((buckets.length - half) / 10 || 1),
      p50: percentile(lat, 0.5),
      p99: percentile(lat, 0.99),
      startingP50: percentile(fw.startingLatencies, 0.5),
      masterCores: cores,
      simCores,
      schedulerCores,
      masterRssMB: rss / 2 ** 20,
      masterPeakRssMB: peakRssBytes(master.pid) / 2 ** 20,
      offers: fw.offers,
      accepts: fw.accepts,
      failed: fw.failed,
      callErrors: fw.scheduler.callErrors,
      agentDisconnects: sim.stats.disconnected,
      updateRetries: sim.stats.retries,
      notes,
    }
  } finally {
    await fw?.teardown().catch(() => {})
    await fleet?.stop()
    await master.stop()
  }
  const profileDir = process.env.MESO_BENCH_PROFILE
  if (profileDir && !command) run.notes.push(...profileNotes(profileDir, seconds, (performance.now() - windowEnd) / 1000))
  return run
}

/** The newest profile in `dir` (the master's, just written on its way out), summarised over the window. */
function profileNotes(dir: string, seconds: number, afterWindowSeconds: number): string[] {
  const files = readdirSync(dir).filter(f => f.endsWith('.cpuprofile')).map(f => join(dir, f))
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  if (!newest) return [`no CPU profile found in ${dir}`]
  const { seconds: sampled, rows } = summarise(JSON.parse(readFileSync(newest, 'utf8')), seconds, afterWindowSeconds)
  const top = rows.slice(0, 8).map(r => `${r.activity} ${(100 * r.share).toFixed(1)} %`).join(', ')
  return [`profile ${newest}, ${sampled.toFixed(1)} s of the window: ${top}`]
}

export async function runPlacementBench(opts: PlacementOptions): Promise<BenchResult> {
  const agents = opts.agents ?? (opts.quick ? 200 : 10_000)
  const seconds = opts.seconds ?? (opts.quick ? 5 : 60)
  const taskMs = opts.taskMs ?? (opts.quick ? 500 : 2000)
  const maxInFlight = opts.quick ? 500 : 2000
  const load = loadNote()
  const baseline = baselineMaster()
  const runs: { label: string; r: PlacementRun }[] = [{ label: `meso master (${mesoDescription()})`, r: await placementRun(agents, seconds, taskMs, maxInFlight) }]
  if (baseline) runs.push({ label: `meso master (${baseline.label})`, r: await placementRun(agents, seconds, taskMs, maxInFlight, baseline.command) })
  const r = runs[0]!.r
  const rows: Record<string, number | string>[] = runs.map(({ label, r: x }) => ({
    variant: label, agents, 'window s': seconds, 'task ms': taskMs,
    'tasks/s (window)': Math.round(x.perSecond), 'tasks/s (2nd half)': Math.round(x.perSecondSecondHalf),
    'ACCEPT→RUNNING p50 ms': x.p50, 'p99 ms': x.p99, 'ACCEPT→STARTING p50 ms': x.startingP50,
    'master cores': x.masterCores, 'master CPU µs/task': x.perSecond > 0 ? (x.masterCores * 1e6) / x.perSecond : NaN,
    // The comparable figure on a shared machine: what one core of the master would place at this cost per task.
    'tasks/s per master core': x.masterCores > 0 ? x.perSecond / x.masterCores : NaN,
    'sim cores': x.simCores, 'scheduler cores': x.schedulerCores, 'master RSS MB': Math.round(x.masterRssMB),
    'agents registered/s': Math.round(agents / x.registerSeconds),
    'vs Nomad C2M 3,750/s': x.perSecond / NOMAD_C2M_PER_SECOND,
    ...(baseline ? { 'vs baseline': x.perSecond / runs[1]!.r.perSecond } : {}),
  }))
  const notes = [
    load,
    `${agents} simulated agents (${SIM_AGENT_RESOURCES}) registered in ${r.registerSeconds.toFixed(1)} s; ` +
      `${r.launched} tasks launched in ${r.accepts} ACCEPTs from ${r.offers} offers; ${r.running} reached TASK_RUNNING in the window.`,
    `The framework keeps at most ${maxInFlight} tasks between ACCEPT and TASK_RUNNING (offers beyond that are held), ` +
      `acknowledges every update, and launches 0.1 cpus / 32 MB tasks; each task runs ${taskMs} ms.`,
    'Master CPU per task (user + system, from /proc/<pid>/stat over the window, divided by the tasks that reached TASK_RUNNING) is ' +
      'the figure to compare on a shared 2-vCPU machine, where the master competes with the simulated agents, the scheduler and ' +
      'other work for the CPUs; "tasks/s per master core" is its inverse: the rate one core of the master would sustain.',
    `Ratio: against Nomad's published C2M rate (3,750 placements/s on far bigger hardware), a reference line, not a run on this machine.`,
    ...(baseline ? [`The baseline row runs the same benchmark against the master of ${process.env.MESO_BENCH_BASELINE} (its sources under the same Bun), right after.`] : []),
    ...runs.flatMap(({ label, r: x }) => x.notes.map(n => `${label}: ${n}`)),
  ]
  return { name: 'placement', machine: machine(), rows, notes }
}

export function printPlacement(r: BenchResult) {
  printResult('Placement throughput', r)
}

if (import.meta.main) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined }
  const profile = process.argv.indexOf('--profile')
  if (profile > 0) {
    const dir = resolve(process.argv[profile + 1] ?? 'placement-profile')
    mkdirSync(dir, { recursive: true })
    process.env.MESO_BENCH_PROFILE = dir
  }
  printPlacement(await runPlacementBench({ quick: process.argv.includes('--quick'), agents: arg('--agents'), seconds: arg('--seconds'), taskMs: arg('--task-ms') }))
}
