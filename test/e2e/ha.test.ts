// Highly available masters on a real ZooKeeper: five masters contend (each test that kills a leader uses one up), one leads, the standbys send clients to it,
// an agent and the CLI find it through zk://, and a kill -9 of the leader hands everything to a standby with
// nothing lost: the agent re-registers, the framework re-subscribes with its id, its task keeps running.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.ts'

let zk: ZkEnsemble
let zkUrl: string
const masters: Daemon[] = []
let agent: Daemon
const dir = tempDir('meso-ha-')

async function getMaster(url: string): Promise<{ status: number; leaderId?: string; location?: string | null }> {
  const res = await fetch(`${url}/api/v1`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_MASTER' }),
  })
  if (res.status !== 200) return { status: res.status, location: res.headers.get('location') }
  const body = await res.json() as { get_master: { master_info: { id: string } } }
  return { status: 200, leaderId: body.get_master.master_info.id }
}

async function elected(url: string): Promise<number> {
  const m = await (await fetch(`${url}/metrics/snapshot`)).json() as Record<string, number>
  return m['master/elected'] ?? -1
}

/** The master that leads now (its metrics say so), among those still running. */
async function leaderOf(list: Daemon[]): Promise<Daemon | undefined> {
  for (const m of list) {
    try { if (await elected(m.url) === 1) return m } catch { /* down */ }
  }
  return undefined
}

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1 })
  zkUrl = zk.url('/mesos')
  // Every master seals secrets with the same key (the store is replicated through ZooKeeper).
  const keyFile = `${dir}/secret.key`
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  for (let i = 0; i < 5; i++) {
    masters.push(await startMaster(`${dir}/master${i}`, [`--zk=${zkUrl}`, '--zk_session_timeout=1secs', '--allocation_interval=100ms', '--agent_reregister_timeout=20secs', `--secret_key_file=${keyFile}`]))
  }
  agent = await startAgent(zkUrl, `${dir}/agent`, ['--resources=cpus:4;mem:4096'])
}, 60_000)

afterAll(async () => {
  for (const m of masters) await m.kill('SIGKILL').catch(() => {})
  await agent?.kill('SIGKILL').catch(() => {})
  await zk?.stop()
})

