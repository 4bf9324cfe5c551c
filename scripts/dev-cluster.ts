// A cluster of distinct hosts on this machine, by hand: masters and agents each in a network namespace of its own
// with its own IP on a bridge (the harness of test/helpers/netns-cluster.ts, the one the e2e tests use). Needs root.
// docs/dev-cluster.md has the commands, the names and subnets used, and how to partition a node by hand.
//
//   bun scripts/dev-cluster.ts up --masters 1 --agents 3     start; prints the nodes; Ctrl-C stops and cleans up
//   bun scripts/dev-cluster.ts up --zookeepers 1 --masters 3   HA masters on ZooKeeper (zk://<zk ips>/mesos)
//   bun scripts/dev-cluster.ts status                          the clusters on this host and their nodes
//   bun scripts/dev-cluster.ts partition agent2 [--from master1]   cut a node off (from everyone, or from some)
//   bun scripts/dev-cluster.ts heal agent2                     reconnect it
//   bun scripts/dev-cluster.ts down [--all]                    stop dev clusters, remove whatever crashed runs left

import { mkdtempSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  healNode, inNetns, NetnsCluster, netnsLeftovers, ownerAlive, partitionNode, readRecords, sweepClusters,
  type ClusterRecord, type NodeRecord,
} from '../test/helpers/netns-cluster.ts'
import { MESO } from '../test/helpers/processes.ts'

const LABEL = 'dev-cluster'

const USAGE = `usage: bun scripts/dev-cluster.ts COMMAND [OPTIONS]

  up [--masters N] [--agents M] [--zookeepers Z] [--launcher linux|posix] [--subnet A.B.C.0/24]
     [--work-dir DIR] [--master-flag=--FLAG=V]... [--agent-flag=--FLAG=V]... [--quiet]
                          start the cluster and keep it up until Ctrl-C (then everything is removed);
                          with --zookeepers the masters contend at zk://<zookeeper ips>:2181/mesos and the
                          agents find the leader there
  status                  list the clusters on this host, their nodes and which are partitioned
  partition NODE [--from NODE,...] [--tag TAG]
                          cut NODE off: from everyone (its bridge port goes down), or from the nodes named
  heal NODE [--tag TAG]   undo every partition of NODE
  down [--all]            stop running dev clusters and remove what crashed runs left behind
                          (--all: also clusters of test runs that are still running)
`

function fail(msg: string): never {
  process.stderr.write(`dev-cluster: ${msg}\n`)
  process.exit(2)
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    masters: { type: 'string', default: '1' },
    agents: { type: 'string', default: '1' },
    zookeepers: { type: 'string', default: '0' },
    launcher: { type: 'string' },
    subnet: { type: 'string' },
    'work-dir': { type: 'string' },
    'master-flag': { type: 'string', multiple: true, default: [] },
    'agent-flag': { type: 'string', multiple: true, default: [] },
    quiet: { type: 'boolean', default: false },
    from: { type: 'string' },
    tag: { type: 'string' },
    all: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

const count = (name: 'masters' | 'agents' | 'zookeepers') => {
  const n = Number(opts[name])
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got '${opts[name]}'`)
  return n
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/** How a node is partitioned now, read from the host (its bridge port) and its namespace (the DROP rules). */
function partitionState(node: NodeRecord): string {
  const link = Bun.spawnSync(['ip', '-o', 'link', 'show', node.hostVeth], { stdout: 'pipe', stderr: 'ignore' }).stdout.toString()
  if (!link) return 'gone'
  if (!/[<,]UP[,>]/.test(link)) return 'partitioned (link down)'
  const drops = inNetns(node.netns, ['iptables', '-w', '-S', 'INPUT'], true).split('\n').map(l => /-s (\S+?)(?:\/32)? .*-j DROP/.exec(l)?.[1]).filter(Boolean)
  return drops.length ? `partitioned from ${drops.join(', ')}` : 'connected'
}

function nodeRows(rec: ClusterRecord): string[][] {
  return [['NODE', 'IP', 'URL', 'NETNS', 'HOST VETH', 'STATE'], ...rec.nodes.map(n => [n.name, n.ip, n.url, n.netns, n.hostVeth, partitionState(n)])]
}

/** The one running cluster (or the one --tag names). */
function pickCluster(): ClusterRecord {
  const live = readRecords().filter(r => ownerAlive(r) && (!opts.tag || r.tag === opts.tag))
  if (live.length === 1) return live[0]!
  if (!live.length) fail(opts.tag ? `no running cluster with tag ${opts.tag}` : 'no cluster is running (start one with `up`)')
  fail(`${live.length} clusters are running (${live.map(r => r.tag).join(', ')}): say which with --tag`)
}

function pickNode(rec: ClusterRecord, name: string | undefined): NodeRecord {
  const node = rec.nodes.find(n => n.name === name)
  if (!node) fail(`cluster ${rec.tag} has no node '${name ?? ''}' (it has ${rec.nodes.map(n => n.name).join(', ')})`)
  return node
}

async function up() {
  const launcher = opts.launcher
  if (launcher !== undefined && launcher !== 'linux' && launcher !== 'posix') fail(`--launcher must be linux or posix, got '${launcher}'`)
  const workDir = opts['work-dir'] ?? mkdtempSync('/tmp/meso-dev-cluster-')
  const cluster = await NetnsCluster.start({
    masters: count('masters'), agents: count('agents'), zookeepers: count('zookeepers'), launcher, subnet: opts.subnet, workDir, label: LABEL,
    masterFlags: opts['master-flag'], agentFlags: opts['agent-flag'],
    onLog: opts.quiet ? undefined : line => process.stdout.write(`${line}\n`),
  }).catch((err: Error) => fail(err.message))
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`\n${signal}: stopping cluster ${cluster.tag}...\n`)
    await cluster.stop()
    process.stdout.write(`cluster ${cluster.tag} removed (work dir and logs kept in ${cluster.workDir})\n`)
    process.exit(0)
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig))
  for (const node of cluster.nodes) {
    void node.proc?.exited.then(code => { if (!stopping) process.stdout.write(`${node.name} exited with ${code} (see ${node.logFile})\n`) })
  }
  process.stdout.write([
    '',
    `cluster ${cluster.tag} up: bridge ${cluster.bridge} ${cluster.record.bridgeIp} on ${cluster.subnet}, binary ${MESO.join(' ')}`,
    table(nodeRows(cluster.record)),
    '',
    `work dir and logs: ${cluster.workDir}`,
    cluster.masters.length ? `try: MESO_MASTER=${cluster.zkUrl ?? cluster.master.url} meso agent list` : '',
    cluster.zkUrl ? `ZooKeeper: ${cluster.zkUrl} (servers' logs: <work dir>/zookeeper<i>/server.log)` : '',
    `partition a node: bun scripts/dev-cluster.ts partition ${cluster.agents[0]?.name ?? 'NODE'}   (heal it with: heal)`,
    'Ctrl-C stops the cluster and removes its namespaces and bridge.',
    '',
  ].join('\n'))
  // Kept alive by this timer until a signal arrives, even when every node has exited.
  setInterval(() => {}, 1 << 30)
}

