// Highly available masters on distinct hosts: three masters, two agents and a ZooKeeper server, each in a network
// namespace of its own (test/helpers/netns-cluster.ts with `zookeepers: 1`). One master leads and the standbys send
// clients to it; the agents find it through zk://. A partition-aware framework that follows the leader (as Mesos'
// scheduler driver does through its detector: here the test polls ZooKeeper and the masters' `master/elected`)
// launches short tasks without pause while the leader is killed with -9: every task it tried to launch ends exactly
// once and none runs twice. A leader cut off from everyone past its session timeout is replaced and exits; healed,
// it has not disturbed the new leader's state. Finally every master is restarted once, one after the other, while
// a long task keeps running. The tests run in order on one cluster.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { electedOn, NetnsCluster, netnsClusterUnavailable, netnsLeftovers, type NetnsNode } from '../helpers/netns-cluster.ts'
import { waitFor } from '../helpers/processes.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { zooKeeperUnavailable } from '../helpers/zookeeper.ts'
import { detectLeader } from '../../src/master/ha/detector.ts'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'

const unavailable = netnsClusterUnavailable() ?? zooKeeperUnavailable()

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR'])
/** Terminal states that say the task never ran (the master did not know it, or dropped it). */
const NEVER_RAN = new Set(['TASK_DROPPED', 'TASK_GONE', 'TASK_LOST'])
const SHORT = 'sleep 0.5'

/** A GET that gives up after `ms` (a partitioned node never answers). */
const get = (url: string, ms = 2000, redirect: 'follow' | 'manual' = 'follow') => fetch(url, { signal: AbortSignal.timeout(ms), redirect })
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, Bun.sleep(ms).then(() => undefined)])

/**
 * A partition-aware framework that follows the leading master: when ZooKeeper names another leader (that says it
 * leads) it drops its stream and SUBSCRIBEs there with its framework id, then reconciles. It launches `perOffer`
 * short tasks per offer while `launching`, keeping at most `maxInFlight` unfinished, and remembers every task it
 * tried to launch — an ACCEPT whose answer was lost counts, as the master may have acted on it — and every status.
 * Tasks without a terminal status are reconciled explicitly every second, so that those the old leader accepted
 * but never sent to an agent are answered (TASK_GONE) by the new one.
 */
class FollowingFramework {
  s: RawScheduler | undefined
  leader: NetnsNode | undefined
  frameworkId = ''
  launching = false
  perOffer = 3
  maxInFlight = 8
  /** Task id → when the ACCEPT carrying it was sent, to which master, for which agent. */
  readonly attempted = new Map<string, { at: number; master: string; agentId: string }>()
  readonly statuses = new Map<string, any[]>()
  readonly subscriptions: { master: string; at: number }[] = []
  /** A task to launch with the next offer (the long one). */
  pendingLong: string | undefined
  private seq = 0
  private cursor = 0
  private stopped = false
  private loops: Promise<void>[] = []
  readonly errors: string[] = []

  constructor(private readonly cluster: NetnsCluster, private readonly name: string) {}

  async start() {
    await this.connect(await this.cluster.leader())
    this.loops = [this.eventLoop(), this.followLoop()]
  }

  async stop() {
    this.stopped = true
    await Promise.all(this.loops)
    this.s?.close()
  }

  states(taskId: string): string[] { return (this.statuses.get(taskId) ?? []).map(st => st.state) }
  terminal(taskId: string): string[] { return [...new Set(this.states(taskId).filter(s => TERMINAL.has(s)))] }
  get unfinished(): string[] { return [...this.attempted.keys()].filter(t => !this.terminal(t).length && t !== this.pendingLongId) }
  private pendingLongId: string | undefined
  private acceptWaiters: (() => void)[] = []

  /** Resolves as soon as the next ACCEPT has been sent (its answer not awaited): to kill the leader right then. */
  nextAccept(): Promise<void> { return new Promise(res => this.acceptWaiters.push(res)) }

