// The services scheduler at scale: a real `meso master` (the services scheduler runs inside it), simulated agents
// (bench/sim/, tasks that run until killed) and three deployments of N long-running tasks, each on a fresh master
// and fleet: Marathon's /v2 API with 1 app × N instances (POST /v2/apps) and N apps × 1 instance (one POST
// /v2/groups), and the placement benchmark's raw framework (bench/lib/greedy-framework.ts: ACCEPTs every offer with
// as many tasks as fit, no bookkeeping) launching the same N tasks of the same size. Reported: seconds from the
// request to N tasks TASK_RUNNING (and, for the services, the deployment gone from /v2/deployments), and CPU per task
// of the master process (which holds the services scheduler) plus, for the raw framework, of the framework itself.
// Simulated agents run no health checks, so the apps have none: "healthy" is "running" here (the e2e test covers
// health on real agents).
//
//   bun bench/services.ts [--quick] [--tasks N] [--only raw,one-app,many-apps] [--rounds R]
//
// MESO_BENCH_BASELINE=DIR (another checkout's sources, see lib/meso-bin.ts) runs every services row a second time
// against that checkout's master, right after the current one, so both see the same machine state; --rounds repeats
// the whole sequence (alternating current and baseline) on a noisy machine. MESO_BENCH_PROFILE=DIR profiles the
// (current) master.

import { startBenchMaster, waitForMetrics } from './lib/bench-master.ts'
import { GreedyFramework } from './lib/greedy-framework.ts'
import { machine, loadNote, type BenchResult } from './lib/measure.ts'
import { baselineMaster, daemonCommand } from './lib/meso-bin.ts'
import { printResult } from './lib/print-result.ts'
import { CpuMeter, rssBytes } from './lib/procfs.ts'
import { Fleet, SIM_AGENT_RESOURCES } from './sim/fleet.ts'

const TASK_CPUS = 0.1
const TASK_MEM = 32

export interface ServicesRun { variant: string; seconds: number; masterCpuS: number; schedulerCpuS: number; masterRssMB: number; notes: string[] }

const VARIANTS = ['raw', 'one-app', 'many-apps'] as const
type Variant = typeof VARIANTS[number]

