// Master failover: three `meso master --zk=…` on a real ZooKeeper (test/helpers/zookeeper.ts), N simulated agents
// following the leader through a MasterDetector (bench/sim/, given the zk:// URL) with tasks running, and one
// framework on the v1 scheduler API. Each round stops the leader — `kill -9`, or SIGTERM (a graceful stop closes its
// ZooKeeper session, so its znode goes at once) — and times, from the signal:
//
//   (a) a new leader elected: the benchmark's own MasterDetector names another master;
//   (b) the first successful scheduler call on it: the framework follows the same detector, re-SUBSCRIBEs with its
//       framework id (retrying every RETRY_MS while the new leader is not serving yet) and sends RECONCILE (202);
//   (c) every agent re-registered with it: the fleet's own count of agents answered REREGISTERED by the new leader,
//       at the moment the last one was; then GET_AGENTS and the task metrics on the new leader are checked.
//
// After each round a fresh master replaces the stopped one (three contenders again) and the cluster settles. The
// settings: --zk_session_timeout=1secs against the default 10secs (one ZooKeeper, tickTime 200 ms, serves both:
// its minSessionTimeout of 2 ticks allows the 1 s session); kill -9 against SIGTERM under each. Rounds of all four
// interleave per session timeout (one cluster each). Mesos' paper reports 4–8 s to recover from a master failure: a
// reference line from another system, not a run here.
//
//   bun bench/failover.ts [--quick] [--rounds N] [--agents N]

import type { Logger } from '../src/core/log.ts'
import { schedulerEvents } from './lib/v1-scheduler.ts'
import type { MasterInfo } from '../src/core/v1/messages.ts'
import { MasterDetector } from '../src/master/ha/detector.ts'
import { startZooKeeper, type ZkEnsemble } from '../test/helpers/zookeeper.ts'
import { startBenchMaster, waitForMetrics, type BenchMaster } from './lib/bench-master.ts'
import { machine, median, type BenchResult } from './lib/measure.ts'
import { mesoDescription } from './lib/meso-bin.ts'
import { benchArgs, printResult } from './lib/print-result.ts'
import { Fleet, SIM_AGENT_RESOURCES } from './sim/fleet.ts'

/** Failover time after a master failure reported in the Mesos paper (Hindman et al., NSDI 2011). */
export const MESOS_PAPER_RECOVERY = '4–8 s'
const MASTERS = 3
const ZK_TICK_MS = 200
/** How often the framework retries SUBSCRIBE / its first call while the new leader does not serve yet. */
const RETRY_MS = 20
/** Longest any step of a round may take before the benchmark gives up (a 10 s session expires well within it). */
const STEP_TIMEOUT_MS = 60_000
/** Quiet time after a replacement master joined, before the next round stops the leader. */
const SETTLE_MS = 1_000

type Stop = 'SIGKILL' | 'SIGTERM'
const TIMEOUTS = ['1secs', '10secs'] as const
type SessionTimeout = (typeof TIMEOUTS)[number]

interface Round {
  electedMs: number
  /** The new leader's /metrics/snapshot says `master/elected` 1: it has recovered the registry and serves. */
  servingMs: number
  firstCallMs: number
  reregisteredMs: number
  /** The agents' connection attempts that failed during the round (each costs up to a second's wait). */
  reconnectFailures: number
  agentsActive: number
  tasksRunning: number
}

export interface FailoverOptions { quick: boolean; rounds?: number; agents?: number }

/** Only errors: the benchmark's output is its table. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error: m => console.error(`failover bench: ${m}`) }

const httpUrl = (m: MasterInfo) => `http://${m.address?.ip ?? m.hostname}:${m.address?.port ?? m.port}`

async function within<T>(what: string, p: Promise<T>, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms) })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The next leader that is not `old`, as the detector sees it. */
async function nextLeader(detector: MasterDetector, old: MasterInfo): Promise<MasterInfo> {
  let previous: MasterInfo | undefined = old
  for (;;) {
    const leader = await detector.detect(previous)
    if (leader && leader.id !== old.id) return leader
    previous = leader
  }
}

