// One master and two agents, each in a network namespace of its own (test/helpers/netns-cluster.ts): the agents
// register from distinct addresses, a partition-aware framework runs a task on each, one agent is cut off past the
// ping timeout (its task becomes UNREACHABLE) and reconnected (the task is RUNNING again, REASON_AGENT_REREGISTERED,
// as src/master/agents.ts reregisterAgent sends it), an agent killed with -9 comes back on the same host with its
// task, and nothing of the cluster is left on the host afterwards. The tests run in order on one cluster.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { NetnsCluster, netnsClusterUnavailable, netnsLeftovers, type NetnsNode } from '../helpers/netns-cluster.ts'
import { commandTask, frameworkInfo, RawScheduler, type Event } from '../helpers/raw-scheduler.ts'
import { waitFor } from '../helpers/processes.ts'

const unavailable = netnsClusterUnavailable()

const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8') } catch { return '' } }
/** The task's `sleep 300` among a node's processes: proof of which host it runs on. */
const sleepsOn = (node: NetnsNode) => node.pids().filter(p => cmdline(p) === 'sleep\u0000300\u0000')
const update = (taskId: string, pred: (status: any) => boolean) => (e: Event) => e.type === 'UPDATE' && e.update.status.task_id.value === taskId && pred(e.update.status)

describe.skipIf(!!unavailable)(`netns cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: NetnsCluster
  let a1: NetnsNode
  let a2: NetnsNode
  let s: RawScheduler | undefined
  const agentId = new Map<NetnsNode, string>()
  const taskOf = new Map<NetnsNode, string>()

  beforeAll(async () => {
    cluster = await NetnsCluster.start({
      masters: 1, agents: 2,
      // A ping a second, unreachable after two missed ones; agents retry the master quickly once healed.
      masterFlags: ['--allocation_interval=100ms', '--agent_ping_timeout=1secs', '--max_agent_ping_timeouts=2'],
      agentFlags: ['--registration_backoff_factor=100ms'],
    })
    ;[a1, a2] = cluster.agents as [NetnsNode, NetnsNode]
  })
  afterAll(async () => { s?.close(); await cluster?.stop() })

  test('agents register from distinct hosts and each runs a task there', async () => {
    const { master } = cluster
    expect(new Set(cluster.nodes.map(n => n.ip)).size).toBe(3)
    const r = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_AGENTS' }) })
    const registered = (await r.json() as any).get_agents.agents as { pid: string; agent_info: { id: { value: string }; hostname: string } }[]
    expect(registered.map(a => a.pid.split('@')[1]).sort()).toEqual([`${a1.ip}:5051`, `${a2.ip}:5051`])
    expect(registered.map(a => a.agent_info.hostname).sort()).toEqual([a1.hostname, a2.hostname])
    for (const a of [a1, a2]) agentId.set(a, registered.find(x => x.pid.endsWith(`@${a.ip}:5051`))!.agent_info.id.value)

    // A partition-aware framework (raw-scheduler's frameworkInfo has PARTITION_AWARE) launches one task per agent.
    s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('netns-partition-aware'))
    const offers = new Map<string, any>()
    await s.next(e => {
      if (e.type === 'OFFERS') for (const o of e.offers.offers) offers.set(o.agent_id.value, o)
      return offers.size === 2
    })
    for (const a of [a1, a2]) {
      const taskId = `sleep-on-${a.name}`
      taskOf.set(a, taskId)
      const o = offers.get(agentId.get(a)!)
      const res = await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask(taskId, o.agent_id.value, 'sleep 300')] } }] } })
      expect(res.status).toBe(202)
    }
    for (const a of [a1, a2]) await s.next(update(taskOf.get(a)!, st => st.state === 'TASK_RUNNING'))
    // The sleep is a process of its agent's namespace only. The container init reports the task running as soon as
    // it runs; the sleep it starts follows a moment later.
    await waitFor('the sleeps to start', () => sleepsOn(a1).length + sleepsOn(a2).length === 2 || undefined, 10_000)
    expect(sleepsOn(a1)).toHaveLength(1)
    expect(sleepsOn(a2)).toHaveLength(1)
  })

  test('a partitioned agent becomes unreachable; healed, it re-registers and its task is back', async () => {
    if (!s) throw new Error('no scheduler: the first test failed')
    const t1 = taskOf.get(a1)!
    const t2 = taskOf.get(a2)!
    const cutAt = Date.now()
    cluster.partition(a2)
    const unreachable = await s.nextNew(update(t2, st => st.state === 'TASK_UNREACHABLE'), 15_000)
    expect(unreachable.update.status).toMatchObject({ reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER', agent_id: { value: agentId.get(a2) } })
    const unreachableMs = Date.now() - cutAt
    expect(s.updates(t1).some(st => st.state === 'TASK_UNREACHABLE')).toBe(false)

    const healedAt = Date.now()
    cluster.heal(a2)
    const back = await s.next(update(t2, st => st.reason === 'REASON_AGENT_REREGISTERED'), 30_000)
    expect(back.update.status).toMatchObject({ state: 'TASK_RUNNING', agent_id: { value: agentId.get(a2) } })
    console.log(`netns cluster: unreachable ${unreachableMs}ms after the partition, back ${Date.now() - healedAt}ms after the heal`)
    await cluster.waitForAgents()
    expect(sleepsOn(a2)).toHaveLength(1)
  })

  test('an agent killed with -9 restarts on the same host and keeps its task', async () => {
    if (!s) throw new Error('no scheduler: the first test failed')
    const [sleep] = sleepsOn(a1)
    await cluster.kill9(a1)
    await cluster.restart(a1)
    await cluster.waitForAgents()
    const r = await (await fetch(`${cluster.master.url}/master/slaves`)).json() as { slaves: { id: string; pid: string }[] }
    expect(r.slaves.find(x => x.pid.endsWith(`@${a1.ip}:5051`))?.id).toBe(agentId.get(a1)!)
    expect(sleepsOn(a1)).toEqual([sleep!])
    expect(s.updates(taskOf.get(a1)!).map(st => st.state)).not.toContain('TASK_LOST')

    await s.call('TEARDOWN')
    s.close()
    const tag = cluster.tag
    await cluster.stop()
    expect(netnsLeftovers(tag)).toEqual([])
  })
})
