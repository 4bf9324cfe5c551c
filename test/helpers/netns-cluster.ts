// A cluster of distinct hosts on one machine: every master, agent and ZooKeeper server runs in a network
// namespace of its own, with its own IP on a bridge in the host namespace, so the test process reaches every node
// directly and the nodes see one another as different machines. A node can be cut off (partition) and reconnected
// (heal), killed with -9 and restarted on the same address and work dir. With ZooKeeper (`zookeepers: N`) the masters
// are highly available: they contend at zk://<ZooKeeper ips>/mesos and the agents find the leader there.
// docs/dev-cluster.md describes the layout; scripts/dev-cluster.ts runs the same code by hand.
//
// Everything created is recorded in a state file (/run/meso-netns-cluster/<tag>.json) with the owner's pid, so that
// what a crashed run left behind is found and removed: by the next start, by `bun scripts/dev-cluster.ts down`, and
// by test/setup.ts (cleanupNetnsClusters) for the clusters of the suite itself.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { isAlive, processStartTime } from '../../src/agent/containerizer/process-supervisor.ts'
import { hostRoutes, pickSubnet } from '../../src/agent/isolators/network/cni/default-network.ts'
import { detectLeader } from '../../src/master/ha/detector.ts'
import { MESO, reapContainers, tempDir, waitFor } from './processes.ts'
import { startZooKeeper, type ZkServer } from './zookeeper.ts'

export type NodeRole = 'master' | 'agent' | 'zookeeper'

export interface NetnsClusterOptions {
  masters?: number
  agents?: number
  /** ZooKeeper servers (0–9; 1 or 3 make sense), each in a namespace of its own at .21–.29:2181. With any, the
   * masters run with `--zk=zk://<their ips>/mesos` (add `--zk_session_timeout` etc. with masterFlags) and the
   * agents with `--master=` that URL. Default 0: agents use the first master. */
  zookeepers?: number
  /** ZooKeeper's tickTime in ms (default 200: sessions down to 400 ms are allowed). */
  zkTickTime?: number
  masterFlags?: string[]
  /** Extra agent flags, the same for every agent or per agent (i counts from 1). */
  agentFlags?: string[] | ((i: number) => string[])
  /** --resources of agent i (from 1); by default each agent differs: cpus:i;mem:i*1024. */
  agentResources?: (i: number) => string
  /** Default: 'linux' where the linux launcher can run (root, crun, conmon), else 'posix'. */
  launcher?: 'linux' | 'posix'
  /** A /24; default: the first of 172.31.250-254.0/24, 172.31.240-249.0/24 that no host route overlaps. */
  subnet?: string
  /** Parent of the nodes' work dirs and logs; default a test temp dir. */
  workDir?: string
  /** Called with each line a node prints, prefixed with the node's name (the dev-cluster script shows them). */
  onLog?: (line: string) => void
  /** Who started it, kept in the state file: 'test' (default) or 'dev-cluster'; `dev-cluster down` stops the latter. */
  label?: string
}

/** What the state file keeps of a node: enough to partition, heal and clean up without the owning process. */
export interface NodeRecord {
  /** `<role><index>`, e.g. agent2. */
  name: string
  role: NodeRole
  /** 1, 2, … within its role. */
  index: number
  netns: string
  ip: string
  port: number
  /** http://ip:port (masters, agents) or zk://ip:port (ZooKeeper). */
  url: string
  hostname: string
  /** The bridge end of the node's veth pair (the namespace end is eth0). */
  hostVeth: string
  workDir: string
}

export interface ClusterRecord {
  tag: string
  label: string
  owner: { pid: number; start?: string }
  subnet: string
  bridge: string
  bridgeIp: string
  workDir: string
  nodes: NodeRecord[]
}

export const STATE_DIR = '/run/meso-netns-cluster'
/** Names are `meso-nc-<tag>-<node>` (netns) and `mnc<tag>…` (links; interface names have at most 15 characters). */
const NETNS_RE = /^meso-nc-([0-9a-f]{4})-/
const LINK_RE = /^mnc([0-9a-f]{4})/
const MASTER_PORT = 5050
const AGENT_PORT = 5051
const ZOOKEEPER_PORT = 2181
/** Host part of the nodes' addresses: the bridge is .1, masters .11–.19, ZooKeeper .21–.29, agents .101–.199. */
const HOST_OFFSET: Record<NodeRole, number> = { master: 10, zookeeper: 20, agent: 100 }
const MAX_NODES: Record<NodeRole, number> = { master: 9, zookeeper: 9, agent: 99 }
const SUBNET_CANDIDATES = [250, 251, 252, 253, 254, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249].map(n => `172.31.${n}.0/24`)