async function metrics(url: string): Promise<Record<string, number>> {
  return await (await fetch(`${url}/metrics/snapshot`, { redirect: 'manual' })).json() as Record<string, number>
}

/** Agents the master says are active (GET_AGENTS). */
async function activeAgents(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_AGENTS' }),
  })
  const body = await res.json() as { get_agents: { agents?: { active?: boolean }[] } }
  return (body.get_agents.agents ?? []).filter(a => a.active).length
}

/**
 * The framework: launches `tasks` long-running tasks spread over the agents' first offers, declines the rest,
 * acknowledges every update; on a failover it follows the detector to the new leader and subscribes again with its
 * framework id. Plain fetch and RecordIO, no meso client code: the public wire format, as a third-party scheduler.
 */
class FailoverFramework {
  id = ''
  readonly running = new Set<string>()
  private master = ''
  private streamId = ''
  private abort?: AbortController
  private launched = 0
  private seq = 0
  private closed = false

  constructor(private readonly detector: MasterDetector, private readonly tasks: number, private readonly perOffer: number) {}

  async start(url: string): Promise<void> {
    if (!(await this.subscribe(url))) throw new Error(`SUBSCRIBE to ${url} failed`)
  }

  /** Follows the leader after `old` went; resolves with the ms from `t0` to the first call (RECONCILE) accepted there. */
  async failover(old: MasterInfo, t0: number): Promise<number> {
    this.abort?.abort()
    const giveUp = () => { if (this.closed || Date.now() - t0 > STEP_TIMEOUT_MS) throw new Error('the framework gave up following the leader') }
    let leader = await nextLeader(this.detector, old)
    while (!(await this.subscribe(httpUrl(leader)))) {
      giveUp()
      await Bun.sleep(RETRY_MS)
      const now = this.detector.leader
      if (now && now.id !== old.id) leader = now
    }
    while ((await this.call('RECONCILE', { reconcile: { tasks: [] } })) !== 202) {
      giveUp()
      await Bun.sleep(RETRY_MS)
    }
    return Date.now() - t0
  }

  close(): void {
    this.closed = true
    this.abort?.abort()
  }

  private info(): Record<string, unknown> {
    return {
      user: 'root', name: 'failover-bench', roles: ['*'], checkpoint: true, failover_timeout: 3600,
      capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
      ...(this.id ? { id: { value: this.id } } : {}),
    }
  }

  /** SUBSCRIBE; true once SUBSCRIBED arrived, false for any refusal (a master not leading yet answers 307 or 503). */
  private async subscribe(url: string): Promise<boolean> {
    const abort = new AbortController()
    let res: Response
    try {
      res = await fetch(`${url}/api/v1/scheduler`, {
        method: 'POST', redirect: 'manual', signal: abort.signal,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: this.info() } }),
      })
    } catch {
      return false
    }
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => '')
      return false
    }
    this.abort?.abort()
    this.abort = abort
    this.master = url
    this.streamId = res.headers.get('mesos-stream-id') ?? ''
    return new Promise<boolean>(resolve => void this.read(res.body!, resolve))
  }

  private async read(body: ReadableStream<Uint8Array>, subscribed: (ok: boolean) => void): Promise<void> {
    try {
      for await (const e of schedulerEvents(body)) {
        if (e.type === 'SUBSCRIBED') { this.id = e.subscribed.framework_id.value; subscribed(true) } else this.onEvent(e)
      }
    } catch { /* aborted, or the master went */ }
    subscribed(false) // the stream ended before SUBSCRIBED (once subscribed, this is a no-op)
  }

  private async call(type: string, body: Record<string, unknown>): Promise<number> {
    try {
      const res = await fetch(`${this.master}/api/v1/scheduler`, {
        method: 'POST', redirect: 'manual',
        headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId },
        body: JSON.stringify({ type, framework_id: { value: this.id }, ...body }),
      })
      await res.text()
      return res.status
    } catch {
      return 0
    }
  }

  private onEvent(e: any): void {
    if (e.type === 'OFFERS') {
      for (const offer of e.offers.offers ?? []) this.use(offer)
    } else if (e.type === 'UPDATE') {
      const s = e.update.status
      if (s.uuid) void this.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
      if (s.state === 'TASK_RUNNING') this.running.add(s.task_id.value)
      else this.running.delete(s.task_id.value)
    }
  }

  private use(offer: any): void {
    const n = Math.min(this.perOffer, this.tasks - this.launched)
    if (n <= 0) {
      void this.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } })
      return
    }
    const role = offer.resources?.find((r: any) => r.allocation_info?.role)?.allocation_info.role ?? '*'
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role } },
    ]
    const taskInfos = Array.from({ length: n }, () => {
      const id = `t${this.seq++}`
      return { name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command: { value: 'sleep 3600' } }
    })
    this.launched += n
    void this.call('ACCEPT', {
      accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }], filters: { refuse_seconds: 3600 } },
    })
  }
}

