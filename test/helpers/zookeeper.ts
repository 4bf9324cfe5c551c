// Real ZooKeeper servers for tests: one node or a three-node ensemble on free loopback ports, from Debian's
// zookeeper package (install.sh installs it), with a tickTime small enough for one-second sessions. Each server
// runs under `setpriv --pdeathsig KILL`, so it dies with the test process even if that is killed -9; a test file
// stops its ensemble in afterAll, and whatever is still running when the process exits is killed then (bun test
// runs every file in one process, so a hook registered here would fire for the first file only — see
// processes.ts). Also here: a TCP proxy that can freeze or cut a client's traffic (a partition in front of a
// server).
//
// By default every server listens on 127.0.0.1 at free ports. `hosts` gives each server an address of its own
// (clientPortAddress, the quorum lines and the four-letter-word probe use it; the ports are then fixed, 2181, 2888
// and 3888 unless `ports` says otherwise), and `commandPrefix` wraps each server's command, e.g. in
// `nsenter --net=/run/netns/<netns> --` (test/helpers/netns-cluster.ts runs each server in a namespace that way).

import { existsSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync, closeSync } from 'node:fs'
import { createServer, connect, type Socket, type Server } from 'node:net'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { tempDir } from './processes.ts'

const ZK_JAR = '/usr/share/java/zookeeper.jar'
// The jar's manifest Class-Path brings the rest; one slf4j binding (Debian ships several) keeps the log readable.
const CLASSPATH = `${ZK_JAR}:/usr/share/java/slf4j-simple.jar`
const MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
const START_TIMEOUT_MS = 30_000

const running = new Set<Subprocess>()
process.on('exit', () => {
  for (const p of running) try { p.kill('SIGKILL') } catch { /* gone */ }
})

export interface ZkServer {
  id: number
  /** The address it listens on for clients (clientPortAddress): 127.0.0.1 unless `hosts` said otherwise. */
  host: string
  clientPort: number
  /** host:port */
  address: string
  /** Its data dir, config and log. */
  dir: string
  readonly running: boolean
  /** (Re)starts it with the same ports and data; resolves once it serves clients (an ensemble node: once it
   * has a quorum). */
  start(): Promise<void>
  /** SIGKILL by default: an abrupt crash. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** SIGSTOP / SIGCONT: the server hangs without closing a connection. */
  pause(): void
  resume(): void
  /** 'standalone', 'leader' or 'follower', from the `srvr` four-letter word; undefined when not serving. */
  mode(): Promise<string | undefined>
  log(): string
}

export interface ZkEnsemble {
  servers: ZkServer[]
  /** 'h:p,h:p,h:p' */
  connectString: string
  url(path?: string): string
  /** Milliseconds from spawning the JVMs to every node serving. */
  startedInMs: number
  stop(): Promise<void>
}

/** Reserves `n` distinct free loopback ports (held together, then released: another process could still take
 * one in between, which is unlikely on a test machine). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer()
      await new Promise<void>((res, rej) => { s.once('error', rej); s.listen(0, '127.0.0.1', () => res()) })
      servers.push(s)
    }
    return servers.map(s => { const a = s.address(); if (!a || typeof a === 'string') throw new Error('no port'); return a.port })
  } finally {
    await Promise.all(servers.map(s => new Promise<void>(res => s.close(() => res()))))
  }
}

/** Sends a four-letter word and returns the whole answer ('' if the server is unreachable). */
export function fourLetter(port: number, word: string, timeoutMs = 1000, host = '127.0.0.1'): Promise<string> {
  return new Promise(resolve => {
    let out = ''
    const sock = connect({ host, port })
    const done = () => { clearTimeout(timer); sock.destroy(); resolve(out) }
    const timer = setTimeout(done, timeoutMs)
    sock.on('connect', () => sock.write(word))
    sock.on('data', (d: Uint8Array) => { out += new TextDecoder().decode(d) })
    sock.on('close', done)
    sock.on('error', done)
  })
}

