// GET /api/meso/v1/masters with highly available masters on a real ZooKeeper: every master of the group, the leader
// marked; a standby sends the request to the leader; after the leader dies its successor lists itself alone.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.ts'

interface View { leader?: { id: string }; masters: { id: string; address: string; leading: boolean; sequence?: number }[]; source: string }

let zk: ZkEnsemble
const masters: Daemon[] = []
const dir = tempDir('meso-masters-view-')

const elected = async (url: string) => ((await (await fetch(`${url}/metrics/snapshot`)).json()) as Record<string, number>)['master/elected'] === 1

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1 })
  const keyFile = `${dir}/secret.key`
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  for (let i = 0; i < 2; i++) masters.push(await startMaster(`${dir}/master${i}`, [`--zk=${zk.url('/mesos')}`, '--zk_session_timeout=1secs', `--secret_key_file=${keyFile}`, '--no-services', '--no-jobs']))
}, 60_000)

afterAll(async () => {
  for (const m of masters) await m.kill('SIGKILL').catch(() => {})
  await zk?.stop()
})

test('the group as ZooKeeper holds it, from the leader or through a standby; then after a failover', async () => {
  const leader = await waitFor('a leader', async () => { for (const m of masters) if (await elected(m.url).catch(() => false)) return m })
  const standby = masters.find(m => m !== leader)!
  const view = (await (await fetch(`${leader.url}/api/meso/v1/masters`)).json()) as View
  expect(view.source).toBe('zookeeper')
  expect(view.masters.map(m => m.address).sort()).toEqual(masters.map(m => new URL(m.url).host).sort())
  expect(view.masters.filter(m => m.leading).map(m => m.address)).toEqual([new URL(leader.url).host])
  expect(view.leader?.id).toBe(view.masters.find(m => m.leading)!.id)
  expect(view.masters[0]!.sequence!).toBeLessThan(view.masters[1]!.sequence!)

  const redirected = await fetch(`${standby.url}/api/meso/v1/masters`, { redirect: 'manual' })
  expect(redirected.status).toBe(307)
  expect(redirected.headers.get('location')).toBe(`//${new URL(leader.url).host}/api/meso/v1/masters`)

  await leader.kill('SIGKILL')
  await waitFor('the standby to lead', () => elected(standby.url).catch(() => false), 30_000, 200)
  // The dead master's ephemeral znode goes with its session (1 s here): then the new leader is alone in the group.
  const after = await waitFor('the dead master to leave the group', async () => {
    const v = (await (await fetch(`${standby.url}/api/meso/v1/masters`)).json()) as View
    return v.masters.length === 1 ? v : undefined
  }, 30_000, 200)
  expect(after.masters[0]).toMatchObject({ address: new URL(standby.url).host, leading: true })
}, 90_000)