function status() {
  const records = readRecords()
  if (!records.length) { process.stdout.write('no netns clusters on this host\n'); return }
  for (const rec of records) {
    process.stdout.write(`cluster ${rec.tag} (${rec.label}, owner pid ${rec.owner.pid} ${ownerAlive(rec) ? 'running' : 'gone: remove with `down`'}), bridge ${rec.bridge} ${rec.bridgeIp} on ${rec.subnet}, work dir ${rec.workDir}\n`)
    process.stdout.write(`${table(nodeRows(rec))}\n\n`)
  }
}

async function down() {
  // Dev clusters still running are asked to stop (their owner removes what it created); then whatever is left.
  for (const rec of readRecords().filter(r => ownerAlive(r) && (opts.all || r.label === LABEL))) {
    process.stdout.write(`stopping cluster ${rec.tag} (pid ${rec.owner.pid})\n`)
    try { process.kill(rec.owner.pid, 'SIGTERM') } catch { /* gone meanwhile */ }
    const deadline = Date.now() + 15_000
    while (ownerAlive(rec) && Date.now() < deadline) await Bun.sleep(100)
  }
  const removed = await sweepClusters(opts.all)
  if (removed.length) process.stdout.write(`removed leftovers of cluster(s) ${removed.join(', ')}\n`)
  const left = netnsLeftovers()
  process.stdout.write(left.length ? `still there (running test clusters; --all removes them):\n  ${left.join('\n  ')}\n` : 'nothing left\n')
}

const [command, node] = positionals
if (opts.help || !command) { process.stdout.write(USAGE); process.exit(command || opts.help ? 0 : 2) }
if (process.getuid?.() !== 0) fail('needs root (network namespaces, veths and a bridge)')
switch (command) {
  case 'up': await up(); break
  case 'status': status(); break
  case 'down': await down(); break
  case 'partition': {
    const rec = pickCluster()
    const target = pickNode(rec, node)
    const from = opts.from?.split(',').map(n => pickNode(rec, n.trim()))
    partitionNode(target, from)
    process.stdout.write(`${target.name} (${target.ip}) ${from ? `cut off from ${from.map(n => n.name).join(', ')}` : 'cut off from everyone'}\n`)
    break
  }
  case 'heal': {
    const target = pickNode(pickCluster(), node)
    healNode(target)
    process.stdout.write(`${target.name} (${target.ip}) reconnected\n`)
    break
  }
  default: fail(`unknown command '${command}'\n${USAGE}`)
}