  private async connect(leader: NetnsNode) {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = new RawScheduler(leader.url)
      try {
        await s.subscribe(frameworkInfo(this.name, this.frameworkId ? { id: { value: this.frameworkId } } : {}))
        this.s?.close()
        this.s = s
        this.cursor = 0
        this.leader = leader
        this.frameworkId = s.frameworkId
        this.subscriptions.push({ master: leader.name, at: Date.now() })
        void this.reconcile(true)
        return
      } catch (e) {
        s.close()
        if (Date.now() > deadline) throw new Error(`cannot subscribe at ${leader.name}: ${e}`)
        await Bun.sleep(100)
      }
    }
  }

  private async reconcile(implicit: boolean) {
    const s = this.s
    if (!s) return
    const old = this.unfinished.filter(t => Date.now() - this.attempted.get(t)!.at > 2000)
    // With the agent: a master that knows neither the task nor, without it, where it was to run says TASK_UNKNOWN.
    const tasks = old.map(t => ({ task_id: { value: t }, agent_id: { value: this.attempted.get(t)!.agentId } }))
    if (implicit) await within(s.call('RECONCILE', { reconcile: { tasks: [] } }).catch(() => undefined), 2000)
    if (tasks.length) await within(s.call('RECONCILE', { reconcile: { tasks } }).catch(() => undefined), 2000)
  }

  /** Follows the leader (every 200 ms) and reconciles what is unfinished (every second). */
  private async followLoop() {
    let lastReconcile = Date.now()
    while (!this.stopped) {
      await Bun.sleep(200)
      const now = await this.cluster.currentLeader().catch(() => undefined)
      if (this.stopped) break
      if (now && now !== this.leader) {
        try { await this.connect(now) } catch (e) { this.errors.push(String(e)) }
      }
      if (Date.now() - lastReconcile > 1000) { lastReconcile = Date.now(); await this.reconcile(false) }
    }
  }

  private async eventLoop() {
    while (!this.stopped) {
      const s = this.s
      if (!s || this.cursor >= s.events.length) { await Bun.sleep(10); continue }
      const e = s.events[this.cursor++]!
      if (e.type === 'UPDATE') {
        const st = e.update.status
        const list = this.statuses.get(st.task_id.value) ?? []
        list.push(st)
        this.statuses.set(st.task_id.value, list)
      } else if (e.type === 'OFFERS') {
        for (const o of e.offers.offers) void this.onOffer(s, o)
      }
    }
  }

  /** Every offer received: from which master, for which agent, with how many cpus and how much mem. */
  readonly offers: { at: number; master: string; agentId: string; cpus: number; mem: number }[] = []
  private async onOffer(s: RawScheduler, offer: any) {
    const scalar = (name: string) => offer.resources.filter((r: any) => r.name === name).reduce((n: number, r: any) => n + (r.scalar?.value ?? 0), 0)
    let [cpus, mem] = [scalar('cpus'), scalar('mem')]
    this.offers.push({ at: Date.now(), master: this.leader?.name ?? '?', agentId: offer.agent_id.value, cpus, mem })
    // Only what fits: an offer may be small (resources freed while the rest is offered come as an offer of their own).
    const fits = () => cpus >= 0.1 - 1e-9 && mem >= 16
    const take = () => { cpus -= 0.1; mem -= 16 }
    const tasks: Record<string, unknown>[] = []
    if (this.pendingLong && fits()) {
      take()
      const id = this.pendingLong
      this.pendingLong = undefined
      this.pendingLongId = id
      tasks.push(commandTask(id, offer.agent_id.value, 'sleep 600'))
    }
    if (this.launching) {
      const n = Math.max(0, Math.min(this.perOffer, this.maxInFlight - this.unfinished.length))
      for (let i = 0; i < n && fits(); i++) { take(); tasks.push(commandTask(`short-${++this.seq}`, offer.agent_id.value, SHORT)) }
    }
    const filters = { refuse_seconds: 0.2 }
    if (!tasks.length) return void within(s.call('DECLINE', { decline: { offer_ids: [offer.id], filters } }).catch(() => undefined), 3000)
    for (const t of tasks) this.attempted.set((t.task_id as { value: string }).value, { at: Date.now(), master: this.leader?.name ?? '?', agentId: offer.agent_id.value })
    const call = s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters } })
    for (const w of this.acceptWaiters.splice(0)) w()
    const r = await within(call.catch(() => undefined), 3000)
    if (r && r.status !== 202) this.errors.push(`ACCEPT at ${s.master} → ${r.status}: ${await r.text()}`)
  }
}

/** How many times the task's container was started on any agent: its run dirs in the agents' sandboxes. */
function runsOf(cluster: NetnsCluster, frameworkId: string, taskId: string): number {
  let n = 0
  for (const a of cluster.agents) {
    const slaves = join(a.workDir, 'slaves')
    if (!existsSync(slaves)) continue
    for (const id of readdirSync(slaves)) {
      const runs = join(slaves, id, 'frameworks', frameworkId, 'executors', taskId, 'runs')
      if (existsSync(runs)) n += readdirSync(runs).filter(r => r !== 'latest').length
    }
  }
  return n
}