export interface ZooKeeperOptions {
  /** Servers in the ensemble (default 1; an odd number for a quorum to survive a loss). */
  nodes?: number
  /** Milliseconds (default 200, so that one-second sessions are possible). */
  tickTime?: number
  /** The address of each server (`nodes` of them, distinct): clientPortAddress, the quorum lines and the
   * four-letter-word probe use it. Default: 127.0.0.1 for all, at free ports. */
  hosts?: string[]
  /** The ports of every server when `hosts` is given (default 2181, 2888, 3888: distinct hosts need no distinct
   * ports). */
  ports?: { client: number; quorum: number; election: number }
  /** argv put before each server's command (server ids count from 1), e.g. `id => ['nsenter',
   * '--net=/run/netns/zk' + id, '--']`. The server still dies with the test process (`setpriv --pdeathsig` goes
   * right before java, so this holds whether the prefix execs or forks). */
  commandPrefix?: (id: number) => string[]
  /** Where the servers keep their data, config and log: a parent dir (`<dir>/zk<id>`) or each server's own dir;
   * kept by stop(). Default: a temp dir, removed by stop(). */
  dir?: string | ((id: number) => string)
}

/** Why startZooKeeper cannot run here, or undefined. */
export function zooKeeperUnavailable(): string | undefined {
  if (!existsSync(ZK_JAR)) return `ZooKeeper is not installed (${ZK_JAR} is missing): run ./install.sh, which installs Debian's zookeeper package`
  if (!Bun.which('java')) return 'ZooKeeper needs java, which is not on PATH: run ./install.sh (the zookeeper package depends on a JRE)'
  return undefined
}

export async function startZooKeeper(opts: ZooKeeperOptions = {}): Promise<ZkEnsemble> {
  const why = zooKeeperUnavailable()
  if (why) throw new Error(why)
  const n = opts.nodes ?? 1
  if (!Number.isInteger(n) || n < 1) throw new Error(`startZooKeeper: nodes must be a positive whole number, got ${n}`)
  const tickTime = opts.tickTime ?? 200
  let hosts: string[]
  let clientPorts: number[]
  let quorumPorts: [number, number][]
  if (opts.hosts) {
    if (opts.hosts.length !== n) throw new Error(`startZooKeeper: ${n} node(s) but ${opts.hosts.length} host(s): ${opts.hosts.join(', ')}`)
    if (new Set(opts.hosts).size !== n) throw new Error(`startZooKeeper: the hosts must be distinct (the ports are the same on each): ${opts.hosts.join(', ')}`)
    const p = opts.ports ?? { client: 2181, quorum: 2888, election: 3888 }
    hosts = opts.hosts
    clientPorts = hosts.map(() => p.client)
    quorumPorts = hosts.map(() => [p.quorum, p.election])
  } else {
    const ports = await freePorts(n * 3)
    hosts = Array.from({ length: n }, () => '127.0.0.1')
    clientPorts = ports.slice(0, n)
    quorumPorts = hosts.map((_, i) => [ports[n + 2 * i]!, ports[n + 2 * i + 1]!])
  }
  const root = typeof opts.dir === 'string' ? opts.dir : opts.dir ? undefined : tempDir('meso-zk-')
  const dirOf = (id: number) => (typeof opts.dir === 'function' ? opts.dir(id) : join(root!, `zk${id}`))
  const quorum = n === 1 ? [] : hosts.map((h, i) => `server.${i + 1}=${h.includes(':') ? `[${h}]` : h}:${quorumPorts[i]![0]}:${quorumPorts[i]![1]}`)
  const servers = hosts.map((h, i) => makeServer(i + 1, h, clientPorts[i]!, dirOf(i + 1), tickTime, quorum, opts.commandPrefix?.(i + 1) ?? []))
  const t0 = performance.now()
  try {
    await Promise.all(servers.map(s => s.start()))
  } catch (e) {
    await Promise.all(servers.map(s => s.stop()))
    throw e
  }
  const startedInMs = Math.round(performance.now() - t0)
  const connectString = servers.map(s => s.address).join(',')
  return {
    servers, connectString, startedInMs,
    url: (path = '/mesos') => `zk://${connectString}${path}`,
    async stop() {
      await Promise.all(servers.map(s => s.stop()))
      if (!opts.dir) rmSync(root!, { recursive: true, force: true })
    },
  }
}