// ---------------------------------------------------------------------------------------------------------------
// Commands on the host

/** Runs a command to completion; throws with its stderr unless it may fail. */
function sh(argv: string[], mayFail = false): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0 && !mayFail) throw new Error(`${argv.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

/** Runs a command inside a node's network namespace (and nothing else of it: see nsExec). */
export function inNetns(netns: string, argv: string[], mayFail = false): string {
  return sh(nsExec(netns, argv), mayFail)
}

/**
 * The argv that runs `argv` in the network namespace only. Not `ip netns exec`: that also unshares the mount
 * namespace and remounts /sys, which hides /sys/fs/cgroup, and the linux launcher needs the host's cgroups
 * (docs/containerizer.md); containers' mounts would also end up in a mount namespace nobody else sees.
 */
function nsExec(netns: string, argv: string[]): string[] {
  return ['nsenter', `--net=/run/netns/${netns}`, '--', ...argv]
}

/** Why namespaced clusters cannot run here, or undefined. */
export function netnsClusterUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const tool of ['ip', 'iptables', 'nsenter']) if (!Bun.which(tool)) return `${tool} is not installed`
  return undefined
}

export function listNetns(): string[] {
  return sh(['ip', 'netns', 'list'], true).split('\n').map(l => l.split(' ')[0] ?? '').filter(Boolean)
}

function listLinks(): string[] {
  return sh(['ip', '-o', 'link', 'show'], true).split('\n').map(l => l.split(': ')[1]?.split('@')[0] ?? '').filter(Boolean)
}

/** The namespaces, links and state files of netns clusters still on the host (of one tag, or all). */
export function netnsLeftovers(tag?: string): string[] {
  const ours = (m: RegExpExecArray | null) => !!m && (tag === undefined || m[1] === tag)
  return [
    ...listNetns().filter(n => ours(NETNS_RE.exec(n))).map(n => `netns ${n}`),
    ...listLinks().filter(l => ours(LINK_RE.exec(l))).map(l => `link ${l}`),
    ...readRecords().filter(r => tag === undefined || r.tag === tag).map(r => `state file ${join(STATE_DIR, `${r.tag}.json`)}`),
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// State files

export function readRecords(): ClusterRecord[] {
  if (!existsSync(STATE_DIR)) return []
  return readdirSync(STATE_DIR).filter(f => f.endsWith('.json')).flatMap(f => {
    try { return [JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as ClusterRecord] } catch { return [] }
  })
}

function writeRecord(rec: ClusterRecord) {
  mkdirSync(STATE_DIR, { recursive: true })
  writeFileSync(join(STATE_DIR, `${rec.tag}.json`), JSON.stringify(rec, null, 2) + '\n')
}

export function ownerAlive(rec: ClusterRecord): boolean {
  return isAlive(rec.owner.pid, rec.owner.start)
}

// ---------------------------------------------------------------------------------------------------------------
// Plumbing: bridge, namespaces, partitions

function cidrBase(subnet: string): string {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet)
  if (!m) throw new Error(`netns cluster: subnet ${subnet} is not a /24 of the form a.b.c.0/24`)
  return m[1]!
}

function createNode(rec: ClusterRecord, node: NodeRecord) {
  sh(['ip', 'netns', 'add', node.netns])
  // Created inside the namespace right away (named eth0 there), so the host never sees a stray peer.
  sh(['ip', 'link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns])
  sh(['ip', 'link', 'set', node.hostVeth, 'master', rec.bridge, 'up'])
  inNetns(node.netns, ['ip', 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0'])
  inNetns(node.netns, ['ip', 'link', 'set', 'eth0', 'up'])
  inNetns(node.netns, ['ip', 'link', 'set', 'lo', 'up'])
}

/**
 * Cuts a node off, at once and both ways. Without `from`: its bridge port goes down, so nothing reaches it or
 * leaves it (the test process included), as when a host's cable is pulled; packets are dropped, not refused, so
 * peers see silence and time out. With `from`: iptables rules in the node's own namespace drop its traffic to and
 * from those nodes only (they vanish with the namespace, so nothing is left on the host).
 */
export function partitionNode(node: NodeRecord, from?: NodeRecord[]) {
  if (!from) { sh(['ip', 'link', 'set', node.hostVeth, 'down']); return }
  for (const peer of from) {
    inNetns(node.netns, ['iptables', '-w', '-I', 'INPUT', '-s', peer.ip, '-j', 'DROP'])
    inNetns(node.netns, ['iptables', '-w', '-I', 'OUTPUT', '-d', peer.ip, '-j', 'DROP'])
  }
}

/** Undoes every partition of the node (the namespace's filter rules are all ours). */
export function healNode(node: NodeRecord) {
  sh(['ip', 'link', 'set', node.hostVeth, 'up'])
  inNetns(node.netns, ['iptables', '-w', '-F', 'INPUT'], true)
  inNetns(node.netns, ['iptables', '-w', '-F', 'OUTPUT'], true)
}

function netnsPids(netns: string): number[] {
  return sh(['ip', 'netns', 'pids', netns], true).split('\n').filter(Boolean).map(Number)
}

/**
 * Removes a cluster: its containers (with the OCI runtime, which also removes their cgroups), every process left in
 * its namespaces (tasks of the posix launcher outlive a killed agent), the namespaces, the bridge, the state file.
 */
export async function removeCluster(rec: ClusterRecord) {
  reapContainers([rec.workDir])
  const namespaces = new Set(listNetns())
  for (const node of rec.nodes) {
    if (!namespaces.has(node.netns)) continue
    for (let i = 0; i < 50; i++) {
      const pids = netnsPids(node.netns)
      if (!pids.length) break
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
      await Bun.sleep(20)
    }
    sh(['ip', 'netns', 'del', node.netns], true)
  }
  // The host ends of the veths go with their namespace ends; the bridge does not.
  for (const link of listLinks().filter(l => LINK_RE.exec(l)?.[1] === rec.tag)) sh(['ip', 'link', 'del', link], true)
  rmSync(join(STATE_DIR, `${rec.tag}.json`), { force: true })
}

/**
 * Removes clusters whose owner is gone (`all`: every cluster, owners alive or not), and namespaces or links with
 * our names that no state file accounts for. Returns the tags removed.
 */
export async function sweepClusters(all = false): Promise<string[]> {
  const removed: string[] = []
  for (const rec of readRecords()) {
    if (!all && ownerAlive(rec)) continue
    await removeCluster(rec)
    removed.push(rec.tag)
  }
  // Names first, state files second: a cluster writes its state file before it creates anything, so one being
  // started meanwhile is known by the time its names are seen.
  const tags = [...listNetns().map(n => NETNS_RE.exec(n)?.[1]), ...listLinks().map(l => LINK_RE.exec(l)?.[1])]
  const known = new Set(readRecords().map(r => r.tag))
  const strays = new Set(tags.filter((t): t is string => !!t && !known.has(t)))
  for (const tag of strays) {
    const nodes = listNetns().filter(n => NETNS_RE.exec(n)?.[1] === tag)
      .map(netns => ({ netns, name: netns, role: 'agent', index: 0, ip: '', port: 0, url: '', hostname: '', hostVeth: '', workDir: '' }) satisfies NodeRecord)
    await removeCluster({ tag, label: 'stray', owner: { pid: 0 }, subnet: '', bridge: '', bridgeIp: '', workDir: '/nonexistent', nodes })
    removed.push(tag)
  }
  return removed
}

// ---------------------------------------------------------------------------------------------------------------
// Nodes and the cluster

const READY: Record<NodeRole, RegExp | undefined> = {
  master: /meso master listening at (http:\/\/\S+?) /,
  agent: /meso agent listening at (http:\/\/\S+?),/,
  zookeeper: undefined, // started by test/helpers/zookeeper.ts, which knows when a server serves
}

/** The group znode of a cluster's masters. */
const ZK_PATH = '/mesos'

export class NetnsNode implements NodeRecord {
  /** The daemon's process (masters and agents; a ZooKeeper node's JVM belongs to its `zk` server). */
  proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined
  /** A ZooKeeper node's server (test/helpers/zookeeper.ts), which starts and stops it. */
  zk: ZkServer | undefined
  partitioned = false
  private output = ''
  readonly logFile: string

  constructor(readonly rec: NodeRecord, readonly args: string[], private readonly onLog?: (line: string) => void) {
    this.logFile = rec.role === 'zookeeper' ? join(rec.workDir, 'server.log') : `${rec.workDir}.log`
  }

  get name() { return this.rec.name }
  get role() { return this.rec.role }
  get index() { return this.rec.index }
  get netns() { return this.rec.netns }
  get ip() { return this.rec.ip }
  get port() { return this.rec.port }
  get url() { return this.rec.url }
  get hostname() { return this.rec.hostname }
  get hostVeth() { return this.rec.hostVeth }
  get workDir() { return this.rec.workDir }
  get running() {
    if (this.zk) return this.zk.running
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** Everything the node printed, over all its runs. */
  log(): string { return this.zk ? this.zk.log() : this.output }

  /** Runs a command in the node's network namespace (e.g. `ss -tn`, `ip addr`). */
  exec(argv: string[]): string { return inNetns(this.netns, argv) }

  /** Pids of every process in the node's namespace: the daemon, and its executors and tasks. */
  pids(): number[] { return netnsPids(this.netns) }

  /** Starts the daemon in the namespace and waits until it listens. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running${this.proc ? ` (pid ${this.proc.pid})` : ''}`)
    if (this.zk) return this.zk.start()
    const pattern = READY[this.role]
    if (!pattern) throw new Error(`${this.name}: ${this.role} nodes are started by their own helper`)
    const proc = Bun.spawn(nsExec(this.netns, [...MESO, ...this.args]), { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
    this.proc = proc
    const from = this.output.length
    let ready!: () => void
    let isReady = false
    const listening = new Promise<void>(res => { ready = res })
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder()
      let partial = ''
      for await (const chunk of stream) {
        const text = dec.decode(chunk, { stream: true })
        this.output += text
        appendFileSync(this.logFile, text)
        if (!isReady && pattern.test(this.output.slice(from))) { isReady = true; ready() }
        if (this.onLog) {
          const lines = (partial + text).split('\n')
          partial = lines.pop() ?? ''
          for (const l of lines) this.onLog(`${this.name}: ${l}`)
        }
      }
    }
    void pump(proc.stdout)
    void pump(proc.stderr)
    const what = `${this.name} (${this.role} in ${this.netns} at ${this.url})`
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        listening,
        proc.exited.then(code => { throw new Error(`${what} exited with ${code} before it was ready:\n${this.output.slice(from)}`) }),
        new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} not ready after ${timeoutMs}ms:\n${this.output.slice(from)}`)), timeoutMs) }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Stops the daemon: `signal`, then SIGKILL if it is still up after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.zk) {
      const zk = this.zk
      const timer = setTimeout(() => void zk.stop('SIGKILL'), graceMs)
      await zk.stop(signal)
      clearTimeout(timer)
      return
    }
    const proc = this.proc
    if (!proc || !this.running) return
    proc.kill(signal)
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
    await proc.exited
    clearTimeout(timer)
  }
}

const live = new Set<NetnsCluster>()

/** Stops every cluster this process started that is still up; test/setup.ts runs it when the suite ends. */
export async function cleanupNetnsClusters() {
  for (const c of [...live]) await c.stop()
}

export class NetnsCluster {
  private constructor(readonly record: ClusterRecord, readonly masters: NetnsNode[], readonly agents: NetnsNode[], readonly zookeepers: NetnsNode[]) {}

  get tag() { return this.record.tag }
  get subnet() { return this.record.subnet }
  get bridge() { return this.record.bridge }
  get workDir() { return this.record.workDir }
  get nodes(): NetnsNode[] { return [...this.zookeepers, ...this.masters, ...this.agents] }
  /** `zk://<ip>:2181,…/mesos`, the masters' --zk and the agents' --master, when the cluster has ZooKeeper. */
  get zkUrl(): string | undefined {
    return this.zookeepers.length ? zkUrlOf(this.zookeepers) : undefined
  }
  /** The first master: the one agents register with without ZooKeeper. With ZooKeeper, see leader(). */
  get master(): NetnsNode {
    const m = this.masters[0]
    if (!m) throw new Error(`netns cluster ${this.tag} has no master`)
    return m
  }

  node(name: string): NetnsNode {
    const n = this.nodes.find(x => x.name === name)
    if (!n) throw new Error(`netns cluster ${this.tag} has no node ${name} (it has ${this.nodes.map(x => x.name).join(', ')})`)
    return n
  }

  static async start(opts: NetnsClusterOptions = {}): Promise<NetnsCluster> {
    const why = netnsClusterUnavailable()
    if (why) throw new Error(`netns cluster: ${why}`)
    const counts: Record<NodeRole, number> = { master: opts.masters ?? 1, agent: opts.agents ?? 1, zookeeper: opts.zookeepers ?? 0 }
    for (const [role, n] of Object.entries(counts)) {
      if (!Number.isInteger(n) || n < 0 || n > MAX_NODES[role as NodeRole]) throw new Error(`netns cluster: ${role}s must be 0..${MAX_NODES[role as NodeRole]}, got ${n}`)
    }
    await sweepClusters()

    const tag = freshTag()
    const subnet = opts.subnet ?? freeSubnet()
    const base = cidrBase(subnet)
    const workDir = opts.workDir ?? tempDir('meso-netns-')
    mkdirSync(workDir, { recursive: true })
    const rec: ClusterRecord = {
      tag, label: opts.label ?? 'test', owner: { pid: process.pid, start: processStartTime(process.pid) }, subnet,
      bridge: `mnc${tag}`, bridgeIp: `${base}.1`, workDir, nodes: [],
    }
    const launcher = opts.launcher ?? (linuxLauncherUnavailable({ oci_runtime: undefined }) ? 'posix' : 'linux')
    const nodeRecord = (role: NodeRole, i: number): NodeRecord => {
      const name = `${role}${i}`
      const ip = `${base}.${HOST_OFFSET[role] + i}`
      const port = role === 'master' ? MASTER_PORT : role === 'agent' ? AGENT_PORT : ZOOKEEPER_PORT
      const url = role === 'zookeeper' ? `zk://${ip}:${port}` : `http://${ip}:${port}`
      return { name, role, index: i, ip, port, url, netns: `meso-nc-${tag}-${name}`, hostname: `${name}.${tag}.meso-nc`, hostVeth: `mnc${tag}${role[0]}${i}`, workDir: join(workDir, name) }
    }
    const range = (n: number) => Array.from({ length: n }, (_, k) => k + 1)
    rec.nodes = (['zookeeper', 'master', 'agent'] as const).flatMap(role => range(counts[role]).map(i => nodeRecord(role, i)))
    // Recorded before anything exists, so that a crash half-way leaves a state file that accounts for it.
    writeRecord(rec)

    const masterAddr = rec.nodes.find(n => n.role === 'master')
    const zkNodes = rec.nodes.filter(n => n.role === 'zookeeper')
    const zkUrl = zkNodes.length ? zkUrlOf(zkNodes) : undefined
    const argsOf = (n: NodeRecord): string[] => {
      if (n.role === 'master') {
        return ['master', `--ip=${n.ip}`, `--port=${n.port}`, `--hostname=${n.hostname}`, `--work_dir=${n.workDir}`, ...(zkUrl ? [`--zk=${zkUrl}`] : []), ...(opts.masterFlags ?? [])]
      }
      const extra = typeof opts.agentFlags === 'function' ? opts.agentFlags(n.index) : opts.agentFlags ?? []
      const resources = opts.agentResources?.(n.index) ?? `cpus:${n.index};mem:${n.index * 1024}`
      const master = zkUrl ?? (masterAddr ? `${masterAddr.ip}:${masterAddr.port}` : `${base}.11:${MASTER_PORT}`)
      return ['agent', `--master=${master}`, `--ip=${n.ip}`, `--port=${n.port}`,
        `--hostname=${n.hostname}`, `--work_dir=${n.workDir}`, `--resources=${resources}`, `--launcher=${launcher}`, ...extra]
    }
    const nodes = rec.nodes.map(n => new NetnsNode(n, n.role === 'zookeeper' ? [] : argsOf(n), opts.onLog))
    const cluster = new NetnsCluster(rec, nodes.filter(n => n.role === 'master'), nodes.filter(n => n.role === 'agent'), nodes.filter(n => n.role === 'zookeeper'))
    live.add(cluster)
    try {
      sh(['ip', 'link', 'add', rec.bridge, 'type', 'bridge'])
      sh(['ip', 'addr', 'add', `${rec.bridgeIp}/24`, 'dev', rec.bridge])
      sh(['ip', 'link', 'set', rec.bridge, 'up'])
      for (const n of rec.nodes) { createNode(rec, n); mkdirSync(n.workDir, { recursive: true }) }
      if (cluster.zookeepers.length) {
        // One ensemble, each server in its node's namespace at its node's address (nsenter: see nsExec), its data
        // and log in the node's work dir.
        const zkNode = (id: number) => cluster.zookeepers[id - 1]!
        const ensemble = await startZooKeeper({
          nodes: cluster.zookeepers.length, tickTime: opts.zkTickTime, hosts: cluster.zookeepers.map(z => z.ip),
          ports: { client: ZOOKEEPER_PORT, quorum: 2888, election: 3888 },
          commandPrefix: id => nsExec(zkNode(id).netns, []), dir: id => zkNode(id).workDir,
        })
        ensemble.servers.forEach((server, i) => { cluster.zookeepers[i]!.zk = server })
      }
      await Promise.all(cluster.masters.map(m => m.start()))
      await Promise.all(cluster.agents.map(a => a.start()))
      if (cluster.masters.length) await cluster.waitForAgents()
    } catch (err) {
      await cluster.stop()
      throw err
    }
    return cluster
  }

  /** Waits until the master (with ZooKeeper: the leader, see leader()) lists every running agent as active, each
   * at its own address. */
  async waitForAgents(timeoutMs = 30_000): Promise<void> {
    const want = this.agents.filter(a => a.running).map(a => `${a.ip}:${a.port}`)
    const deadline = Date.now() + timeoutMs
    const master = this.zookeepers.length ? await this.leader(timeoutMs) : this.master
    await waitFor(`agents ${want.join(', ')} to be active on ${master.url}`, async () => {
      const r = await fetch(`${master.url}/master/slaves`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
      if (!r?.ok) return false
      const body = await r.json() as { slaves: { pid: string; active: boolean }[] }
      return want.every(addr => body.slaves.some(s => s.active && s.pid.endsWith(`@${addr}`)))
    }, Math.max(1, deadline - Date.now()), 100)
  }

  /** The leading master: the one ZooKeeper names that also says it leads (`master/elected` 1), so that a deposed
   * leader that has not noticed yet is not taken for it. Waits for one. Without ZooKeeper: the first master. */
  async leader(timeoutMs = 30_000): Promise<NetnsNode> {
    if (!this.zkUrl) return this.master
    return waitFor(`a leading master in ${this.zkUrl}`, () => this.currentLeader(), timeoutMs, 25)
  }

  /** One look for the leader as leader() defines it; undefined when there is none right now. */
  async currentLeader(): Promise<NetnsNode | undefined> {
    if (!this.zkUrl) return this.master
    const info = await detectLeader(this.zkUrl, 2000).catch(() => undefined)
    const node = info && this.masters.find(m => m.ip === info.address?.ip && m.port === info.port)
    if (!node?.running) return undefined
    return (await electedOn(node)) === 1 ? node : undefined
  }

  /** Cuts the node off (from everyone, or only from `from`); see partitionNode. */
  partition(node: NetnsNode, from?: NetnsNode[]) {
    partitionNode(node.rec, from?.map(n => n.rec))
    node.partitioned = true
  }

  heal(node: NetnsNode) {
    healNode(node.rec)
    node.partitioned = false
  }

  /** kill -9 of the node's daemon (an agent's containers keep running, as on a real host). */
  async kill9(node: NetnsNode) { await node.stop('SIGKILL') }

  /** Stops the daemon (SIGTERM) if it runs and starts it again: same namespace, address, flags and work dir. */
  async restart(node: NetnsNode) {
    await node.stop()
    await node.start()
  }

  /** Stops every daemon and removes everything the cluster created on the host (the work dir and logs stay). */
  async stop() {
    await Promise.all(this.nodes.map(n => n.stop('SIGKILL')))
    await removeCluster(this.record)
    live.delete(this)
  }
}

