// Leader election the Mesos way over a real ZooKeeper: masters contend with EPHEMERAL_SEQUENTIAL
// `json.info_` znodes, the lowest sequence leads, detectors follow.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import type { MasterInfo } from '../../src/core/v1/messages.ts'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import { FencedOutError } from '../../src/core/zookeeper/fence.ts'
import { MasterContender } from '../../src/master/ha/contender.ts'
import { MasterDetector } from '../../src/master/ha/detector.ts'
import { masterInfo } from '../../src/master/master-info.ts'
import { waitFor } from '../helpers/processes.ts'
import { startProxy, startZooKeeper, type TcpProxy, type ZkEnsemble } from '../helpers/zookeeper.ts'

let zk: ZkEnsemble
let group = 0
const contenders: MasterContender[] = []
const detectors: MasterDetector[] = []
const proxies: TcpProxy[] = []

const info = (n: number): MasterInfo => masterInfo(`master-${n}`, 'localhost', '127.0.0.1', 5050 + n)

async function contend(url: string, n: number, sessionTimeoutMs = 2000) {
  const c = await MasterContender.join(url, info(n), { sessionTimeoutMs })
  contenders.push(c)
  return c
}

function detector(url: string) {
  const d = new MasterDetector(url, { sessionTimeoutMs: 2000 })
  detectors.push(d)
  return d
}

beforeAll(async () => {
  zk = await startZooKeeper()
})
afterEach(async () => {
  await Promise.all(contenders.splice(0).map(c => c.withdraw().catch(() => {})))
  await Promise.all(detectors.splice(0).map(d => d.close()))
  await Promise.all(proxies.splice(0).map(p => p.close()))
})
afterAll(async () => {
  await zk?.stop()
})

describe('master election', () => {
  test('two contenders: the first (lowest sequence) leads; on its withdrawal the other is elected and detected', async () => {
    const url = zk.url(`/election-${++group}`)
    const a = await contend(url, 1)
    await a.elected
    const b = await contend(url, 2)
    expect(a.path).toMatch(/\/json\.info_0000000000$/)
    expect(b.path).toMatch(/\/json\.info_0000000001$/)
    const d = detector(url)
    await d.ready
    expect(d.leader).toEqual(info(1))
    expect(a.isLeader).toBe(true)
    expect(b.isLeader).toBe(false)

    let electedAt = 0
    let detectedAt = 0
    b.onChange(e => { if (e.type === 'elected') electedAt = performance.now() })
    d.onChange(l => { if (l?.id === 'master-2') detectedAt = performance.now() })
    const t0 = performance.now()
    await a.withdraw()
    await b.elected
    await waitFor('the detector to see master-2', () => detectedAt > 0, 2000, 5)
    console.log(`leader withdrew: standby elected after ${(electedAt - t0).toFixed(1)}ms, detector saw it after ${(detectedAt - t0).toFixed(1)}ms`)
    expect(detectedAt - t0).toBeLessThan(1000)
    expect(await a.lost).toBe('withdrawn')
    expect(a.isLeader).toBe(false)
    expect(d.leader).toEqual(info(2))
    expect(await d.detect(info(1))).toEqual(info(2))
  })

  test('the membership znode holds the JSON MasterInfo Mesos writes', async () => {
    const url = zk.url(`/election-${++group}`)
    const a = await contend(url, 7)
    const json = JSON.parse(new TextDecoder().decode((await a.zk.getData(a.path)).data))
    expect(json).toEqual({
      id: 'master-7', ip: 16777343, port: 5057, pid: 'master@127.0.0.1:5057', hostname: 'localhost', version: expect.any(String),
      address: { hostname: 'localhost', ip: '127.0.0.1', port: 5057 }, capabilities: [{ type: 'AGENT_UPDATE' }],
    })
    const stat = await a.zk.exists(a.path)
    expect(stat?.ephemeralOwner).toBe(a.zk.sessionId)
  })

  test('a partitioned leader steps down before the standby is elected', async () => {
    const url = zk.url(`/election-${++group}`)
    const proxy = await startProxy(zk.connectString)
    proxies.push(proxy)
    const T = 1000
    const a = await contend(url.replace(zk.connectString, proxy.address), 1, T)
    await a.elected
    const b = await contend(url, 2, T)
    let lostAt = 0
    let electedAt = 0
    void a.lost.then(() => { lostAt = performance.now() })
    void b.elected.then(() => { electedAt = performance.now() })
    const t0 = performance.now()
    proxy.freeze()
    await waitFor('the standby to be elected', () => electedAt > 0, 4 * T, 5)
    console.log(`partitioned leader stepped down after ${(lostAt - t0).toFixed(0)}ms; standby elected after ${(electedAt - t0).toFixed(0)}ms (T=${T}ms)`)
    expect(lostAt).toBeGreaterThan(0)
    expect(lostAt).toBeLessThanOrEqual(electedAt)
    expect(await a.lost).toContain('session expired')
    await expect(a.fencedWrite([{ type: 'create', path: '/late-write' }])).rejects.toBeInstanceOf(FencedOutError)
  })

  test('a deleted membership znode means lost leadership; fenced writes stop at once', async () => {
    const url = zk.url(`/election-${++group}`)
    const a = await contend(url, 1)
    await a.elected
    await a.zk.create(`/election-${group}-registry`, 'v0')
    await a.fencedWrite([{ type: 'setData', path: `/election-${group}-registry`, data: 'v1' }])
    const admin = await ZooKeeperClient.connect({ servers: zk.connectString })
    await admin.delete(a.path)
    await admin.close()
    const out = await a.fencedWrite([{ type: 'setData', path: `/election-${group}-registry`, data: 'v2' }]).catch(e => e)
    expect(out).toBeInstanceOf(FencedOutError)
    expect(await a.lost).toContain('was deleted')
    expect(a.isLeader).toBe(false)
    expect(new TextDecoder().decode((await a.zk.getData(`/election-${group}-registry`)).data)).toBe('v1')
  })

  test('a standby that withdraws never leads, and its elected promise rejects', async () => {
    const url = zk.url(`/election-${++group}`)
    const a = await contend(url, 1)
    const b = await contend(url, 2)
    await a.elected
    await b.withdraw()
    await expect(b.elected).rejects.toThrow('lost before election: withdrawn')
    const d = detector(url)
    await d.ready
    expect(d.leader?.id).toBe('master-1')
  })
})
