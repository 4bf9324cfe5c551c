// The registrar's generic key-value area (putKv/removeKv) that the built-in frameworks keep their state in: SQLite
// for a single master, znodes under <group>/registry/kv with --zk; a successor reads what its predecessor wrote.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { KV_MAX_VALUE_BYTES, KvArea, KvValueTooLarge } from '../../../src/master/builtin-frameworks/store.ts'
import { MasterContender } from '../../../src/master/ha/contender.ts'
import { ZooKeeperRegistrar } from '../../../src/master/ha/zk-registrar.ts'
import { masterInfo } from '../../../src/master/master-info.ts'
import { Registrar } from '../../../src/master/registrar.ts'
import { tempDir } from '../../helpers/processes.ts'
import { startZooKeeper, type ZkEnsemble } from '../../helpers/zookeeper.ts'

describe('key-value area in SQLite', () => {
  test('puts and removes survive a reopen; namespaces are apart; values are bounded', () => {
    const path = join(tempDir(), 'registry.db')
    const r1 = Registrar.open(path)
    const kv1 = new KvArea([], ops => r1.write(ops))
    const jobs = kv1.namespace('jobs')
    jobs.put('spec/a', '{"id":"a"}')
    jobs.put('spec/b', '{"id":"b"}')
    jobs.put('spec/a', '{"id":"a","v":2}')
    jobs.remove('spec/b')
    kv1.namespace('services').put('spec/a', 'other')
    expect(() => jobs.put('big', 'x'.repeat(KV_MAX_VALUE_BYTES + 1))).toThrow(KvValueTooLarge)
    r1.close()
    const r2 = Registrar.open(path)
    const snap = r2.snapshot().kv ?? []
    expect(snap).toEqual([
      { namespace: 'jobs', key: 'spec/a', value: '{"id":"a","v":2}' },
      { namespace: 'services', key: 'spec/a', value: 'other' },
    ])
    const kv2 = new KvArea(snap, ops => r2.write(ops))
    expect(kv2.namespace('jobs').list('spec/')).toEqual([['spec/a', '{"id":"a","v":2}']])
    r2.close()
  })
})

describe('key-value area in ZooKeeper', () => {
  let zk: ZkEnsemble
  beforeAll(async () => { zk = await startZooKeeper() })
  afterAll(async () => { await zk.stop() })

  test('a successor reads what the leader wrote, keys with slashes included', async () => {
    const a = await MasterContender.join(zk.url('/kv'), masterInfo('m1', 'localhost', '127.0.0.1', 5051), { sessionTimeoutMs: 2000 })
    await a.elected
    const ra = await ZooKeeperRegistrar.open(a, () => {})
    const kv = new KvArea([], ops => ra.write(ops))
    const jobs = kv.namespace('jobs')
    jobs.put('run/a/r1', '{"id":"r1"}')
    jobs.put('history/a', '{"successCount":1}')
    jobs.put('run/a/r1', '{"id":"r1","status":"ACTIVE"}')
    jobs.put('run/a/r2', 'x')
    jobs.remove('run/a/r2')
    await ra.flushed()
    ra.close()
    await a.withdraw()
    const b = await MasterContender.join(zk.url('/kv'), masterInfo('m2', 'localhost', '127.0.0.1', 5052), { sessionTimeoutMs: 2000 })
    await b.elected
    const rb = await ZooKeeperRegistrar.open(b, () => {})
    const snap = await rb.snapshot()
    expect(snap.kv).toEqual([
      { namespace: 'jobs', key: 'history/a', value: '{"successCount":1}' },
      { namespace: 'jobs', key: 'run/a/r1', value: '{"id":"r1","status":"ACTIVE"}' },
    ])
    rb.close()
    await b.withdraw()
  })
})