function makeServer(id: number, host: string, clientPort: number, dir: string, tickTime: number, quorum: string[], prefix: string[]): ZkServer {
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { recursive: true })
  if (quorum.length) writeFileSync(join(dataDir, 'myid'), `${id}\n`)
  const cfg = join(dir, 'zoo.cfg')
  writeFileSync(cfg, [
    `tickTime=${tickTime}`,
    // One-second sessions need minSessionTimeout below the default 2 ticks' floor to be explicit.
    `minSessionTimeout=${2 * tickTime}`,
    'maxSessionTimeout=60000',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${dataDir}`,
    `clientPort=${clientPort}`,
    `clientPortAddress=${host}`,
    // The AdminServer would take port 8080; four-letter words tell the tests a node's mode.
    'admin.enableServer=false',
    '4lw.commands.whitelist=*',
    // Test speed: no 64 MiB log preallocation, no fsync (unknown keys become zookeeper.* system properties).
    'preAllocSize=1024',
    'forceSync=no',
    'autopurge.purgeInterval=0',
    ...quorum,
    '',
  ].join('\n'))
  const logPath = join(dir, 'server.log')
  let proc: Subprocess | undefined
  const server: ZkServer = {
    id, host, clientPort, address: `${host.includes(':') ? `[${host}]` : host}:${clientPort}`, dir,
    get running() { return proc !== undefined && proc.exitCode === null && proc.signalCode === null },
    async start() {
      if (server.running) return
      const fd = openSync(logPath, 'a')
      const java = ['java', '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.net.preferIPv4Stack=true', '-cp', CLASSPATH, MAIN, cfg]
      const argv = [...prefix, ...(Bun.which('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', ...java] : java)]
      const p = Bun.spawn(argv, { stdin: 'ignore', stdout: fd, stderr: fd })
      p.unref() // a server must not keep the test process alive; the exit hook kills it
      closeSync(fd)
      proc = p
      running.add(p)
      void p.exited.then(() => running.delete(p))
      const deadline = Date.now() + START_TIMEOUT_MS
      while (!(await server.mode())) {
        if (!server.running) throw new Error(`ZooKeeper server ${id} (${server.address}) exited with ${p.exitCode ?? p.signalCode} while starting:\n${tail(logPath)}`)
        if (Date.now() > deadline) throw new Error(`ZooKeeper server ${id} (${server.address}) not serving after ${START_TIMEOUT_MS}ms:\n${tail(logPath)}`)
        await Bun.sleep(50)
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGKILL') {
      const p = proc
      if (!p || !server.running) return
      if (signal !== 'SIGCONT') try { p.kill('SIGCONT') } catch { /* gone */ } // a paused JVM cannot act on SIGTERM
      p.kill(signal)
      await p.exited
    },
    pause() { proc?.kill('SIGSTOP') },
    resume() { proc?.kill('SIGCONT') },
    async mode() {
      const m = /^Mode: (\S+)/m.exec(await fourLetter(clientPort, 'srvr', 1000, host))
      return m?.[1]
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
  }
  return server
}

function tail(path: string, lines = 30): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)'
}

export interface TcpProxy {
  port: number
  /** 127.0.0.1:port, to give a client instead of the server's address. */
  address: string
  /** Stops moving bytes either way, on open connections and new ones, without closing anything (a partition;
   * TCP delivers what was held once it heals). */
  freeze(): void
  thaw(): void
  /** Closes every connection and every new one at once (a server that is down). */
  block(): void
  unblock(): void
  close(): Promise<void>
}

/** A loopback TCP proxy to `target` (host:port). */
export async function startProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const pairs = new Set<[Socket, Socket]>()
  let frozen = false
  let blocked = false
  const server = createServer(down => {
    if (blocked) return void down.destroy()
    const up = connect({ host, port })
    const pair: [Socket, Socket] = [down, up]
    pairs.add(pair)
    const end = () => { down.destroy(); up.destroy(); pairs.delete(pair) }
    for (const [from, to] of [[down, up], [up, down]] as const) {
      from.on('data', (d: Uint8Array) => to.write(d))
      from.on('error', end)
      from.on('close', end)
    }
    if (frozen) for (const s of pair) s.pause()
  })
  await new Promise<void>(res => server.listen(0, '127.0.0.1', () => res()))
  const addr = server.address()
  if (!addr || typeof addr === 'string') throw new Error('proxy has no port')
  return {
    port: addr.port,
    address: `127.0.0.1:${addr.port}`,
    freeze() { frozen = true; for (const p of pairs) for (const s of p) s.pause() },
    thaw() { frozen = false; for (const p of pairs) for (const s of p) s.resume() },
    block() { blocked = true; for (const [d, u] of pairs) { d.destroy(); u.destroy() } pairs.clear() },
    unblock() { blocked = false },
    async close() {
      for (const [d, u] of pairs) { d.destroy(); u.destroy() }
      pairs.clear()
      await new Promise<void>(res => server.close(() => res()))
    },
  }
}
