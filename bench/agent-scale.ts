// The real agent at scale (issue 18): N `sleep` containers (crun under conmon, the linux launcher's defaults) on one
// agent, launched by one framework that accepts each offer with as many tasks as fit, as a real scheduler does.
// Phases, each timed from the scheduler's side and with the agent's CPU and memory read from /proc:
//   launch     first ACCEPT → every task TASK_RUNNING
//   idle       the agent's CPU with all N running, its RSS, the conmons' and the log rotator's summed RSS
//   re-adopt   `kill -9` of the agent, restart on the same work dir and port → the master has it re-registered with
//              all N tasks running; then 0 lost (no task left RUNNING or changed) and 0 duplicated updates
//   destroy    KILL of every task → every TASK_KILLED, and then → cleaned up (no conmon, no crun container, no
//              cgroup left under the agent's cgroups root)
// Mesos' published agent figures are the anchors: 1,000 containers launched in ~30 s and destroyed in ~20 s on a
// 48-thread Xeon; the ratios scale them to N. Variants, run one after the other on fresh agents:
//   meso           this checkout's agent, defaults (log rotation on: one rotator process for the agent, reading
//                  every container's stdout and stderr from named pipes)
//   meso, no rotation   --logrotate_max_size=0: what rotation costs
//   meso, CNI      every task on a CNI network of the benchmark's own (bridge, host-local, portmap: the `meso`
//                  network's chain): a network namespace, a veth, an IP lease and iptables chains per container;
//                  "cleaned up" then also means none of those left (root, crun and the CNI plugins needed)
//   baseline       MESO_BENCH_BASELINE=DIR: that checkout's agent (the before of a before/after), same master; its
//                  dist/meso when built there, else its sources
//
//   bun bench/agent-scale.ts [--quick] [--containers N] [--variants meso,no-rotation,cni,baseline] [--no-readopt]
//
// MESO_BENCH_PROFILE=DIR runs this checkout's agent under `bun --cpu-prof` (with --no-readopt, so it exits cleanly).

import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { linuxLauncherUnavailable } from '../src/agent/containerizer/linux-launcher.ts'
import { DEFAULT_LINUX_ISOLATION } from '../src/agent/isolators/index.ts'
import { CniNetworking } from '../src/agent/isolators/network/cni/cni-networking.ts'
import { cniUnavailable, createTestNetwork, type TestNetwork } from '../test/helpers/cni-network.ts'
import { startBenchAgent, portOf, type BenchAgent } from './lib/bench-agent.ts'
import { startBenchMaster, type BenchMaster } from './lib/bench-master.ts'
import { loadNote, machine, type BenchResult } from './lib/measure.ts'
import { BUN, daemonCommand, mesoCommand } from './lib/meso-bin.ts'
import { printResult } from './lib/print-result.ts'
import { census, type Census } from './lib/process-census.ts'
import { cpuSeconds, rssBytes } from './lib/procfs.ts'
import { V1Scheduler, type SchedulerEvent } from './lib/v1-scheduler.ts'

/** Mesos' published figures for 1,000 containers on one agent (48-thread Xeon). */
const MESOS_LAUNCH_S_PER_1000 = 30
const MESOS_DESTROY_S_PER_1000 = 20

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE'])
const TASK_CPUS = 0.01
const TASK_MEM = 16
const MB = 2 ** 20

export interface AgentScaleOptions { quick: boolean; containers?: number; variants?: string[]; readopt?: boolean }

interface Variant { name: string; agent: string[]; flags: string[]; cni?: boolean }

function variantsFor(names: string[]): Variant[] {
  const out: Variant[] = []
  for (const name of names) {
    if (name === 'meso') out.push({ name: 'meso', agent: daemonCommand(), flags: [] })
    else if (name === 'no-rotation') out.push({ name: 'meso, no log rotation', agent: mesoCommand(), flags: ['--logrotate_max_size=0'] })
    else if (name === 'cni') out.push({ name: 'meso, CNI network', agent: daemonCommand(), flags: [], cni: true })
    else if (name === 'baseline') {
      const dir = process.env.MESO_BENCH_BASELINE
      // Its compiled binary when it has one (as this checkout's dist/meso is run), else its sources.
      const bin = dir && join(resolve(dir), 'dist/meso')
      if (dir) out.push({ name: `baseline (${dir})`, agent: existsSync(bin!) ? [bin!] : [BUN, join(resolve(dir), 'src/main.ts')], flags: [] })
    } else throw new Error(`agent-scale: unknown variant ${name} (meso, no-rotation, cni, baseline)`)
  }
  return out
}