/** Three masters contending under one session timeout, the fleet and the framework following whoever leads. */
class Cluster {
  private readonly masters: BenchMaster[] = []
  private readonly detector: MasterDetector
  private fleet?: Fleet
  private framework?: FailoverFramework

  private constructor(private readonly zkUrl: string, private readonly timeout: SessionTimeout, readonly agents: number, readonly tasks: number) {
    this.detector = new MasterDetector(zkUrl, { log: quiet })
  }

  static async start(zkUrl: string, timeout: SessionTimeout, agents: number, tasksPerAgent: number): Promise<Cluster> {
    const c = new Cluster(zkUrl, timeout, agents, agents * tasksPerAgent)
    try {
      for (let i = 0; i < MASTERS; i++) c.masters.push(await c.startMaster())
      const first = await within('a leader elected', c.detector.detect())
      if (!first) throw new Error('no leader elected')
      const leader = httpUrl(first)
      await waitForMetrics(leader, m => m['master/elected'] === 1, STEP_TIMEOUT_MS)
      c.fleet = await Fleet.start({ master: zkUrl, agents, resources: SIM_AGENT_RESOURCES, taskMs: -1 })
      await waitForMetrics(leader, m => m['master/slaves_active'] === agents, STEP_TIMEOUT_MS)
      c.framework = new FailoverFramework(c.detector, c.tasks, tasksPerAgent)
      await c.framework.start(leader)
      await waitForMetrics(leader, m => m['master/tasks_running'] === c.tasks, STEP_TIMEOUT_MS)
    } catch (err) {
      await c.stop()
      throw err
    }
    return c
  }

  private startMaster(): Promise<BenchMaster> {
    return startBenchMaster([`--zk=${this.zkUrl}`, `--zk_session_timeout=${this.timeout}`])
  }

  /** Stops the leader with `signal` and times (a), (b), (c) from the signal; then a fresh master takes its place. */
  async round(signal: Stop): Promise<Round> {
    const old = this.detector.leader
    const victim = old && this.masters.find(m => m.url === httpUrl(old))
    if (!old || !victim) throw new Error('no leader among the running masters')
    this.masters.splice(this.masters.indexOf(victim), 1)
    const failures0 = (await this.fleet!.stats()).stats.reconnectFailures
    const t0 = Date.now()
    if (signal === 'SIGKILL') process.kill(victim.pid, 'SIGKILL')
    const stopped = victim.stop() // SIGTERM (a graceful stop), or just the reaping and clean-up after kill -9
    const elected = nextLeader(this.detector, old).then(leader => ({ leader, ms: Date.now() - t0 }))
    const firstCall = this.framework!.failover(old, t0)
    const { leader, ms: electedMs } = await within('a new leader', elected)
    const servingMs = await within('the new leader serving', this.serving(httpUrl(leader), t0))
    const reregisteredMs = await within('every agent re-registered', this.reregistered(leader.id, t0))
    const firstCallMs = await within('the first scheduler call on the new leader', firstCall)
    await stopped
    const url = httpUrl(leader)
    const m = await metrics(url)
    const round: Round = {
      electedMs, servingMs, firstCallMs, reregisteredMs,
      reconnectFailures: (await this.fleet!.stats()).stats.reconnectFailures - failures0,
      agentsActive: await activeAgents(url), tasksRunning: m['master/tasks_running'] ?? NaN,
    }
    this.masters.push(await this.startMaster())
    await Bun.sleep(SETTLE_MS)
    return round
  }