const zkUrlOf = (servers: { ip: string; port: number }[]) => `zk://${servers.map(z => `${z.ip}:${z.port}`).join(',')}${ZK_PATH}`

/** A master's `master/elected` metric (1: it leads, 0: a standby), or undefined when it does not answer within a
 * second (down, partitioned). */
export async function electedOn(node: NetnsNode): Promise<number | undefined> {
  try {
    const r = await fetch(`${node.url}/metrics/snapshot`, { signal: AbortSignal.timeout(1000) })
    if (!r.ok) return undefined
    return ((await r.json()) as Record<string, number>)['master/elected']
  } catch {
    return undefined
  }
}

function freshTag(): string {
  const used = new Set([...readRecords().map(r => r.tag), ...listNetns().map(n => NETNS_RE.exec(n)?.[1]), ...listLinks().map(l => LINK_RE.exec(l)?.[1])])
  for (;;) {
    const tag = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')
    if (!used.has(tag)) return tag
  }
}

function freeSubnet(): string {
  const subnet = pickSubnet(hostRoutes(), SUBNET_CANDIDATES)
  if (!subnet) throw new Error(`netns cluster: every candidate subnet (${SUBNET_CANDIDATES.join(', ')}) overlaps a host route; pass subnet`)
  return subnet
}