async function run(variant: Variant, tasks: number, agents: number, command = daemonCommand()): Promise<ServicesRun> {
  // Big groups exceed the default 64KB body limit of the master's endpoints.
  const master = await startBenchMaster(['--allocation_interval=100ms', '--http_request_body_limits=/v2=8MB'], {}, command)
  let fleet: Fleet | undefined
  let fw: GreedyFramework | undefined
  try {
    fleet = await Fleet.start({ master: master.url, agents, resources: SIM_AGENT_RESOURCES, taskMs: -1 })
    await waitForMetrics(master.url, m => m['master/slaves_active'] === agents)
    const meter = new CpuMeter(master.pid)
    const self0 = process.cpuUsage()
    const t0 = performance.now()
    const notes: string[] = []
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${master.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${(await res.text()).slice(0, 500)}`)
    }
    const app = (id: string, instances: number) => ({ id, cmd: 'sleep 3600', cpus: TASK_CPUS, mem: TASK_MEM, instances, portDefinitions: [] })
    let schedulerCpuS = 0
    if (variant === 'raw') {
      fw = new GreedyFramework({ master: master.url, name: 'services-bench-raw', maxTasks: tasks, taskCpus: TASK_CPUS, taskMem: TASK_MEM })
      await fw.start()
    } else if (variant === 'one-app') {
      await post('/v2/apps', app('/bench/one', tasks))
    } else {
      await post('/v2/groups', { id: '/bench', apps: Array.from({ length: tasks }, (_, i) => app(`app-${i}`, 1)) })
    }
    await waitForMetrics(master.url, m => (m['master/tasks_running'] ?? 0) >= tasks, 600_000)
    if (variant !== 'raw') {
      // The deployment ends on the scheduler's next tick once every task runs.
      for (;;) {
        const d = await (await fetch(`${master.url}/v2/deployments`)).json() as unknown[]
        if (!d.length) break
        await Bun.sleep(100)
      }
    }
    const seconds = (performance.now() - t0) / 1000
    const masterCpuS = meter.cores() * seconds
    if (variant === 'raw') {
      const self = process.cpuUsage(self0)
      schedulerCpuS = (self.user + self.system) / 1e6
      notes.push(`raw framework: ${fw!.offers} offers, ${fw!.accepts} ACCEPTs`)
    }
    return { variant, seconds, masterCpuS, schedulerCpuS, masterRssMB: rssBytes(master.pid) / 2 ** 20, notes }
  } finally {
    await fw?.teardown().catch(() => {})
    await fleet?.stop()
    await master.stop()
  }
}

export async function runServicesBench(opts: { quick: boolean; tasks?: number; variants?: Variant[]; rounds?: number }): Promise<BenchResult> {
  const tasks = opts.tasks ?? (opts.quick ? 100 : 1000)
  // Simulated agents hold 1 cpu each: room for every task, with a fifth to spare.
  const agents = Math.ceil((tasks * TASK_CPUS * 1.2) / 1)
  const load = loadNote()
  const baseline = baselineMaster()
  const runs: (ServicesRun & { baseline?: boolean })[] = []
  for (let round = 0; round < (opts.rounds ?? 1); round++) {
    for (const v of opts.variants ?? VARIANTS) {
      runs.push(await run(v, tasks, agents))
      // The raw framework's row measures the master's own path, which the baseline shares: not repeated.
      if (baseline && v !== 'raw') runs.push({ ...(await run(v, tasks, agents, baseline.command)), baseline: true })
    }
  }
  const label: Record<string, string> = {
    raw: 'raw v1 framework (placement bench)',
    'one-app': `services: 1 app × ${tasks} instances`,
    'many-apps': `services: ${tasks} apps × 1 instance`,
  }
  const raw = runs.find(r => r.variant === 'raw')
  const rows = runs.map(r => ({
    variant: `${label[r.variant]!}${r.baseline ? ' (baseline)' : ''}`, tasks, agents,
    'to all running s': Math.round(r.seconds * 100) / 100,
    'tasks/s': Math.round(tasks / r.seconds),
    'master CPU µs/task': Math.round((r.masterCpuS * 1e6) / tasks),
    'framework CPU µs/task (outside the master)': Math.round((r.schedulerCpuS * 1e6) / tasks),
    'total CPU µs/task': Math.round(((r.masterCpuS + r.schedulerCpuS) * 1e6) / tasks),
    'vs raw (total CPU)': raw ? Math.round(((r.masterCpuS + r.schedulerCpuS) / (raw.masterCpuS + raw.schedulerCpuS)) * 100) / 100 : '-',
    'master RSS MB': Math.round(r.masterRssMB),
  }))
  const notes = [
    load,
    `${agents} simulated agents (${SIM_AGENT_RESOURCES}); tasks of ${TASK_CPUS} cpus / ${TASK_MEM} MB that run until killed; a fresh master and fleet per row.`,
    'The services scheduler runs inside the master process, so its CPU is in "master CPU"; the raw framework runs in the benchmark ' +
      'process (its CPU measured there) and does no bookkeeping: no state written to the registrar, no offer statistics, no deployments.',
    'Time is from the request (POST /v2/apps, POST /v2/groups, or the raw framework\'s SUBSCRIBE) to N tasks TASK_RUNNING in the master ' +
      "and, for the services, the deployment gone from /v2/deployments (the scheduler's tick is 1 s). Simulated agents run no health checks.",
    ...(baseline ? [`"(baseline)" rows run the master of ${baseline.label} (its sources under the same Bun), right after the row above them.`] : []),
    ...runs.flatMap(r => r.notes),
  ]
  return { name: 'services', machine: machine(), rows, notes }
}

export function printServices(r: BenchResult) {
  printResult('Services scheduler', r)
}

if (import.meta.main) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
  const tasks = arg('--tasks')
  const only = arg('--only')?.split(',')
  const unknown = only?.filter(v => !(VARIANTS as readonly string[]).includes(v))
  if (unknown?.length) throw new Error(`--only: unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.join(', ')}`)
  const rounds = arg('--rounds')
  printServices(await runServicesBench({
    quick: process.argv.includes('--quick'), ...(tasks ? { tasks: Number(tasks) } : {}), ...(only ? { variants: only as Variant[] } : {}),
    ...(rounds ? { rounds: Number(rounds) } : {}),
  }))
}