  /** Resolves with the ms from `t0` until the master at `url` says it is elected (polled every 5 ms). */
  private async serving(url: string, t0: number): Promise<number> {
    while (Date.now() - t0 < STEP_TIMEOUT_MS) {
      const m = await metrics(url).catch(() => ({} as Record<string, number>))
      if (m['master/elected'] === 1) return Date.now() - t0
      await Bun.sleep(5)
    }
    throw new Error(`the master at ${url} never said it was elected`)
  }

  /** Resolves with the ms from `t0` until the last agent was answered REREGISTERED by master `id`. */
  private async reregistered(id: string, t0: number): Promise<number> {
    while (Date.now() - t0 < STEP_TIMEOUT_MS) {
      const c = (await this.fleet!.stats()).byMaster.get(id)
      if (c && c.agents === this.agents) return c.lastAt - t0
      await Bun.sleep(10)
    }
    throw new Error(`not every agent re-registered with master ${id}`)
  }

  async stop(): Promise<void> {
    this.framework?.close()
    await this.fleet?.stop()
    await Promise.all(this.masters.map(m => m.stop()))
    this.masters.length = 0
    await this.detector.close()
  }
}

export async function runFailoverBench(opts: FailoverOptions): Promise<BenchResult> {
  const rounds = opts.rounds ?? (opts.quick ? 1 : 5)
  const agents = opts.agents ?? (opts.quick ? 20 : 100)
  const tasksPerAgent = opts.quick ? 2 : 5
  const results = new Map<string, Round[]>()
  const key = (timeout: SessionTimeout, stop: Stop) => `${stop} ${timeout}`
  const zk: ZkEnsemble = await startZooKeeper({ nodes: 1, tickTime: ZK_TICK_MS })
  try {
    for (const timeout of TIMEOUTS) {
      const cluster = await Cluster.start(zk.url(`/failover-${timeout}`), timeout, agents, tasksPerAgent)
      try {
        for (let r = 0; r < rounds; r++) {
          // kill -9 and SIGTERM alternate, the first of each pair rotating, so drift hits both alike.
          const order: Stop[] = r % 2 === 0 ? ['SIGKILL', 'SIGTERM'] : ['SIGTERM', 'SIGKILL']
          for (const stop of order) {
            const k = key(timeout, stop)
            results.set(k, [...(results.get(k) ?? []), await cluster.round(stop)])
          }
        }
      } finally {
        await cluster.stop()
      }
    }
  } finally {
    await zk.stop()
  }

  const summary = (k: string) => {
    const rs = results.get(k)!
    const col = (f: (r: Round) => number) => rs.map(f)
    return {
      rs,
      a: col(r => r.electedMs), serving: col(r => r.servingMs), b: col(r => r.firstCallMs), c: col(r => r.reregisteredMs),
      failures: col(r => r.reconnectFailures),
    }
  }
  const label = (stop: Stop) => (stop === 'SIGKILL' ? 'kill -9 of the leader' : 'SIGTERM to the leader (graceful)')
  /** What each row is compared with: kill -9 under the same timeout for SIGTERM, the 10 s default for kill -9 at 1 s. */
  const baselineOf = (timeout: SessionTimeout, stop: Stop): [SessionTimeout, Stop] | undefined =>
    stop === 'SIGTERM' ? [timeout, 'SIGKILL'] : timeout === '1secs' ? ['10secs', 'SIGKILL'] : undefined
  const rows: Record<string, number | string>[] = []
  const notes: string[] = []
  const failures: string[] = []
  for (const timeout of TIMEOUTS) {
    for (const stop of ['SIGKILL', 'SIGTERM'] as Stop[]) {
      const s = summary(key(timeout, stop))
      const base = baselineOf(timeout, stop)
      const b = base ? summary(key(...base)) : undefined
      rows.push({
        variant: label(stop), '--zk_session_timeout': timeout, rounds: s.rs.length, agents, tasks: agents * tasksPerAgent,
        '(a) elected median ms': median(s.a), '(a) max ms': Math.max(...s.a), 'new leader serving median ms': median(s.serving),
        '(b) first call median ms': median(s.b), '(b) max ms': Math.max(...s.b),
        '(c) agents re-registered median ms': median(s.c), '(c) max ms': Math.max(...s.c),
        baseline: base ? `${label(base[1])}, ${base[0]}` : '—',
        '(b) vs baseline': b ? median(s.b) / median(b.b) : '—',
        '(c) vs baseline': b ? median(s.c) / median(b.c) : '—',
      })
      failures.push(`${stop === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${timeout}: ${median(s.failures)} (max ${Math.max(...s.failures)})`)
      const wrong = s.rs.filter(r => r.agentsActive !== agents || r.tasksRunning !== agents * tasksPerAgent)
      if (wrong.length) {
        notes.push(`${label(stop)}, ${timeout}: ${wrong.length} round(s) where the new leader did not show every agent active and every task running ` +
          `(${wrong.map(r => `${r.agentsActive} agents, ${r.tasksRunning} tasks`).join('; ')}).`)
      }
    }
  }
  rows.push({
    variant: 'Mesos paper (NSDI 2011): reference, not a run', '--zk_session_timeout': '', rounds: '', agents: '', tasks: '',
    '(a) elected median ms': '', '(a) max ms': '', 'new leader serving median ms': '', '(b) first call median ms': '', '(b) max ms': '',
    '(c) agents re-registered median ms': MESOS_PAPER_RECOVERY, '(c) max ms': '', baseline: '', '(b) vs baseline': '', '(c) vs baseline': '',
  })
  notes.push(`The agents' failed connection attempts per round, median (to the stopped leader, or to the new one before it serves; ` +
    `each is followed by a random wait up to 1 s, which is most of (c) − (a)): ${failures.join(', ')}.`)
  const one = summary(key('1secs', 'SIGKILL'))
  const graceful = summary(key('1secs', 'SIGTERM'))
  notes.unshift(
    `${MASTERS} masters (${mesoDescription()}) on one ZooKeeper node (tickTime ${ZK_TICK_MS} ms, so minSessionTimeout 400 ms: both session ` +
      `timeouts are granted as asked), ${agents} simulated agents (${SIM_AGENT_RESOURCES}) following the leader through a MasterDetector, ` +
      `${agents * tasksPerAgent} running tasks of one framework; all on loopback. ${rounds} round(s) of each row, median and max.`,
    'Times from the signal to: (a) the benchmark\'s MasterDetector names another master; (b) the framework, following the same detector, ' +
      `re-subscribed with its id (retrying every ${RETRY_MS} ms while the new leader answers 307/503) and had RECONCILE accepted (202); ` +
      '(c) the last agent was answered REREGISTERED by the new leader (the simulated agents reconnect as the real one does: at once on a ' +
      'leader change, then after a random wait up to 1 s when the attempt fails). After each round a fresh master joins as a standby.',
    'After kill -9 nothing tells ZooKeeper: (a) waits for it to expire the killed master\'s session, the session timeout after it last heard ' +
      'from it (so at most the timeout, rounded up to a tick). A SIGTERM closes the session and the znode goes at once.',
    `Goal: (b) ≤ 2 s with --zk_session_timeout=1secs: median ${median(one.b)} ms, max ${Math.max(...one.b)} ms; ` +
      `a graceful stop ≤ 300 ms: (b) median ${median(graceful.b)} ms, max ${Math.max(...graceful.b)} ms ((a) median ${median(graceful.a)} ms).`,
    `Baselines in the same run: kill -9 with the 10 s default for the 1 s setting; kill -9 under the same session timeout for SIGTERM. ` +
      `Mesos' paper (NSDI 2011) reports ${MESOS_PAPER_RECOVERY} to recover from a master failure: a reference line from another system ` +
      'and other hardware, not a run here.',
  )
  return { name: 'failover', machine: machine(), rows, notes }
}

export function printFailover(r: BenchResult) {
  printResult('Master failover', r)
}

if (import.meta.main) {
  const { quick, rounds } = benchArgs()
  const i = process.argv.indexOf('--agents')
  printFailover(await runFailoverBench({ quick, rounds, agents: i > 0 ? Number(process.argv[i + 1]) : undefined }))
  process.exit(0)
}
