// Sessions across server failures: a restarted server and a change of server keep the session (and its
// ephemeral nodes and watches); an expired session is reported, whether the server says so or the client
// concludes it after a partition.

import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { type StateChange, ZooKeeperClient } from '../../src/core/zookeeper/client.ts'
import type { WatchEvent } from '../../src/core/zookeeper/watches.ts'
import { waitFor } from '../helpers/processes.ts'
import { startProxy, startZooKeeper, type TcpProxy, type ZkEnsemble } from '../helpers/zookeeper.ts'

const ensembles: ZkEnsemble[] = []
const clients: ZooKeeperClient[] = []
const proxies: TcpProxy[] = []

async function zookeeper(nodes: 1 | 3 = 1) {
  const zk = await startZooKeeper({ nodes })
  console.log(`ZooKeeper (${nodes} node${nodes > 1 ? 's' : ''}) serving after ${zk.startedInMs}ms`)
  ensembles.push(zk)
  return zk
}

function track(c: ZooKeeperClient) {
  clients.push(c)
  const states: (StateChange & { at: number })[] = []
  c.onState(s => states.push({ ...s, at: performance.now() }))
  return states
}

async function connect(servers: string, sessionTimeoutMs: number) {
  const c = await ZooKeeperClient.connect({ servers, sessionTimeoutMs, shuffle: false })
  return { c, states: track(c) }
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()))
  await Promise.all(proxies.splice(0).map(p => p.close()))
  await Promise.all(ensembles.splice(0).map(z => z.stop()))
})
afterAll(async () => {
  await Promise.all(ensembles.map(z => z.stop()))
})

describe('ZooKeeper sessions', () => {
  test('a restarted server takes the session back: same id, ephemeral node kept, watches re-armed', async () => {
    const zk = await zookeeper()
    const { c, states } = await connect(zk.connectString, 4000)
    const id = c.sessionId
    await c.create('/kept', 'x', { mode: 'EPHEMERAL' })
    const events: WatchEvent[] = []
    await c.getData('/kept', ev => events.push(ev))
    await c.exists('/later', ev => events.push(ev))
    const t0 = performance.now()
    await zk.servers[0]!.stop()
    await waitFor('DISCONNECTED', () => c.state === 'DISCONNECTED', 2000, 5)
    const madeWhileDown = c.getData('/kept') // waits for the next connection
    await zk.servers[0]!.start()
    await waitFor('CONNECTED again', () => c.state === 'CONNECTED', 4000, 5)
    expect(new TextDecoder().decode((await madeWhileDown).data)).toBe('x')
    console.log(`server killed and restarted; session resumed after ${(performance.now() - t0).toFixed(0)}ms`)
    expect(c.sessionId).toBe(id)
    expect((await c.exists('/kept'))?.ephemeralOwner).toBe(id)
    expect(states.map(s => s.state)).toEqual(['DISCONNECTED', 'CONNECTED'])
    // The watches were set on the old connection; SetWatches re-armed them on the new one.
    const other = await ZooKeeperClient.connect({ servers: zk.connectString })
    clients.push(other)
    await other.setData('/kept', 'y')
    await other.create('/later')
    await waitFor('both watches', () => events.length === 2)
    expect(events.sort((a, b) => a.path.localeCompare(b.path))).toEqual([{ type: 'NodeDataChanged', path: '/kept' }, { type: 'NodeCreated', path: '/later' }])
  }, 20_000)

  test('three-node ensemble: losing the server the session is on — the ensemble leader — moves it to another', async () => {
    const zk = await zookeeper(3)
    // Connect to the ensemble's leader first: losing it also costs a leader election before anyone serves.
    const modes = await Promise.all(zk.servers.map(s => s.mode()))
    const victim = zk.servers[modes.indexOf('leader')]!
    const order = [victim, ...zk.servers.filter(s => s !== victim)].map(s => s.address).join(',')
    const { c, states } = await connect(order, 4000)
    expect(c.server).toBe(victim.address)
    const id = c.sessionId
    await c.create('/moved', '', { mode: 'EPHEMERAL' })
    const t0 = performance.now()
    await victim.stop()
    await waitFor('CONNECTED to another server', () => states.length >= 2 && c.state === 'CONNECTED', 8000, 5)
    console.log(`killed the ensemble leader ${victim.address}; session resumed on ${c.server} after ${(performance.now() - t0).toFixed(0)}ms`)
    expect(c.server).not.toBe(victim.address)
    expect(c.sessionId).toBe(id)
    expect((await c.exists('/moved'))?.ephemeralOwner).toBe(id)
    expect(states.map(s => s.state)).toEqual(['DISCONNECTED', 'CONNECTED'])
    await c.close()
    const check = await ZooKeeperClient.connect({ servers: zk.connectString })
    clients.push(check)
    expect(await check.exists('/moved')).toBeUndefined()
  }, 20_000)

  test('the server says the session expired: EXPIRED, and every request fails SESSIONEXPIRED', async () => {
    const zk = await zookeeper()
    const proxy = await startProxy(zk.connectString)
    proxies.push(proxy)
    const { c, states } = await connect(proxy.address, 3000)
    await c.create('/gone', '', { mode: 'EPHEMERAL' })
    // Cut the client off, end its session from a second connection (the Java client's sessionId/passwd
    // constructor), then let it back: the server answers its ConnectRequest with timeOut 0.
    proxy.block()
    await waitFor('DISCONNECTED', () => c.state === 'DISCONNECTED', 2000, 5)
    const thief = await ZooKeeperClient.connect({ servers: zk.connectString, session: { id: c.sessionId, passwd: c.sessionPasswd } })
    expect(thief.sessionId).toBe(c.sessionId)
    await thief.close()
    const t0 = performance.now()
    proxy.unblock()
    await waitFor('EXPIRED', () => c.state === 'EXPIRED', 3000, 5)
    console.log(`server-reported expiry seen ${(performance.now() - t0).toFixed(0)}ms after the client could reconnect`)
    expect(states.at(-1)?.reason).toContain('says session')
    expect((await c.getData('/').catch(e => e)).code).toBe('SESSIONEXPIRED')
  }, 20_000)

  test('a partition longer than the session timeout: the client expires the session before the server can', async () => {
    const zk = await zookeeper()
    const proxy = await startProxy(zk.connectString)
    proxies.push(proxy)
    const T = 1000
    const { c, states } = await connect(proxy.address, T)
    await c.create('/partitioned', '', { mode: 'EPHEMERAL' })
    const observer = await ZooKeeperClient.connect({ servers: zk.connectString })
    clients.push(observer)
    let serverExpiredAt = 0
    await observer.exists('/partitioned', () => { serverExpiredAt = performance.now() })
    const t0 = performance.now()
    proxy.freeze()
    await waitFor('EXPIRED', () => c.state === 'EXPIRED', 3 * T, 5)
    const local = states.find(s => s.state === 'EXPIRED')!.at - t0
    await waitFor('the server to expire the session', () => serverExpiredAt > 0, 3 * T, 5)
    const server = serverExpiredAt - t0
    console.log(`partition: DISCONNECTED after ${(states[0]!.at - t0).toFixed(0)}ms, EXPIRED locally after ${local.toFixed(0)}ms, server expired it after ${server.toFixed(0)}ms (T=${T}ms)`)
    expect(states.map(s => s.state)).toEqual(['DISCONNECTED', 'EXPIRED'])
    expect(states.at(-1)?.reason).toContain('no ZooKeeper server answered')
    expect(local).toBeLessThanOrEqual(T + 50)
    expect(local).toBeLessThanOrEqual(server)
  }, 20_000)
})
