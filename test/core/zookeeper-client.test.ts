// The ZooKeeper client against a real server (test/helpers/zookeeper.ts starts one).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import { type ZooKeeperError, isZooKeeperError } from '../../src/core/zookeeper/errors.ts'
import { FencedOutError, fencedWrite } from '../../src/core/zookeeper/fence.ts'
import type { WatchEvent } from '../../src/core/zookeeper/watches.ts'
import { freePorts, startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.ts'
import { waitFor } from '../helpers/processes.ts'

let zk: ZkEnsemble
const clients: ZooKeeperClient[] = []
const text = (b: Uint8Array) => new TextDecoder().decode(b)

async function client(opts: { sessionTimeoutMs?: number; auth?: { scheme: 'digest'; credentials: string } } = {}) {
  const c = await ZooKeeperClient.connect({ servers: zk.connectString, sessionTimeoutMs: opts.sessionTimeoutMs ?? 4000, ...(opts.auth && { auth: opts.auth }) })
  clients.push(c)
  return c
}

async function rejection(p: Promise<unknown>): Promise<ZooKeeperError> {
  try {
    await p
  } catch (e) {
    if (isZooKeeperError(e)) return e
    throw e
  }
  throw new Error('expected a ZooKeeperError')
}

beforeAll(async () => {
  zk = await startZooKeeper()
  console.log(`ZooKeeper (1 node) serving after ${zk.startedInMs}ms`)
})
afterAll(async () => {
  await Promise.all(clients.map(c => c.close()))
  await zk?.stop()
})

describe('ZooKeeper client', () => {
  test('create, getData, setData, exists, getChildren, delete', async () => {
    const c = await client()
    expect(c.state).toBe('CONNECTED')
    expect(c.sessionId).not.toBe(0n)
    expect(c.sessionTimeoutMs).toBe(4000)
    expect(await c.create('/crud', 'v0')).toBe('/crud')
    const got = await c.getData('/crud')
    expect(text(got.data)).toBe('v0')
    expect(got.stat.version).toBe(0)
    expect(got.stat.ephemeralOwner).toBe(0n)
    expect((await c.setData('/crud', 'v1', 0)).version).toBe(1)
    expect((await c.exists('/crud'))?.version).toBe(1)
    expect(await c.exists('/nothing')).toBeUndefined()
    await c.create('/crud/a')
    await c.create('/crud/b', new Uint8Array([0, 255]))
    const kids = await c.getChildren('/crud')
    expect(kids.children.sort()).toEqual(['a', 'b'])
    expect(kids.stat.numChildren).toBe(2)
    expect([...(await c.getData('/crud/b')).data]).toEqual([0, 255])
    await c.delete('/crud/a')
    await c.delete('/crud/b', 0)
    await c.delete('/crud')
    expect(await c.exists('/crud')).toBeUndefined()
  })

  test('sequential nodes count up per parent, zero-padded to ten digits', async () => {
    const c = await client()
    await c.create('/seq')
    const made = [await c.create('/seq/n_', '', { mode: 'PERSISTENT_SEQUENTIAL' }), await c.create('/seq/n_', '', { mode: 'PERSISTENT_SEQUENTIAL' })]
    made.push(await c.create('/seq/m_', '', { mode: 'EPHEMERAL_SEQUENTIAL' }))
    expect(made).toEqual(['/seq/n_0000000000', '/seq/n_0000000001', '/seq/m_0000000002'])
  })

  test('requests are pipelined and answered in order', async () => {
    const c = await client()
    await c.create('/pipe')
    const paths = await Promise.all(Array.from({ length: 200 }, (_, i) => c.create(`/pipe/p${i}`, String(i))))
    expect(paths).toEqual(Array.from({ length: 200 }, (_, i) => `/pipe/p${i}`))
    const datas = await Promise.all(paths.map(p => c.getData(p)))
    expect(datas.map(d => text(d.data))).toEqual(paths.map((_, i) => String(i)))
  })

  test('mkdirp creates the missing parents and leaves existing ones', async () => {
    const c = await client()
    await c.create('/mk', 'keep')
    await c.mkdirp('/mk/a/b/c')
    await c.mkdirp('/mk/a/b/c')
    expect(await c.exists('/mk/a/b/c')).toBeDefined()
    expect(text((await c.getData('/mk')).data)).toBe('keep')
  })

  test('an ephemeral node vanishes as soon as its session is closed', async () => {
    const owner = await client()
    const watcher = await client()
    await owner.create('/eph', 'x', { mode: 'EPHEMERAL' })
    expect((await watcher.exists('/eph'))?.ephemeralOwner).toBe(owner.sessionId)
    let deletedAt = 0
    await watcher.exists('/eph', ev => { if (ev.type === 'NodeDeleted') deletedAt = performance.now() })
    const t0 = performance.now()
    await owner.close()
    await waitFor('the ephemeral node to go', () => deletedAt > 0, 5000, 5)
    const ms = deletedAt - t0
    console.log(`ephemeral node gone ${ms.toFixed(1)}ms after close()`)
    expect(ms).toBeLessThan(500)
    expect(owner.state).toBe('CLOSED')
    expect((await rejection(owner.getData('/'))).code).toBe('CLOSING')
  })

  test('watches fire once for data changes, children, creation and deletion', async () => {
    const c = await client()
    const other = await client()
    const events: WatchEvent[] = []
    const w = (ev: WatchEvent) => events.push(ev)
    expect(await c.exists('/w', w)).toBeUndefined() // an exist watch on a missing node
    await other.create('/w', 'a')
    await waitFor('NodeCreated', () => events.length === 1)
    await c.getData('/w', w)
    await c.getChildren('/w', w)
    await other.setData('/w', 'b')
    await other.setData('/w', 'c') // the data watch fired already: nothing more
    await other.create('/w/kid')
    await waitFor('two more events', () => events.length >= 3)
    await c.getData('/w', w)
    await other.delete('/w/kid')
    await other.delete('/w')
    await waitFor('NodeDeleted', () => events.length >= 4)
    await Bun.sleep(100)
    expect(events).toEqual([
      { type: 'NodeCreated', path: '/w' },
      { type: 'NodeDataChanged', path: '/w' },
      { type: 'NodeChildrenChanged', path: '/w' },
      { type: 'NodeDeleted', path: '/w' },
    ])
  })

  test('errors are named and carry the path', async () => {
    const c = await client()
    await c.create('/err', 'x')
    await c.create('/err/kid')
    const e1 = await rejection(c.getData('/err/missing'))
    expect(e1.code).toBe('NONODE')
    expect(e1.path).toBe('/err/missing')
    expect(e1.message).toContain("getData '/err/missing' on 127.0.0.1:")
    expect((await rejection(c.create('/err'))).message).toContain("NODEEXISTS: node already exists (create '/err'")
    expect((await rejection(c.setData('/err', 'y', 7))).code).toBe('BADVERSION')
    expect((await rejection(c.delete('/err'))).code).toBe('NOTEMPTY')
    expect((await rejection(c.create('/err/none/deeper'))).code).toBe('NONODE')
    await c.create('/err-eph', '', { mode: 'EPHEMERAL' })
    expect((await rejection(c.create('/err-eph/kid'))).code).toBe('NOCHILDRENFOREPHEMERALS')
    expect(() => c.getData('relative')).toThrow("invalid ZooKeeper path 'relative'")
  })

  test('multi applies all or nothing; a failing check writes nothing', async () => {
    const c = await client()
    await c.create('/tx', 'v0')
    const ok = await c.multi([
      { type: 'check', path: '/tx', version: 0 },
      { type: 'setData', path: '/tx', data: 'v1', version: 0 },
      { type: 'create', path: '/tx/a', data: 'a' },
      { type: 'create', path: '/tx/s_', mode: 'PERSISTENT_SEQUENTIAL' },
    ])
    expect(ok.map(r => r.type)).toEqual(['check', 'setData', 'create', 'create'])
    expect(ok[3]).toEqual({ type: 'create', path: '/tx/s_0000000001' })
    const failed = await rejection(c.multi([
      { type: 'create', path: '/tx/b' },
      { type: 'check', path: '/tx', version: 0 }, // it is at version 1 now
      { type: 'setData', path: '/tx', data: 'v2' },
      { type: 'delete', path: '/tx/a' },
    ]))
    expect(failed.code).toBe('BADVERSION')
    expect(failed.opIndex).toBe(1)
    expect(failed.path).toBe('/tx')
    expect(await c.exists('/tx/b')).toBeUndefined()
    expect(text((await c.getData('/tx')).data)).toBe('v1')
    expect(await c.exists('/tx/a')).toBeDefined()
  })

  test('fencedWrite writes while the fence stands and refuses once it is gone', async () => {
    const c = await client()
    await c.mkdirp('/fence/registry')
    const leader = await c.create('/fence/json.info_', '{}', { mode: 'EPHEMERAL_SEQUENTIAL' })
    const fence = { path: leader, version: 0 }
    const res = await fencedWrite(c, fence, [{ type: 'setData', path: '/fence/registry', data: 'state-1' }])
    expect(res).toEqual([{ type: 'setData', stat: expect.objectContaining({ version: 1 }) }])
    const wrong = await fencedWrite(c, fence, [{ type: 'setData', path: '/fence/registry', data: 'x', version: 0 }]).catch(e => e)
    expect(isZooKeeperError(wrong, 'BADVERSION') && wrong.opIndex).toBe(0)
    await c.delete(leader)
    const out = await fencedWrite(c, fence, [{ type: 'setData', path: '/fence/registry', data: 'state-2' }]).catch(e => e)
    expect(out).toBeInstanceOf(FencedOutError)
    expect(String(out.message)).toContain(`leader znode '${leader}'`)
    expect(text((await c.getData('/fence/registry')).data)).toBe('state-1')
  })

  test('digest credentials: anyone may read, only the creator may write', async () => {
    const masters = await client({ auth: { scheme: 'digest', credentials: 'meso:s3cret' } })
    const anon = await client()
    await masters.create('/acl', 'secretless')
    expect(text((await anon.getData('/acl')).data)).toBe('secretless')
    expect((await rejection(anon.setData('/acl', 'x'))).code).toBe('NOAUTH')
    const again = await client({ auth: { scheme: 'digest', credentials: 'meso:s3cret' } })
    expect((await again.setData('/acl', 'y')).version).toBe(1)
  })

  test('sync succeeds', async () => {
    const c = await client()
    await c.sync('/')
  })

  test('no server: connect fails within its timeout, naming each server and why', async () => {
    const [port] = await freePorts(1)
    const t0 = performance.now()
    const err = await ZooKeeperClient.connect({ servers: `127.0.0.1:${port}`, connectTimeoutMs: 600 }).catch(e => e)
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(isZooKeeperError(err, 'CONNECTIONLOSS')).toBe(true)
    expect(err.message).toContain(`127.0.0.1:${port} (127.0.0.1:${port}:`)
  })
})