export async function runAgentScaleBench(opts: AgentScaleOptions): Promise<BenchResult> {
  const problem = linuxLauncherUnavailable({})
  if (problem) return { name: 'agent-scale', machine: machine(), rows: [], notes: [`skipped: ${problem}`] }
  const n = opts.containers ?? (opts.quick ? 20 : 1000)
  // The CNI variant where this host can run it (root, the plugins, iproute2 and iptables); asked for by name, it fails.
  const cni = cniUnavailable() ? [] : ['cni']
  const names = opts.variants ?? (opts.quick ? ['meso', ...cni] : ['meso', 'no-rotation', ...cni, 'baseline'])
  const master = await startBenchMaster(['--allocation_interval=100ms'])
  const rows: Record<string, number | string>[] = []
  const floor = opts.quick ? NaN : await bareBunRss()
  const notes: string[] = [
    `${n} \`sleep 3600\` tasks (${TASK_CPUS} cpus, ${TASK_MEM} MB each) on one agent with the linux launcher's default isolation; one framework accepting each offer with every task that fits. ` +
    `Mesos' published figures (1,000 containers, 48-thread Xeon): launch ~${MESOS_LAUNCH_S_PER_1000} s, destroy ~${MESOS_DESTROY_S_PER_1000} s; "vs Mesos" scales them to ${n}. ` +
    'Goals (1,000 on 2 vCPUs): launch ≤ 30 s, destroy ≤ 15 s, agent RSS ≤ 150 MB with all running, idle agent ≤ 60 MB, re-adoption after kill -9 ≤ 2 s with 0 lost and 0 duplicated updates.',
  ]
  if (Number.isFinite(floor)) notes.push(`Floor under the idle agent's RSS: a compiled Bun binary serving HTTP and nothing else, ${(floor / MB).toFixed(1)} MB.`)
  try {
    for (const v of variantsFor(names)) {
      // A variant that fails (the baseline may not survive what this one fixed) leaves its rows so far and its reason.
      try { await runVariant(v, n, master, notes, opts.readopt ?? true, opts.quick, rows) } catch (err) {
        if (v.name === 'meso') throw err
        notes.push(`${v.name} failed: ${(err as Error).message.slice(0, 500)}`)
      }
    }
  } finally {
    await master.stop()
  }
  return { name: 'agent-scale', machine: machine(), rows, notes }
}