async function slavesOf(master: NetnsNode): Promise<{ id: string; pid: string; active: boolean }[]> {
  return ((await (await get(`${master.url}/master/slaves`)).json()) as { slaves: { id: string; pid: string; active: boolean }[] }).slaves
}

describe.skipIf(!!unavailable)(`HA masters on distinct hosts${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: NetnsCluster
  let fw: FollowingFramework | undefined
  const LONG = 'long-1'

  beforeAll(async () => {
    cluster = await NetnsCluster.start({
      zookeepers: 1, masters: 3, agents: 2,
      masterFlags: ['--zk_session_timeout=1secs', '--allocation_interval=100ms', '--agent_ping_timeout=1secs', '--max_agent_ping_timeouts=3', '--agent_reregister_timeout=30secs'],
      agentFlags: ['--registration_backoff_factor=100ms'],
      agentResources: () => 'cpus:2;mem:1024',
    })
  }, 60_000)
  afterAll(async () => {
    await fw?.stop().catch(() => {})
    const tag = cluster?.tag
    await cluster?.stop()
    if (tag) expect(netnsLeftovers(tag)).toEqual([])
  })

  test('one leader; the standbys send clients to it; both agents register with it through zk://', async () => {
    const leader = await cluster.leader()
    const standbys = cluster.masters.filter(m => m !== leader)
    expect(await Promise.all(cluster.masters.map(electedOn))).toEqual(cluster.masters.map(m => (m === leader ? 1 : 0)))
    const info = await detectLeader(cluster.zkUrl!, 5000)
    expect(info?.address?.ip).toBe(leader.ip)
    for (const s of standbys) {
      const r = await get(`${s.url}/master/state`, 2000, 'manual')
      expect(r.status).toBe(307)
      expect(r.headers.get('location')).toBe(`//${leader.ip}:5050/master/state`)
      expect((await get(`${s.url}/master/redirect`, 2000, 'manual')).headers.get('location')).toBe(`//${leader.ip}:5050`)
    }
    await cluster.waitForAgents()
    const slaves = await slavesOf(leader)
    expect(slaves.map(s => s.pid.split('@')[1]).sort()).toEqual(cluster.agents.map(a => `${a.ip}:5051`).sort())
    for (const a of cluster.agents) {
      const state = await (await get(`${a.url}/state`)).json() as { flags: Record<string, string>; master_hostname?: string }
      expect(state.flags.master).toBe(cluster.zkUrl!)
      expect(state.master_hostname).toBe(leader.hostname)
    }
  }, 30_000)

  test('kill -9 of the leader under load: every task ends exactly once, none runs twice, launching goes on', async () => {
    fw = new FollowingFramework(cluster, 'netns-ha')
    await fw.start()
    fw.launching = true
    await waitFor('short tasks finishing', () => [...fw!.attempted.keys()].filter(t => fw!.states(t).includes('TASK_FINISHED')).length >= 6, 20_000, 50)
    await Bun.sleep(1000) // in full swing
    const leader = fw.leader!
    await fw.nextAccept() // killed while an ACCEPT is on its way: acted on or not, its tasks must end once
    const before = fw.attempted.size
    const inFlight = fw.unfinished.length
    const killedAt = Date.now()
    await cluster.kill9(leader)
    const next = await cluster.leader(20_000)
    const electedMs = Date.now() - killedAt
    expect(next).not.toBe(leader)
    await waitFor('the framework re-subscribed at the new leader', () => fw!.leader === next, 20_000, 20)
    const resubscribedMs = fw.subscriptions.at(-1)!.at - killedAt
    // It keeps launching there: tasks sent after the re-subscription finish.
    const afterwards = (t: string) => fw!.attempted.get(t)!.master === next.name && fw!.attempted.get(t)!.at > killedAt
    await waitFor('tasks launched at the new leader finishing', () => [...fw!.attempted.keys()].filter(t => afterwards(t) && fw!.states(t).includes('TASK_FINISHED')).length >= 6, 30_000, 50)
    const firstFinished = Math.min(...[...fw.attempted.keys()].filter(t => afterwards(t) && fw!.states(t).includes('TASK_FINISHED'))
      .map(t => fw!.statuses.get(t)!.find(st => st.state === 'TASK_FINISHED')!.timestamp * 1000))
    fw.launching = false
    await cluster.waitForAgents()
    // Every task tried ends: by itself, or answered by reconciliation.
    await waitFor('every task tried to reach a terminal state', () => fw!.unfinished.length === 0, 30_000, 100).catch(async e => {
      const tasks = await (await get(`${next.url}/master/tasks`)).json() as { tasks: { id: string; state: string; slave_id: string }[] }
      throw new Error(`${e.message}: ${fw!.unfinished.map(t => `${t} (sent to ${fw!.attempted.get(t)!.master} ${fw!.attempted.get(t)!.at - killedAt} ms after the kill; ` +
        `statuses ${JSON.stringify(fw!.statuses.get(t) ?? [])}; started ${runsOf(cluster, fw!.frameworkId, t)} times; the leader says ${JSON.stringify(tasks.tasks.find(x => x.id === t) ?? 'nothing')})`).join('; ')}`)
    })
    await Bun.sleep(1500) // late or repeated updates would show now

    const tried = [...fw.attempted.keys()]
    const byState = new Map<string, number>()
    const reconciledAhead: string[] = []
    const problems: string[] = []
    for (const t of tried) {
      const term = fw.terminal(t)
      const runs = runsOf(cluster, fw.frameworkId, t)
      byState.set(term.join('+'), (byState.get(term.join('+')) ?? 0) + 1)
      if (term.length !== 1) problems.push(`${t}: terminal states ${term.join(', ')} (${fw.states(t).join(' → ')})`)
      if (runs > 1) problems.push(`${t}: started ${runs} times`)
      if (term.length === 1 && term[0] !== 'TASK_FINISHED' && !NEVER_RAN.has(term[0]!)) problems.push(`${t}: ${fw.statuses.get(t)!.map(st => `${st.state} ${st.message ?? ''}`).join(' → ')}`)
      if (term.length === 1 && term[0] === 'TASK_FINISHED' && runs !== 1) problems.push(`${t}: FINISHED but started ${runs} times`)
      if (term.length === 1 && NEVER_RAN.has(term[0]!) && runs !== 0) problems.push(`${t}: ${term[0]} but started ${runs} times`)
      // The agent's updates (those with a uuid) come in order: after a terminal one only that one again (a retry).
      const describe = () => fw!.statuses.get(t)!.map(st => `${st.state} (${st.source} ${st.reason ?? ''} ${st.uuid ? `uuid ${st.uuid.slice(0, 8)}` : 'no uuid'})`).join(' → ')
      const fromAgent = (fw.statuses.get(t) ?? []).filter(st => st.uuid).map(st => st.state)
      const first = fromAgent.findIndex(s => TERMINAL.has(s))
      if (first >= 0 && fromAgent.slice(first).some(s => s !== fromAgent[first])) problems.push(`${t}: ${describe()}`)
      // Reconciliation answers are not checked for order: meso answers a task's latest state, so a terminal answer
      // can come before the agent's older updates still queued behind an unacknowledged one (see the todo below).
      const all = fw.statuses.get(t) ?? []
      const early = all.findIndex(st => !st.uuid && TERMINAL.has(st.state))
      if (early >= 0 && all.slice(early).some(st => st.uuid && !TERMINAL.has(st.state))) reconciledAhead.push(`${t}: ${describe()}`)
    }
    // Repeated terminal updates (at-least-once delivery), by kind: the same update again (same uuid), another update
    // with the same state from the agent (a new uuid: a second RUN_TASK or a second exit would say so), or an answer
    // to reconciliation (no uuid).
    const repeats = { sameUuid: 0, newUuid: 0, reconciliation: 0 }
    for (const t of tried) {
      const term = (fw.statuses.get(t) ?? []).filter(st => TERMINAL.has(st.state))
      const uuids = new Set<string>()
      term.forEach((st, i) => {
        if (!st.uuid) { if (i > 0) repeats.reconciliation++; return }
        if (uuids.has(st.uuid)) repeats.sameUuid++
        else if (uuids.size) repeats.newUuid++
        uuids.add(st.uuid)
      })
      if (uuids.size > 1) problems.push(`${t}: ${uuids.size} distinct terminal updates from its agent`)
    }
    console.log(`netns-ha: kill -9 under load: new leader ${electedMs} ms after the kill, framework re-subscribed after ${resubscribedMs} ms, ` +
      `first task launched there finished after ${Math.round(firstFinished - killedAt)} ms; tasks tried ${tried.length} (${before} before the kill, ${inFlight} of them unfinished at the kill): ` +
      `${[...byState].map(([s, n]) => `${s || 'none'} ${n}`).join(', ')}` +
      ` (${tried.filter(t => !fw!.terminal(t).includes('TASK_FINISHED')).map(t => `${t}, sent ${fw!.attempted.get(t)!.at - killedAt} ms after the kill to ${fw!.attempted.get(t)!.master}: ${fw!.statuses.get(t)!.map(st => `${st.state} ${st.reason ?? ''} ${st.message ?? ''}`).join(' → ')}`).join('; ')}); repeated terminal updates ${JSON.stringify(repeats)}; terminal reconciliation answers ahead of the agent's updates: ${reconciledAhead.length ? reconciledAhead.join('; ') : 'none'}; subscriptions ${fw.subscriptions.map(s => s.master).join(' → ')}`)
    expect(problems).toEqual([])
    expect(fw.errors).toEqual([])
    // The old leader comes back as a standby, with the same work dir.
    await leader.start()
    await waitFor(`${leader.name} a standby`, async () => (await electedOn(leader)) === 0, 10_000, 50)
  }, 90_000)

  test('a leader cut off from everyone past its session timeout is replaced and exits; healed, the state is intact', async () => {
    if (!fw) throw new Error('no framework: an earlier test failed')
    const leader = await cluster.leader()
    const slavesBefore = (await slavesOf(leader)).map(s => s.id).sort()
    const cutAt = Date.now()
    cluster.partition(leader)
    let exitedAt = 0
    const exited = leader.proc!.exited.then(code => { exitedAt = Date.now(); return code })
    const next = await cluster.leader(20_000)
    const electedMs = Date.now() - cutAt
    expect(next).not.toBe(leader)
    const code = await within(exited, 10_000)
    expect(code).toBeDefined() // it stepped down: the process ended by itself
    expect(code).not.toBe(0)
    expect(exitedAt - cutAt).toBeLessThan(3000) // about the session timeout (1 s), not whenever something fails
    console.log(`netns-ha: partitioned leader ${leader.name} exited (code ${code}) ${exitedAt - cutAt} ms after the cut; ${next.name} leads, seen ${electedMs} ms after it`)
    cluster.heal(leader)
    await Bun.sleep(1500) // whatever the old leader's sockets still held has arrived by now
    // The new leader's state is intact: both agents, the framework (followed there); in ZooKeeper the members of the
    // running masters only, and the registry's agents and framework.
    await cluster.waitForAgents()
    expect((await slavesOf(next)).map(s => s.id).sort()).toEqual(slavesBefore)
    await waitFor('the framework at the new leader', () => fw!.leader === next, 10_000, 50)
    const frameworks = await (await get(`${next.url}/master/frameworks`)).json() as { frameworks: { id: string; active: boolean }[] }
    expect(frameworks.frameworks.find(f => f.id === fw!.frameworkId)?.active).toBe(true)
    const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }
    const zk = new ZooKeeperClient({ servers: cluster.zookeepers.map(z => z.zk!.address).join(','), sessionTimeoutMs: 5000, log: quiet })
    try {
      await zk.connected()
      const members = (await zk.getChildren('/mesos')).children.filter(c => c.startsWith('json.info_'))
      expect(members).toHaveLength(cluster.masters.filter(m => m.running).length)
      const agents = (await zk.getChildren('/mesos/registry/agents')).children.sort()
      expect(agents).toEqual(slavesBefore)
      expect((await zk.getChildren('/mesos/registry/frameworks')).children).toContain(fw.frameworkId)
    } finally {
      await zk.close()
    }
    // Back as a standby, with the same work dir.
    await leader.start()
    await waitFor(`${leader.name} a standby`, async () => (await electedOn(leader)) === 0, 10_000, 50)
    expect(await cluster.currentLeader()).toBe(next)
  }, 60_000)

  test('rolling restart of every master: the cluster keeps serving, the long task keeps running, agents stay', async () => {
    if (!fw) throw new Error('no framework: an earlier test failed')
    fw.pendingLong = LONG
    await waitFor('the long task running', () => fw!.states(LONG).includes('TASK_RUNNING'), 20_000, 50)
    const runningFrom = fw.states(LONG).indexOf('TASK_RUNNING')
    const longRunningAt = Date.now()
    const longAgent = fw.attempted.get(LONG)!.agentId
    const agentIds = (await slavesOf(await cluster.leader())).map(s => s.id).sort()
    const restarted = new Set<NetnsNode>()
    const steps: string[] = []
    while (restarted.size < cluster.masters.length) {
      const leader = await cluster.leader()
      // The leader unless it has had its turn; then a standby that has not.
      const victim = restarted.has(leader) ? cluster.masters.find(m => !restarted.has(m))! : leader
      const t0 = Date.now()
      const offersFrom = fw.offers.length
      await victim.stop('SIGTERM')
      const next = await cluster.leader(20_000)
      const electedMs = Date.now() - t0
      await victim.start()
      restarted.add(victim)
      // Serving: the leader's state answers, lists the long task running and both agents.
      await cluster.waitForAgents()
      const agentsMs = Date.now() - t0
      expect((await slavesOf(next)).map(s => s.id).sort()).toEqual(agentIds) // the same agents, not new ones
      await waitFor(`the long task in ${next.name}'s state`, async () => {
        const r = await get(`${next.url}/master/state`)
        expect(r.status).toBe(200)
        const state = await r.json() as { frameworks: { id: string; tasks: { id: string; state: string }[] }[] }
        return state.frameworks.find(f => f.id === fw!.frameworkId)?.tasks.find(t => t.id === LONG)?.state === 'TASK_RUNNING'
      }, 20_000, 100)
      // The new leader knows the long task's resources are in use: its offers of that agent leave them out (cpus:2
      // in all, 0.1 for the task).
      const offer = await waitFor(`an offer of the long task's agent from ${next.name}`, () =>
        fw!.offers.slice(offersFrom).find(o => o.master === next.name && o.agentId === longAgent), 10_000, 50)
      expect(offer.cpus).toBeLessThanOrEqual(1.9 + 1e-9)
      steps.push(`${victim.name}${victim === leader ? ' (leader)' : ''} → ${next.name} leads after ${electedMs} ms, agents back after ${agentsMs} ms`)
    }
    await waitFor('the framework at the last leader', async () => fw!.leader === await cluster.leader(), 10_000, 50)
    console.log(`netns-ha: rolling restart: ${steps.join('; ')}`)
    // Running throughout: nothing but TASK_RUNNING (reconciliation answers, re-registrations) since it started.
    expect([...new Set(fw.states(LONG).slice(runningFrom))]).toEqual(['TASK_RUNNING'])
    expect(Math.max(...fw.offers.filter(o => o.agentId === longAgent && o.at >= longRunningAt).map(o => o.cpus))).toBeLessThanOrEqual(1.9 + 1e-9)
    expect(fw.errors).toEqual([])
  }, 90_000)

  // Reconciliation answers a task's status update state — the state of the update its agent is forwarding, which the
  // framework has not acknowledged yet — as Mesos' Master::_reconcileTasks does (the agent re-registers each task with
  // status_update_state from the head of its status update stream, as Slave::forward sets it). Otherwise a framework
  // that had not acknowledged TASK_STARTING would hear TASK_FINISHED from reconciliation after a failover, then
  // TASK_STARTING, TASK_RUNNING, TASK_FINISHED from the agent.
  test('after a failover, reconciliation answers the state of the update the agent is forwarding, not a later one', async () => {
    const leader = await cluster.leader()
    const s = new RawScheduler(leader.url, false) // no acknowledgements: the agent's stream stays at TASK_STARTING
    await s.subscribe(frameworkInfo('netns-ha-reconcile'))
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('unacked', offer.agent_id.value, 'sleep 0.3')] } }] } })
    expect((await s.next(e => e.type === 'UPDATE')).update.status.state).toBe('TASK_STARTING')
    await Bun.sleep(1000) // finished: TASK_RUNNING and TASK_FINISHED wait behind the unacknowledged TASK_STARTING
    await leader.stop('SIGTERM')
    const next = await cluster.leader(20_000)
    await cluster.waitForAgents()
    const again = new RawScheduler(next.url, false)
    try {
      await again.subscribe(frameworkInfo('netns-ha-reconcile', { id: { value: s.frameworkId } }))
      await again.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'unacked' }, agent_id: offer.agent_id }] } })
      const answer = await again.next(e => e.type === 'UPDATE' && !e.update.status.uuid)
      expect(answer.update.status.state).toBe('TASK_STARTING')
    } finally {
      s.close()
      again.close()
      await leader.start()
    }
  }, 60_000)
})