describe('highly available masters', () => {
  test('one master leads; standbys redirect to it, stay healthy, say they are not elected and name the leader', async () => {
    const leader = await waitFor('a leader', () => leaderOf(masters))
    const standbys = masters.filter(m => m !== leader)
    const leaderInfo = await getMaster(leader.url)
    expect(leaderInfo.status).toBe(200)
    for (const s of standbys) {
      expect(await elected(s.url)).toBe(0)
      expect((await fetch(`${s.url}/health`)).status).toBe(200)
      const redirect = await fetch(`${s.url}/master/redirect`, { redirect: 'manual' })
      expect(redirect.status).toBe(307)
      expect(redirect.headers.get('location')).toBe(`//${new URL(leader.url).host}`)
      const scheduler = await fetch(`${s.url}/api/v1/scheduler`, { method: 'POST', redirect: 'manual', body: '{}' })
      expect(scheduler.status).toBe(307)
      expect(scheduler.headers.get('location')).toBe(`//${new URL(leader.url).host}/api/v1/scheduler`)
      expect((await getMaster(s.url)).leaderId).toBe(leaderInfo.leaderId)
      const state = await fetch(`${s.url}/master/state`, { redirect: 'manual' })
      expect(state.status).toBe(307)
    }
  })

  test('the agent finds the leader through zk://, and so does the CLI', async () => {
    const leader = (await leaderOf(masters))!
    await waitFor('the agent registered', async () => ((await (await fetch(`${leader.url}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === 1)
    const list = await meso(['agent', 'list', '--json', '--master', zkUrl])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toHaveLength(1)
    // A client pointed at a standby follows the 307.
    const standby = masters.find(m => m !== leader)!
    const viaStandby = await meso(['agent', 'list', '--json', '--master', standby.url])
    expect(viaStandby.code).toBe(0)
    expect(JSON.parse(viaStandby.stdout)).toHaveLength(1)
  })

  test('kill -9 of the leader: a standby leads, the agent and the framework follow, the task survives', async () => {
    const leader = (await leaderOf(masters))!
    const s = new RawScheduler(leader.url)
    await s.subscribe(frameworkInfo('ha-test'))
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const accepted = await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('long', offer.agent_id.value, 'sleep 600')] } }] } })
    expect(accepted.status).toBe(202)
    await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    s.close()

    const killedAt = Date.now()
    await leader.kill('SIGKILL')
    masters.splice(masters.indexOf(leader), 1)
    const next = await waitFor('a new leader', () => leaderOf(masters), 20_000, 25)
    const electedMs = Date.now() - killedAt
    await waitFor('the agent re-registered with the new leader', async () =>
      ((await (await fetch(`${next.url}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === 1, 20_000, 25)
    const agentMs = Date.now() - killedAt

    // The framework comes back with its id and finds its task running, launched once.
    const again = new RawScheduler(next.url)
    await again.subscribe(frameworkInfo('ha-test', { id: { value: s.frameworkId } }))
    expect(again.frameworkId).toBe(s.frameworkId)
    const r = await again.call('RECONCILE', { reconcile: { tasks: [] } })
    expect(r.status).toBe(202)
    const status = await again.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'long')
    expect(status.update.status.state).toBe('TASK_RUNNING')
    const tasks = await (await fetch(`${next.url}/master/tasks`)).json() as { tasks: { id: string; state: string }[] }
    expect(tasks.tasks.filter(t => t.id === 'long')).toHaveLength(1)
    again.close()
    console.log(`failover: new leader after ${electedMs} ms, agent re-registered after ${agentMs} ms`)
  }, 60_000)

  test('secrets are replicated: created on one leader, listed and used by a task after a failover', async () => {
    const leader = (await leaderOf(masters))!
    const created = await meso(['secret', 'create', '--master', zkUrl, 'team/token', '--value', 'sesame-42'])
    expect(created.code).toBe(0)
    await Bun.sleep(200) // the registrar write is queued behind the answer
    await leader.kill('SIGKILL')
    masters.splice(masters.indexOf(leader), 1)
    await waitFor('a new leader', () => leaderOf(masters), 20_000, 25)
    const list = await meso(['secret', 'list', '--json', '--master', zkUrl])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).map((x: { path: string }) => x.path)).toEqual(['team/token'])
    const run = await meso(['task', 'run', '--master', zkUrl, '--secret-env', 'TOKEN=team/token', '--', 'sh', '-c', 'echo "token=$TOKEN"'])
    expect(run.stdout).toBe('token=sesame-42\n')
    expect(run.code).toBe(0)
  }, 60_000)

  test('meso task run given zk:// survives a failover: it re-subscribes with its framework id and keeps streaming', async () => {
    const leader = (await leaderOf(masters))!
    const run = meso(['task', 'run', '--master', zkUrl, '--', 'sh', '-c', 'sleep 4; echo survived'], { timeoutMs: 60_000 })
    await waitFor('the task running', async () => {
      const tasks = await (await fetch(`${leader.url}/master/tasks`)).json() as { tasks: { name: string; state: string }[] }
      return tasks.tasks.some(t => t.name === 'sh' && t.state === 'TASK_RUNNING')
    }, 20_000, 50)
    await leader.kill('SIGKILL')
    masters.splice(masters.indexOf(leader), 1)
    const r = await run
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('survived')
    expect(r.code).toBe(0)
  }, 60_000)

  test('a graceful stop hands leadership over at once', async () => {
    const leader = (await leaderOf(masters))!
    const rest = masters.filter(m => m !== leader)
    const t0 = Date.now()
    await leader.kill('SIGTERM')
    masters.splice(masters.indexOf(leader), 1)
    await waitFor('a new leader', () => leaderOf(rest), 10_000, 10)
    expect(Date.now() - t0).toBeLessThan(3_000)
  }, 30_000)
})