async function runVariant(v: Variant, n: number, master: BenchMaster, notes: string[], readopt: boolean, quick: boolean, rows: Record<string, number | string>[]): Promise<void> {
  // Settling and sampling windows (ms): shorter in quick mode, which checks shape, not speed.
  const settle = quick ? 500 : 2000
  const sample = quick ? 1000 : 5000
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-scale-'))
  const cgroupsRoot = `meso-scale-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const runtimeDir = join(dir, 'run')
  const logPath = join(dir, 'agent.log')
  // A /21 (2,045 addresses) holds 1,000 containers with room for the leases of a re-adoption.
  let net: TestNetwork | undefined
  if (v.cni) {
    const problem = cniUnavailable()
    if (problem) throw new Error(`agent-scale (${v.name}): ${problem}`)
    net = createTestNetwork(dir, { prefixLength: n > 1000 ? 16 : 21 })
  }
  const cniStateDir = join(runtimeDir, 'isolators', 'network', 'cni')
  const baseFlags = [
    `--master=${master.url.replace(/^http:\/\//, '')}`, '--ip=127.0.0.1', `--work_dir=${join(dir, 'work')}`, `--runtime_dir=${runtimeDir}`,
    '--launcher=linux', `--cgroups_root=${cgroupsRoot}`, '--registration_backoff_factor=100ms',
    `--resources=cpus:${(n * TASK_CPUS + 1).toFixed(2)};mem:${n * TASK_MEM + 1024}`, ...v.flags,
    ...(net ? [`--isolation=${DEFAULT_LINUX_ISOLATION},network/cni`, ...net.agentFlags] : []),
  ]
  const idleRss = await idleAgentRss(v, baseFlags, logPath, quick ? 1000 : 3000)
  let agent: BenchAgent = await startBenchAgent(v.agent, [...baseFlags, '--port=0'], logPath)
  const port = portOf(agent.url)

  const updates = new Map<string, { state: string; uuid?: string }[]>()
  const containerIds = new Set<string>()
  /** The distinct container IPs the RUNNING updates carried (CNI variant). */
  const ips = new Set<string>()
  const waiters: (() => void)[] = []
  let offers: any[] = []
  const sched: V1Scheduler = new V1Scheduler(master.url, (e: SchedulerEvent) => {
    if (e.type === 'OFFERS') offers.push(...e.offers.offers)
    if (e.type === 'UPDATE') {
      const s = e.update.status
      const list = updates.get(s.task_id.value) ?? []
      list.push({ state: s.state, uuid: s.uuid })
      if (s.container_status?.container_id?.value) containerIds.add(s.container_status.container_id.value)
      const ip = s.container_status?.network_infos?.[0]?.ip_addresses?.[0]?.ip_address
      if (net && ip && s.state === 'TASK_RUNNING') ips.add(ip)
      updates.set(s.task_id.value, list)
      if (s.uuid) void sched.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
    }
    for (const w of waiters.splice(0)) w()
  })
  const changed = () => new Promise<void>(r => waiters.push(r))
  const until = async (what: string, pred: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`agent-scale (${v.name}): timed out after ${timeoutMs / 1000} s waiting for ${what}`)
      await Promise.race([changed(), Bun.sleep(50)])
    }
  }
  const last = (id: string) => updates.get(id)?.at(-1)?.state
  const ids = Array.from({ length: n }, (_, i) => `scale-${i}`)
  const count = (pred: (state: string | undefined) => boolean) => ids.reduce((k, id) => k + (pred(last(id)) ? 1 : 0), 0)
  const conmons = () => census(['conmon'], runtimeDir)
  // The agent's rotator (`meso __logrotate <runtime dir>/logrotate.sock`), and an older agent's companion loggers
  // (`sh` + `head` per stream) for a baseline.
  const rotators = () => sumCensus(census(['meso', 'bun', 'bun.exe'], join(runtimeDir, 'logrotate.sock')), census(['sh'], join(dir, 'work'), true))
  // The agent's rotator lives from the first launch to after the destroy: its CPU for the whole run, read at the end.
  // (Companion loggers exit with their container, orphaned by the agent's restart: their CPU is not counted anywhere.)
  const rotatorCpu = () => census(['meso', 'bun', 'bun.exe'], join(runtimeDir, 'logrotate.sock')).pids.reduce((k, pid) => k + (cpuSeconds(pid) || 0), 0)
  const mb = (b: number) => Math.round(b / MB * 10) / 10
  const load = () => readLoad()

  try {
    await sched.subscribe({ user: 'root', name: 'agent-scale-bench', roles: ['*'], checkpoint: true, capabilities: [{ type: 'MULTI_ROLE' }] })

    // ---- launch
    let next = 0
    const cpu0 = cpuSeconds(agent.pid)
    const t0 = performance.now()
    let peakRss = 0
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, rssBytes(agent.pid) || 0) }, 250)
    while (next < n) {
      await until('an offer', () => offers.length > 0, 60_000)
      const offer = offers.shift()
      const cpus = scalar(offer, 'cpus')
      const mem = scalar(offer, 'mem')
      const fit = Math.min(n - next, Math.floor((cpus + 1e-9) / TASK_CPUS), Math.floor(mem / TASK_MEM))
      const tasks = ids.slice(next, next + fit).map(id => ({
        name: id, task_id: { value: id }, agent_id: offer.agent_id, command: { value: 'exec sleep 3600' },
        ...(net ? { container: { type: 'MESOS', network_infos: [{ name: net.name }] } } : {}),
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: TASK_CPUS } }, { name: 'mem', type: 'SCALAR', scalar: { value: TASK_MEM } }]
          .map(r => ({ ...r, allocation_info: offer.allocation_info })),
      }))
      next += fit
      await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: fit ? [{ type: 'LAUNCH', launch: { task_infos: tasks } }] : [], filters: { refuse_seconds: 0 } } })
      offers = offers.filter(o => o.id.value !== offer.id.value)
    }
    await until(`${n} tasks RUNNING`, () => count(s => s === 'TASK_RUNNING' || (s !== undefined && TERMINAL.has(s))) === n, 600_000)
    const launchS = (performance.now() - t0) / 1000
    clearInterval(sampler)
    const launchCpu = cpuSeconds(agent.pid) - cpu0
    const failed = ids.filter(id => last(id) !== 'TASK_RUNNING')
    if (failed.length) throw new Error(`agent-scale (${v.name}): ${failed.length} task(s) did not start, e.g. ${failed[0]}: ${last(failed[0]!)}`)
    rows.push({
      variant: v.name, phase: `launch ${n}`, containers: n, 's': launchS, 'ms per container': launchS * 1000 / n,
      'vs Mesos': launchS / (MESOS_LAUNCH_S_PER_1000 * n / 1000), 'agent CPU s': launchCpu,
      'agent RSS MB': mb(peakRss), load: load(),
    })

    // ---- idle with N running
    await until('every update acknowledged', () => sched.callsInFlight === 0, 30_000)
    await Bun.sleep(settle)
    const idleCpu0 = cpuSeconds(agent.pid)
    const idleT0 = performance.now()
    await Bun.sleep(sample)
    const idleCores = (cpuSeconds(agent.pid) - idleCpu0) / ((performance.now() - idleT0) / 1000)
    const cm = conmons()
    const rot = rotators()
    rows.push({
      variant: v.name, phase: `idle, ${n} running`, containers: n, 'agent cores': idleCores, 'agent RSS MB': mb(rssBytes(agent.pid)),
      'idle agent RSS MB (no tasks)': mb(idleRss), 'conmon RSS MB (sum)': mb(cm.rssBytes), 'conmon PSS MB (sum)': mb(cm.pssBytes), conmons: cm.count,
      'log rotators RSS MB (sum)': mb(rot.rssBytes), 'log rotators PSS MB (sum)': mb(rot.pssBytes), 'log rotator processes': rot.count, load: load(),
    })

    // ---- re-adoption after kill -9 (skipped with --no-readopt: a profiled agent must exit cleanly to write its profile)
    if (readopt) await readoptPhase()
    async function readoptPhase() {
      const before = new Map(ids.map(id => [id, updates.get(id)!.length]))
      agent.proc.kill('SIGKILL')
      await agent.proc.exited
      const restartedAt = Date.now() / 1000
      const r0 = performance.now()
      agent = await startBenchAgent(v.agent, [...baseFlags, `--port=${port}`], logPath)
      const listenMs = performance.now() - r0
      let agentId = ''
      await untilAsync(`the master to see the agent re-registered (${v.name})`, async () => {
        const slaves = (await (await fetch(`${master.url}/master/slaves`)).json() as { slaves: any[] }).slaves
        const s = slaves.find(x => x.active && (x.reregistered_time ?? 0) >= restartedAt)
        if (s) agentId = s.id
        return !!s
      }, 60_000)
      const readoptS = (performance.now() - r0) / 1000
      const masterRunning = await runningOnMaster(master.url, agentId)
      await Bun.sleep(settle)
      const lost = ids.filter(id => last(id) !== 'TASK_RUNNING').length
      const duplicated = ids.reduce((k, id) => k + updates.get(id)!.length - before.get(id)!, 0)
      rows.push({
        variant: v.name, phase: 're-adopt after kill -9', containers: n, 's': readoptS, 'agent listening s': listenMs / 1000,
        'running on master': masterRunning, lost, 'duplicated updates': duplicated, 'agent RSS MB': mb(rssBytes(agent.pid)), load: load(),
      })
      const recovery = /Recovered (\d+) executor/.exec(await Bun.file(logPath).text())
      if (!recovery) notes.push(`${v.name}: the restarted agent logged no recovery line`)
    }

    // ---- destroy
    const dcpu0 = cpuSeconds(agent.pid)
    const d0 = performance.now()
    await Promise.all(ids.map(id => sched.call('KILL', { kill: { task_id: { value: id } } })))
    await until(`${n} tasks terminal`, () => count(s => s !== undefined && TERMINAL.has(s)) === n, 600_000)
    const terminalS = (performance.now() - d0) / 1000
    // With CNI, also every netns, veth, IP lease, iptables chain and network checkpoint of these containers.
    const networkLeaks = () => net ? net.leaks([...containerIds], cniStateDir) : []
    let leaks: string[] = []
    await untilAsync('every container cleaned up', async () => {
      if (conmons().count || (await crunList(runtimeDir)).length || cgroupChildren(cgroupsRoot)) return false
      leaks = networkLeaks()
      return leaks.length === 0
    }, 120_000, 100).catch(err => { throw leaks.length ? new Error(`${(err as Error).message}; left of the network: ${leaks.join('; ').slice(0, 1000)}`) : err })
    const cleanS = (performance.now() - d0) / 1000
    const notKilled = ids.filter(id => last(id) !== 'TASK_KILLED')
    if (notKilled.length) notes.push(`${v.name}: ${notKilled.length} task(s) ended otherwise than TASK_KILLED, e.g. ${notKilled[0]}: ${last(notKilled[0]!)}`)
    rows.push({
      variant: v.name, phase: `destroy ${n}`, containers: n, 's': cleanS, 'ms per container': cleanS * 1000 / n,
      'all TASK_KILLED s': terminalS, 'vs Mesos': cleanS / (MESOS_DESTROY_S_PER_1000 * n / 1000), 'agent CPU s': cpuSeconds(agent.pid) - dcpu0,
      'agent RSS MB': mb(rssBytes(agent.pid)), 'log rotator CPU s (whole run)': rotatorCpu(),
      ...(net ? { 'containers with an IP': ips.size, 'network leaks': leaks.length } : {}), load: load(),
    })
  } finally {
    await sched.call('TEARDOWN').catch(() => 0)
    sched.close()
    agent.proc.kill('SIGTERM')
    const timer = setTimeout(() => agent.proc.kill('SIGKILL'), 15_000)
    await agent.proc.exited
    clearTimeout(timer)
    await reapLeftovers(runtimeDir, cgroupsRoot)
    if (net) {
      // After a failed run: the networks of containers left behind are released from the agent's checkpoint.
      await new CniNetworking({ pluginDirs: [net.pluginsDir], configDir: net.configDir, stateDir: cniStateDir }).recover(new Set()).catch(() => {})
      net.cleanup()
    }
    if (!process.env.MESO_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The floor under the idle agent's RSS: a compiled Bun binary (as dist/meso is) doing nothing but serve HTTP. Most
 * of either is the runtime's own code paged in from the executable.
 */
async function bareBunRss(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-scale-bare-'))
  try {
    const src = join(dir, 'serve.ts')
    await Bun.write(src, "Bun.serve({ port: 0, fetch: () => new Response('ok') }); console.log('ready')\n")
    const out = join(dir, 'serve')
    const build = Bun.spawn([BUN, 'build', src, '--compile', '--minify', '--bytecode', '--outfile', out], { stdout: 'ignore', stderr: 'pipe', cwd: dir })
    if (await build.exited !== 0) return NaN
    const p = Bun.spawn([out], { stdout: 'ignore', stderr: 'ignore' })
    await Bun.sleep(1000)
    const rss = rssBytes(p.pid)
    p.kill()
    await p.exited
    return rss
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** RSS of a fresh agent with no tasks, a few seconds after it registered (its own work dir, thrown away). */
async function idleAgentRss(v: Variant, flags: string[], logPath: string, settleMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-scale-idle-'))
  const own = flags.map(f => f.startsWith('--work_dir=') ? `--work_dir=${join(dir, 'work')}` : f.startsWith('--runtime_dir=') ? `--runtime_dir=${join(dir, 'run')}` : f)
  const a = await startBenchAgent(v.agent, [...own, '--port=0'], `${logPath}.idle`)
  try {
    await Bun.sleep(settleMs)
    return rssBytes(a.pid)
  } finally {
    a.proc.kill('SIGTERM')
    await a.proc.exited
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runningOnMaster(url: string, agentId: string): Promise<number> {
  const r = await (await fetch(`${url}/master/tasks?limit=100000`)).json() as { tasks: { slave_id: string; state: string }[] }
  return r.tasks.filter(t => t.slave_id === agentId && t.state === 'TASK_RUNNING').length
}

const scalar = (offer: any, name: string): number =>
  offer.resources.filter((r: any) => r.name === name).reduce((k: number, r: any) => k + r.scalar.value, 0)

async function untilAsync(what: string, pred: () => Promise<boolean>, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs
  while (!await pred()) {
    if (Date.now() > deadline) throw new Error(`agent-scale: timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await Bun.sleep(everyMs)
  }
}

function sumCensus(a: Census, b: Census): Census {
  return { count: a.count + b.count, rssBytes: a.rssBytes + b.rssBytes, pssBytes: a.pssBytes + b.pssBytes, pids: [...a.pids, ...b.pids] }
}

function readLoad(): string {
  return loadNote().replace(/^load average /, '').replace(/ at start$/, '')
}

async function crunList(runtimeDir: string): Promise<string[]> {
  const p = Bun.spawn([Bun.which('crun')!, `--root=${join(runtimeDir, 'oci')}`, 'list', '-q'], { stdout: 'pipe', stderr: 'ignore' })
  return (await new Response(p.stdout).text()).split('\n').filter(Boolean)
}

/** Container cgroups left under the agent's cgroups root, in any hierarchy (v2, or the v1 controllers). */
function cgroupChildren(root: string): number {
  let k = 0
  for (const base of ['/sys/fs/cgroup', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/unified']) {
    const d = join(base, root)
    if (!existsSync(d)) continue
    try { k += readdirSync(d, { withFileTypes: true }).filter(e => e.isDirectory()).length } catch { /* gone meanwhile */ }
  }
  return k
}

/** After a failed run: nothing of this benchmark's may stay behind (containers, conmons, rotators, cgroups). */
async function reapLeftovers(runtimeDir: string, cgroupsRoot: string) {
  const crun = Bun.which('crun')!
  for (const id of await crunList(runtimeDir)) await Bun.spawn([crun, `--root=${join(runtimeDir, 'oci')}`, 'delete', '--force', id], { stdout: 'ignore', stderr: 'ignore' }).exited
  for (const pid of census(['conmon'], runtimeDir).pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
  for (const pid of census(['meso', 'bun', 'bun.exe'], join(runtimeDir, 'logrotate.sock')).pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
  // The agent leaves its --cgroups_root behind (as it does 'meso'); this one is the benchmark's own, in every hierarchy.
  let hierarchies: string[] = []
  try { hierarchies = readdirSync('/sys/fs/cgroup').map(h => join('/sys/fs/cgroup', h)) } catch { /* no cgroupfs */ }
  for (const base of ['/sys/fs/cgroup', ...hierarchies]) {
    const d = join(base, cgroupsRoot)
    if (!existsSync(d)) continue
    try { for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirSync(join(d, e.name)) } catch { /* busy or gone */ }
    try { rmdirSync(d) } catch { /* busy */ }
  }
}

export function printAgentScale(r: BenchResult) {
  printResult('Agent at scale', r)
}

if (import.meta.main) {
  const i = process.argv.indexOf('--containers')
  const j = process.argv.indexOf('--variants')
  printAgentScale(await runAgentScaleBench({
    quick: process.argv.includes('--quick'),
    containers: i > 0 ? Number(process.argv[i + 1]) : undefined,
    variants: j > 0 ? process.argv[j + 1]!.split(',') : undefined,
    readopt: !process.argv.includes('--no-readopt'),
  }))
}
