// The registrar in ZooKeeper (src/master/ha/zk-registrar.ts): what a leader writes, its successor reads; every write
// is fenced, so a deposed leader writes nothing; big batches are split under ZooKeeper's request limit.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import { MasterContender } from '../../src/master/ha/contender.ts'
import { ZooKeeperRegistrar } from '../../src/master/ha/zk-registrar.ts'
import { masterInfo } from '../../src/master/master-info.ts'
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.ts'

let zk: ZkEnsemble
let group = 0
beforeAll(async () => { zk = await startZooKeeper() })
afterAll(async () => { await zk.stop() })

const info = { hostname: 'a', resources: [] }

async function leader(path: string, n = 1) {
  const c = await MasterContender.join(zk.url(path), masterInfo(`m${n}`, 'localhost', '127.0.0.1', 5050 + n), { sessionTimeoutMs: 2000 })
  await c.elected
  const fatal: string[] = []
  const r = await ZooKeeperRegistrar.open(c, why => fatal.push(why))
  return { c, r, fatal }
}

const written = (r: ZooKeeperRegistrar) => new Promise<boolean>(resolve => r.batch([], resolve))

describe('registrar in ZooKeeper', () => {
  test('a successor reads what the leader wrote', async () => {
    const path = `/reg${group++}`
    const a = await leader(path)
    a.r.write([
      { op: 'putSequence', name: 'framework', value: 2 },
      { op: 'putFramework', record: { id: 'F1', info: { user: 'u', name: 'n' }, registeredTime: 1 } },
      { op: 'putFramework', record: { id: 'F2', info: { user: 'u', name: 'm' }, registeredTime: 2 } },
      { op: 'putAgent', record: { id: 'S1', info, pid: 'p', state: 'admitted' } },
      { op: 'putWeights', weights: { dev: 2 } },
      { op: 'putSecret', record: { path: 'team/a', sealed: 'v1.sealed', created: 1, updated: 1 } },
      { op: 'putSecret', record: { path: 'team/b', sealed: 'v1.sealed', created: 1, updated: 1 } },
    ])
    a.r.write([
      { op: 'removeSecret', path: 'team/b' },
      { op: 'removeFramework', id: 'F2' },
      { op: 'putAgent', record: { id: 'S1', info, pid: 'p', state: 'unreachable', unreachableTime: 5, deactivated: true } },
      { op: 'putWeights', weights: { prod: 3 } },
      { op: 'putSequence', name: 'framework', value: 3 },
    ])
    expect(await written(a.r)).toBe(true)
    a.r.close()
    await a.c.withdraw()
    const b = await leader(path, 2)
    expect(await b.r.snapshot()).toEqual({
      agents: [{ id: 'S1', info, pid: 'p', state: 'unreachable', unreachableTime: 5, deactivated: true }],
      frameworks: [{ id: 'F1', info: { user: 'u', name: 'n' }, registeredTime: 1 }],
      weights: { dev: 2, prod: 3 },
      sequences: { framework: 3 },
      secrets: [{ path: 'team/a', sealed: 'v1.sealed', created: 1, updated: 1 }],
    })
    expect(b.fatal).toEqual([])
    await b.c.withdraw()
  })

  test('a deposed leader writes nothing and is told to step down', async () => {
    const path = `/reg${group++}`
    const a = await leader(path)
    expect(await a.r.snapshot()).toMatchObject({ agents: [] })
    // Its membership znode goes (what a session expiry does) before it notices.
    const other = await ZooKeeperClient.connect({ servers: zk.connectString, sessionTimeoutMs: 2000 })
    await other.delete(a.c.path)
    a.r.write([{ op: 'putAgent', record: { id: 'S9', info, pid: 'p', state: 'admitted' } }])
    // Nothing after a failed write is written either.
    expect(await new Promise<boolean>(resolve => a.r.batch([{ op: 'putAgent', record: { id: 'S10', info, pid: 'p', state: 'admitted' } }], resolve))).toBe(false)
    expect(a.fatal[0]).toContain('fenced out')
    expect(await other.exists(`${path}/registry/agents/S9`)).toBeUndefined()
    expect(await other.exists(`${path}/registry/agents/S10`)).toBeUndefined()
    await other.close()
    await a.c.withdraw().catch(() => {})
  })

  test('a registration storm is split into multis under ZooKeeper\'s request limit', async () => {
    const path = `/reg${group++}`
    const a = await leader(path)
    const big = { hostname: 'h', resources: [], attributes: [{ name: 'padding', type: 'TEXT' as const, text: { value: 'x'.repeat(400) } }] }
    const ops = Array.from({ length: 3000 }, (_, i) => ({ op: 'putAgent' as const, record: { id: `S${i}`, info: big, pid: 'p', state: 'admitted' as const } }))
    expect(await new Promise<boolean>(resolve => a.r.batch(ops, resolve))).toBe(true)
    expect((await a.r.snapshot()).agents).toHaveLength(3000)
    expect(a.fatal).toEqual([])
    await a.c.withdraw()
  }, 60_000)
})
