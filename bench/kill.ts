// Kill latency of a `sleep` task: from the scheduler's KILL to its TASK_KILLED update, on a warm one-node cluster with
// the linux launcher. Measured in the same run, interleaved: the default (the container init as PID 1 forwards the
// SIGTERM), the old behaviour (label meso.io/init=false: `sleep` is PID 1, ignores SIGTERM, and dies of the SIGKILL
// that ends the 3 s grace period), and the floor: `crun kill --all <id> TERM` until conmon records the exit, with no
// master or agent in the way. Goal (issue 17): a default `sleep` task gone ≤ 100 ms after the kill.
//
//   bun bench/kill.ts [--quick] [--rounds N]

import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findContainerInit } from '../src/agent/containerizer/container-init.ts'
import { linuxLauncherUnavailable } from '../src/agent/containerizer/linux-launcher.ts'
import { interleaved, machine, median, percentile, type BenchResult } from './lib/measure.ts'
import { startUpCluster } from './lib/meso-up.ts'
import { benchArgs, printResult } from './lib/print-result.ts'
import { V1Scheduler, type SchedulerEvent } from './lib/v1-scheduler.ts'

const WITH_INIT = 'sleep, container init (default)'
const WITHOUT_INIT = 'sleep as PID 1 (meso.io/init=false)'
const FLOOR = 'crun kill --all TERM → exit recorded (init)'

/** Events by predicate, past and future, for one scheduler; every status update is handed on to be acknowledged. */
class Inbox {
  private events: SchedulerEvent[] = []
  private waiters: { pred: (e: SchedulerEvent) => boolean; resolve: (e: SchedulerEvent) => void }[] = []
  constructor(private readonly onUpdate: (status: any) => void) {}
  push = (e: SchedulerEvent) => {
    if (e.type === 'UPDATE') this.onUpdate(e.update.status)
    const w = this.waiters.find(x => x.pred(e))
    if (w) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(e) } else this.events.push(e)
  }
  next(pred: (e: SchedulerEvent) => boolean, timeoutMs = 60_000): Promise<SchedulerEvent> {
    const i = this.events.findIndex(pred)
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kill bench: no matching event within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({ pred, resolve: e => { clearTimeout(timer); resolve(e) } })
    })
  }
}

export async function runKillBench(opts: { quick: boolean; rounds?: number }): Promise<BenchResult> {
  const problem = linuxLauncherUnavailable({}) ?? ('missing' in findContainerInit() ? 'no container init (catatonit) installed' : undefined)
  if (problem) return { name: 'kill', machine: machine(), rows: [], notes: [`skipped: ${problem}`] }
  const rounds = opts.rounds ?? (opts.quick ? 1 : 10)
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-kill-'))
  const cluster = await startUpCluster(join(dir, 'cluster'))
  // Each update is acknowledged at once: the agent sends a task's next update only after its previous one is.
  const inbox: Inbox = new Inbox(s => { if (s.uuid) void sched.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } }) })
  const sched: V1Scheduler = new V1Scheduler(cluster.url, inbox.push)
  // `meso up` puts the agent's work dir under <work_dir>/agent and the OCI runtime's state under its run/oci.
  const runtimeDir = join(dir, 'cluster', 'agent', 'run')
  let n = 0

  const update = (id: string, states: string[]) => (e: SchedulerEvent) => e.type === 'UPDATE' && e.update.status.task_id.value === id && states.includes(e.update.status.state)
  const terminal = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR']

  /** Launches `exec sleep 600` on the next offer; resolves with its id and container id once it runs. */
  async function launchSleep(labels?: Record<string, string>): Promise<{ id: string; containerId: string }> {
    const offer = (await inbox.next(e => e.type === 'OFFERS')).offers.offers[0]
    const id = `sleep-${n++}`
    const task = {
      name: id, task_id: { value: id }, agent_id: offer.agent_id, command: { value: 'exec sleep 600' },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }]
        .map(r => ({ ...r, allocation_info: offer.allocation_info })),
      ...(labels ? { labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) } } : {}),
    }
    await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }], filters: { refuse_seconds: 0 } } })
    const running = (await inbox.next(update(id, ['TASK_RUNNING', ...terminal]))).update.status
    if (running.state !== 'TASK_RUNNING') throw new Error(`kill bench: task ${id} ${running.state}: ${running.message}`)
    return { id, containerId: running.container_status.container_id.value }
  }

  /** KILL → the terminal update, in ms. */
  async function killTimed(labels?: Record<string, string>): Promise<number> {
    const { id } = await launchSleep(labels)
    const t0 = performance.now()
    await sched.call('KILL', { kill: { task_id: { value: id } } })
    const done = (await inbox.next(update(id, terminal))).update.status
    const ms = performance.now() - t0
    if (done.state !== 'TASK_KILLED') throw new Error(`kill bench: task ${id} ended ${done.state}: ${done.message}`)
    return ms
  }

  try {
    await sched.subscribe({ user: 'root', name: 'kill-bench', roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }] })
    const crun = Bun.which('crun')!
    const results = await interleaved([
      { name: WITH_INIT, run: () => killTimed() },
      { name: WITHOUT_INIT, run: () => killTimed({ 'meso.io/init': 'false' }) },
      {
        name: FLOOR,
        run: async () => {
          const { id, containerId } = await launchSleep()
          const exitFile = join(runtimeDir, 'exits', containerId)
          const t0 = performance.now()
          await Bun.spawn([crun, `--root=${join(runtimeDir, 'oci')}`, 'kill', '--all', containerId, 'TERM'], { stdout: 'ignore', stderr: 'ignore' }).exited
          while (!existsSync(exitFile)) await Bun.sleep(1)
          const ms = performance.now() - t0
          await inbox.next(update(id, terminal))
          return ms
        },
      },
    ], rounds)
    const baseline = median(results.get(WITHOUT_INIT)!)
    const rows = [...results].map(([variant, xs]) => ({
      variant, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9), 'vs sleep as PID 1': median(xs) / baseline,
    }))
    const goal = median(results.get(WITH_INIT)!)
    return {
      name: 'kill', machine: machine(), rows,
      notes: [`KILL → TASK_KILLED through master and agent (default grace period 3 s). Goal: a default sleep task gone ≤ 100 ms; measured median ${goal.toFixed(0)} ms.`],
    }
  } finally {
    sched.close()
    await cluster.stop()
    // `meso up` leaves running tasks to be re-adopted; a run that failed midway must not leave its sleeps behind.
    const root = join(runtimeDir, 'oci')
    const left = await new Response(Bun.spawn([Bun.which('crun')!, `--root=${root}`, 'list', '-q'], { stdout: 'pipe', stderr: 'ignore' }).stdout).text()
    for (const id of left.split('\n').filter(Boolean)) await Bun.spawn([Bun.which('crun')!, `--root=${root}`, 'delete', '--force', id], { stdout: 'ignore', stderr: 'ignore' }).exited
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printKill(r: BenchResult) {
  printResult('Kill latency', r)
}

if (import.meta.main) printKill(await runKillBench(benchArgs()))
