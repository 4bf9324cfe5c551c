// VIP connection setup latency: TCP connects (SYN → established) through a VIP of the agent's L4 load balancer
// (src/agent/l4lb/, nftables DNAT + masquerade) against connects to the same backend directly, interleaved in one
// run, from the agent's host (nat output hook) and from a container routed through it (nat prerouting hook). Network
// namespaces of the bench's own: an "agent" one programmed by AgentL4lb, a "container" one behind a veth, two
// backends listening in the agent's namespace. The ratio VIP / direct is the price of the load balancer.
//
//   bun bench/vip.ts [--quick] [--connects N]

import { join } from 'node:path'
import { AgentL4lb, l4lbUnavailable } from '../src/agent/l4lb/l4lb.ts'
import { machine, median, percentile, type BenchResult } from './lib/measure.ts'
import { benchArgs, printResult } from './lib/print-result.ts'

const BUN = join(import.meta.dir, '..', 'node_modules', '.bin', 'bun')

/** Accepts and closes every connection. */
const SERVER = `const port = Number(process.argv[1]); Bun.listen({ hostname: '0.0.0.0', port, socket: { open(s) { s.end() }, data() {} } }); console.log('ready')`

/** Connects `n` times to each target in turn (interleaved), printing the connect times (µs) per target as JSON. */
const CLIENT = `
import { connect } from 'node:net'
const [n, ...targets] = process.argv.slice(1)
const times = Object.fromEntries(targets.map(t => [t, []]))
const once = t => new Promise((resolve, reject) => {
  const [host, port] = t.split(':')
  const start = process.hrtime.bigint()
  const s = connect({ host, port: Number(port) })
  s.once('connect', () => { times[t].push(Number(process.hrtime.bigint() - start) / 1000); s.destroy(); resolve() })
  s.once('error', reject)
})
for (let i = 0; i < Number(n); i++) for (const t of targets) await once(t)
console.log(JSON.stringify(times))
`

function sh(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

export async function runVipBench(opts: { quick: boolean; connects?: number }): Promise<BenchResult> {
  const problem = l4lbUnavailable()
  if (problem) return { name: 'vip', machine: machine(), rows: [], notes: [`skipped: the L4 load balancer cannot run here (${problem})`] }
  const connects = opts.connects ?? (opts.quick ? 200 : 3000)
  const tag = Math.random().toString(16).slice(2, 8)
  const agentNs = `mvb-a-${tag}`
  const containerNs = `mvb-c-${tag}`
  const net = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`
  const servers: ReturnType<typeof Bun.spawn>[] = []
  const inNs = (ns: string, argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv]
  try {
    sh(['ip', 'netns', 'add', agentNs])
    sh(['ip', 'netns', 'add', containerNs])
    sh(['ip', 'link', 'add', `mvba${tag}`, 'netns', agentNs, 'type', 'veth', 'peer', 'name', `mvbc${tag}`, 'netns', containerNs])
    sh(['ip', '-n', agentNs, 'addr', 'add', `${net}.1/24`, 'dev', `mvba${tag}`])
    sh(['ip', '-n', containerNs, 'addr', 'add', `${net}.2/24`, 'dev', `mvbc${tag}`])
    for (const [ns, dev] of [[agentNs, `mvba${tag}`], [containerNs, `mvbc${tag}`]] as const) {
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up'])
    }
    sh(['ip', '-n', containerNs, 'route', 'add', 'default', 'via', `${net}.1`])
    sh(inNs(agentNs, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']))
    for (const port of [9001, 9002]) {
      const p = Bun.spawn(inNs(agentNs, [BUN, '-e', SERVER, String(port)]), { stdout: 'pipe', stderr: 'inherit' })
      servers.push(p)
      const reader = p.stdout.getReader()
      await reader.read() // 'ready'
      reader.releaseLock()
    }
    const l4lb = new AgentL4lb({ netns: agentNs })
    l4lb.set([{ vip: '11.0.0.7:80', protocol: 'tcp', backends: [`${net}.1:9001`, `${net}.1:9002`] }])
    await l4lb.settled()
    if (l4lb.lastError) throw new Error(l4lb.lastError)
    const rows: Record<string, number | string>[] = []
    for (const [from, ns] of [['agent host', agentNs], ['container', containerNs]] as const) {
      const targets = ['11.0.0.7:80', `${net}.1:9001`]
      const out = sh(inNs(ns, [BUN, '-e', CLIENT, String(connects), ...targets]))
      const times = JSON.parse(out) as Record<string, number[]>
      const vip = times[targets[0]!]!
      const direct = times[targets[1]!]!
      const us = (x: number) => Math.round(x)
      rows.push({
        from, connects, 'VIP median µs': us(median(vip)), 'direct median µs': us(median(direct)),
        'ratio (median)': Math.round((median(vip) / median(direct)) * 100) / 100,
        'VIP p99 µs': us(percentile(vip, 0.99)), 'direct p99 µs': us(percentile(direct, 0.99)),
      })
    }
    return {
      name: 'vip', machine: machine(), rows,
      notes: [
        'TCP connect (SYN → established) from a Node-API client, VIP and direct interleaved in the same process and run. ' +
        'The VIP path adds the nat hooks (DNAT with numgen round-robin, masquerade) and a conntrack entry per connection; ' +
        'a connection from a container is also routed through the agent\'s namespace, the direct one too.',
      ],
    }
  } finally {
    for (const s of servers) s.kill('SIGKILL')
    for (const ns of [agentNs, containerNs]) Bun.spawnSync(['ip', 'netns', 'del', ns])
  }
}

export function printVip(r: BenchResult) { printResult('VIP connection setup', r) }

if (import.meta.main) {
  const args = benchArgs()
  const connects = process.argv.includes('--connects') ? Number(process.argv[process.argv.indexOf('--connects') + 1]) : undefined
  printVip(await runVipBench({ quick: args.quick, ...(connects ? { connects } : {}) }))
}
