// Finding the leading master in ZooKeeper: MasterDetector (long-lived) and detectLeader (one look).

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import { isZooKeeperError } from '../../src/core/zookeeper/errors.ts'
import { detectLeader, MasterDetector, parseMasterInfo } from '../../src/master/ha/detector.ts'
import { waitFor } from '../helpers/processes.ts'
import { freePorts, startProxy, startZooKeeper, type TcpProxy, type ZkEnsemble } from '../helpers/zookeeper.ts'

let zk: ZkEnsemble
let admin: ZooKeeperClient
let group = 0
const detectors: MasterDetector[] = []
const proxies: TcpProxy[] = []

// What a Mesos 1.x master writes (JSON::protobuf(MasterInfo), upstream master_contender_detector_tests.cpp,
// MasterDetectorUsesJson: createMasterInfo for 10.10.1.22:8080), with the fields a real master adds.
const MESOS_JSON = JSON.stringify({
  address: { hostname: 'm1.example', ip: '10.10.1.22', port: 8080 },
  capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
  hostname: 'm1.example', id: '3a0b5a9c-1c3d-4a8e-9d6f-0e7e1f0b8a11', ip: 369166858, pid: 'master@10.10.1.22:8080', port: 8080, version: '1.11.0',
})

function detector(url: string, sessionTimeoutMs = 2000) {
  const d = new MasterDetector(url, { sessionTimeoutMs })
  detectors.push(d)
  return d
}

beforeAll(async () => {
  zk = await startZooKeeper()
  admin = await ZooKeeperClient.connect({ servers: zk.connectString })
})
afterEach(async () => {
  await Promise.all(detectors.splice(0).map(d => d.close()))
  await Promise.all(proxies.splice(0).map(p => p.close()))
})
afterAll(async () => {
  await admin?.close()
  await zk?.stop()
})

describe('master detection', () => {
  test('no leader in an empty group, nor when the group znode does not exist; then a master appears', async () => {
    const path = `/detect-${++group}`
    const d = detector(zk.url(path))
    await d.ready
    expect(d.leader).toBeUndefined()
    expect(await detectLeader(zk.url(path), 3000)).toBeUndefined()
    await admin.mkdirp(path)
    await admin.create(`${path}/log_replicas`) // not a member
    expect(await detectLeader(zk.url(path), 3000)).toBeUndefined()
    const next = d.detect(undefined)
    await admin.create(`${path}/json.info_`, MESOS_JSON, { mode: 'EPHEMERAL_SEQUENTIAL' })
    expect((await next)?.pid).toBe('master@10.10.1.22:8080')
  })

  test('reads the JSON MasterInfo of a Mesos master, lowest sequence first', async () => {
    const path = `/detect-${++group}`
    await admin.mkdirp(path)
    await admin.create(`${path}/json.info_`, MESOS_JSON, { mode: 'EPHEMERAL_SEQUENTIAL' })
    await admin.create(`${path}/json.info_`, JSON.stringify({ id: 'standby', ip: 1, port: 1 }), { mode: 'EPHEMERAL_SEQUENTIAL' })
    const leader = await detectLeader(zk.url(path), 3000)
    expect(leader).toEqual(JSON.parse(MESOS_JSON))
    expect(leader?.address?.ip).toBe('10.10.1.22')
  })

  test('bad leader data is named by path', () => {
    expect(() => parseMasterInfo('{', '/mesos/json.info_0000000001')).toThrow("master znode '/mesos/json.info_0000000001' does not hold JSON")
    expect(() => parseMasterInfo('{"id":"x"}', '/m/json.info_0000000002')).toThrow('holds no valid MasterInfo')
  })

  test('unreachable ZooKeeper: detectLeader fails within its timeout, naming the servers', async () => {
    const [port] = await freePorts(1)
    const t0 = performance.now()
    const err = await detectLeader(`zk://127.0.0.1:${port}/mesos`, 500).catch(e => e)
    expect(performance.now() - t0).toBeLessThan(1500)
    expect(isZooKeeperError(err)).toBe(true)
    expect(err.message).toContain(`127.0.0.1:${port}`)
  })

  test('a detector whose session expires reports no leader, then finds it again with a new session', async () => {
    const path = `/detect-${++group}`
    await admin.mkdirp(path)
    await admin.create(`${path}/json.info_`, MESOS_JSON, { mode: 'EPHEMERAL_SEQUENTIAL' })
    const proxy = await startProxy(zk.connectString)
    proxies.push(proxy)
    const d = detector(`zk://${proxy.address}${path}`, 1000)
    await d.ready
    expect(d.leader?.version).toBe('1.11.0')
    const seen: (string | undefined)[] = []
    d.onChange(l => seen.push(l?.id))
    proxy.freeze()
    await waitFor('no leader', () => d.leader === undefined, 3000, 5)
    proxy.thaw()
    await waitFor('the leader again', () => d.leader !== undefined, 5000, 5)
    expect(seen).toEqual([undefined, JSON.parse(MESOS_JSON).id])
  })
})
