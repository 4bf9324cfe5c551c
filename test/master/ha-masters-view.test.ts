// GET /api/meso/v1/masters' view: the group's members (pure), and MasterGroupReader against a real ZooKeeper.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import { groupView, MasterGroupReader, standaloneView } from '../../src/master/ha/masters-view.ts'
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.ts'

// What a Mesos 1.x master writes in its json.info_ znode (as in ha-detector.test.ts), and what meso writes.
const MESOS = { address: { hostname: 'm1.example', ip: '10.10.1.22', port: 8080 }, hostname: 'm1.example', id: 'mesos-1', ip: 369166858, pid: 'master@10.10.1.22:8080', port: 8080, version: '1.11.0' }
const MESO = { address: { hostname: 'm2', ip: '127.0.0.1', port: 5051 }, hostname: 'm2', id: 'meso-2', ip: 16777343, port: 5051, version: '1.11.0' }

describe('groupView (pure)', () => {
  test('members by sequence, the lowest leading; other children are not masters', () => {
    const children = ['json.info_0000000012', 'log_replicas', 'json.info_0000000003', 'info_0000000001']
    const data = new Map([['json.info_0000000012', JSON.stringify(MESO)], ['json.info_0000000003', JSON.stringify(MESOS)]])
    const v = groupView('/mesos', children, data)
    expect(v.source).toBe('zookeeper')
    expect(v.leader?.id).toBe('mesos-1')
    expect(v.masters).toEqual([
      { id: 'mesos-1', address: '10.10.1.22:8080', hostname: 'm1.example', version: '1.11.0', leading: true, sequence: 3 },
      { id: 'meso-2', address: '127.0.0.1:5051', hostname: 'm2', version: '1.11.0', leading: false, sequence: 12 },
    ])
    expect(v.errors).toBeUndefined()
  })

  test('an address from the uint32 ip when MasterInfo has no address; a bad znode is reported, not fatal', () => {
    const { address: _, ...bare } = MESOS
    const v = groupView('/g', ['json.info_0000000001', 'json.info_0000000002'], new Map([['json.info_0000000001', '{"oops"'], ['json.info_0000000002', JSON.stringify(bare)]]))
    expect(v.masters).toEqual([{ id: 'mesos-1', address: '10.10.1.22:8080', hostname: 'm1.example', version: '1.11.0', leading: false, sequence: 2 }])
    // The lowest member leads even when its data is unreadable: nobody is shown leading in its place.
    expect(v.leader).toBeUndefined()
    expect(v.errors?.[0]).toContain("master znode '/g/json.info_0000000001' does not hold JSON")
  })

  test('a member gone between the listing and the read is left out; an empty group has no leader', () => {
    expect(groupView('/g', ['json.info_0000000001'], new Map()).masters).toEqual([])
    expect(groupView('/g', [], new Map())).toEqual({ masters: [], source: 'zookeeper' })
  })

  test('without --zk: this master alone, leading', () => {
    const v = standaloneView(MESO)
    expect(v).toEqual({ leader: MESO, masters: [{ id: 'meso-2', address: '127.0.0.1:5051', hostname: 'm2', version: '1.11.0', leading: true }], source: 'standalone' })
  })
})

describe('MasterGroupReader (real ZooKeeper)', () => {
  let zk: ZkEnsemble
  let admin: ZooKeeperClient
  beforeAll(async () => {
    zk = await startZooKeeper()
    admin = await ZooKeeperClient.connect({ servers: zk.connectString })
  })
  afterAll(async () => {
    await admin?.close()
    await zk?.stop()
  })

  test('lists the members as they come and go; a group znode that does not exist is an empty group', async () => {
    const reader = new MasterGroupReader(zk.url('/masters-view'), 4000)
    try {
      expect((await reader.read()).masters).toEqual([])
      await admin.mkdirp('/masters-view')
      const first = await admin.create('/masters-view/json.info_', JSON.stringify(MESOS), { mode: 'EPHEMERAL_SEQUENTIAL' })
      await admin.create('/masters-view/json.info_', JSON.stringify(MESO), { mode: 'EPHEMERAL_SEQUENTIAL' })
      let v = await reader.read()
      expect(v.masters.map(m => [m.id, m.leading])).toEqual([['mesos-1', true], ['meso-2', false]])
      await admin.delete(first)
      v = await reader.read()
      expect(v.leader?.id).toBe('meso-2')
      expect(v.masters.map(m => [m.id, m.leading])).toEqual([['meso-2', true]])
    } finally {
      await reader.close()
    }
  })

  test('ZooKeeper not answering: an error naming the servers within the timeout', async () => {
    const reader = new MasterGroupReader('zk://127.0.0.1:1/nowhere', 4000)
    const started = Date.now()
    try {
      await expect(reader.read(1500)).rejects.toThrow(/127\.0\.0\.1:1/)
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await reader.close()
    }
  })
})
