// The benchmarks must not rot: `bench/all.ts --quick` runs once (small N, seconds each) and its output is checked
// for shape — every table printed, every number finite, the rows each benchmark promises. Never for speed: this
// machine is shared and the numbers are the benchmarks' business, not the test suite's.

import { afterAll, expect, test } from 'bun:test'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cniUnavailable } from './helpers/cni-network.ts'
import { ROOT, tempDir } from './helpers/processes.ts'

const dir = tempDir('meso-bench-test-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ALL = ['allocator', 'launch', 'placement', 'footprint', 'startup', 'images', 'network', 'failover', 'kill', 'dns', 'vip', 'services', 'agent-scale']

interface Entry { name: string; ms: number; result?: { name: string; machine: string; rows: Record<string, unknown>[]; notes?: string[] }; error?: string }

function numbersOf(rows: Record<string, unknown>[]): number[] {
  return rows.flatMap(r => Object.values(r).filter((v): v is number => typeof v === 'number'))
}

test('bench/all.ts --quick prints a table per benchmark and writes well-formed results', async () => {
  const out = join(dir, 'latest.json')
  const proc = Bun.spawn([join(ROOT, 'node_modules/.bin/bun'), join(ROOT, 'bench/all.ts'), '--quick', '--only', ALL.join(','), '--out', out], {
    cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
    // The master under test is the sources (as with the rest of the suite under MESO_TEST_SOURCE), never a stale binary.
    env: { ...process.env, MESO_BENCH_SOURCE: '1', NO_COLOR: '1' },
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) console.error(stdout.slice(-4000), stderr.slice(-4000))
  expect(code).toBe(0)

  expect(stdout).toContain('## meso benchmarks (quick)')
  for (const title of ['### Allocator', '### Placement throughput', '### Master footprint', '### Start-up', '### Container images', '### CNI networking', '### Master failover']) expect(stdout).toContain(title)
  // Launch needs root, crun and conmon; without them it says why instead of printing a table.
  expect(stdout).toContain('### Launch latency')
  expect(stdout).toContain('### Kill latency')

  const report = JSON.parse(readFileSync(out, 'utf8')) as { quick: boolean; machine: string; benchmarks: Entry[] }
  expect(report.quick).toBe(true)
  expect(report.machine).toMatch(/cgroups/)
  expect(report.benchmarks.map(b => b.name)).toEqual(ALL)
  const byName = new Map(report.benchmarks.map(b => [b.name, b]))
  for (const b of report.benchmarks) {
    expect(b.error).toBeUndefined()
    expect(b.result).toBeDefined()
    for (const n of numbersOf(b.result!.rows)) expect(Number.isFinite(n)).toBe(true)
  }

  const allocator = byName.get('allocator')!.result!.rows
  expect(allocator.length).toBeGreaterThan(0)
  for (const r of allocator) expect(r).toHaveProperty('first allocate ms')

  const launch = byName.get('launch')!.result!
  if (launch.rows.length) expect(launch.rows.map(r => r.variant)).toContain('meso task run -- true')
  else expect(launch.notes?.join(' ')).toMatch(/skipped/)

  const [placement] = byName.get('placement')!.result!.rows
  expect(placement).toMatchObject({ agents: 200 })
  for (const k of ['tasks/s (window)', 'ACCEPT→RUNNING p50 ms', 'p99 ms', 'master cores', 'vs Nomad C2M 3,750/s']) expect(typeof placement![k]).toBe('number')
  // The load generator did its job: tasks ran (a count, not a speed).
  expect(placement!['tasks/s (window)']).toBeGreaterThan(0)

  const footprint = byName.get('footprint')!.result!.rows
  expect(footprint.map(r => r.state)).toEqual(['no tasks (baseline)', 'loaded', 'ratio loaded / baseline', 'serving, idle', 'serving, 4 clients fetching /master/state', 'serving, 4 clients fetching GET_STATE'])
  expect(footprint[1]).toMatchObject({ agents: 500, tasks: 5000 })
  for (const k of ['RSS at rest MB', 'GET_STATE median ms', '/master/state median ms', 'GET_STATE gzip MB', '/master/state gzip median ms', 'GET_STATE master CPU ms']) expect(typeof footprint[1]![k]).toBe('number')
  // The gzip answer is smaller than the plain one (a size, not a speed).
  expect(footprint[1]!['/master/state gzip MB'] as number).toBeLessThan(footprint[1]!['/master/state MB'] as number)
  // Serving latencies were sampled in both phases, and the state fetchers did fetch.
  for (const row of footprint.slice(3)) {
    for (const k of ['ACCEPT p99 ms', 'ACKNOWLEDGE p99 ms', 'agent update p99 ms']) expect(typeof row[k]).toBe('number')
  }
  for (const row of footprint.slice(4)) expect(row['state fetches'] as number).toBeGreaterThan(0)

  const startup = byName.get('startup')!.result!.rows.map(r => r.command)
  for (const c of ['meso --help', 'bare Bun binary (prints one line)', 'meso up → /health and agent registered']) expect(startup).toContain(c)

  // Images and CNI need root, crun and the registry/CNI packages; without them they say why instead.
  const images = byName.get('images')!.result!
  if (images.rows.length) expect(images.rows.map(r => r.variant)).toContain('meso warm (layers cached)')
  else expect(images.notes?.join(' ')).toMatch(/skipped/)
  const network = byName.get('network')!.result!
  if (network.rows.length) expect(network.rows.map(r => r.variant)).toContain('meso task run --network meso -- true')
  else expect(network.notes?.join(' ')).toMatch(/skipped/)
  // Kill latency needs root, crun, conmon and catatonit; the old behaviour (sleep as PID 1) is its baseline.
  const kill = byName.get('kill')!.result!
  if (kill.rows.length) expect(kill.rows.map(r => r.variant)).toEqual(['sleep, container init (default)', 'sleep as PID 1 (meso.io/init=false)', 'crun kill --all TERM → exit recorded (init)'])
  else expect(kill.notes?.join(' ')).toMatch(/skipped/)
  // DNS: meso's server always; dnsmasq beside it when installed, else a note says it is missing.
  const dns = byName.get('dns')!.result!
  expect(dns.rows[0]).toMatchObject({ server: 'meso (src/master/dns)', names: 80000 })
  expect(dns.rows[0]!['queries/s'] as number).toBeGreaterThan(0)
  if (dns.rows.length < 2) expect(dns.notes?.join(' ')).toMatch(/dnsmasq not installed/)
  else expect(dns.rows[1]).toMatchObject({ server: 'dnsmasq (hosts file)' })
  // VIPs need root and nft; with them, the VIP and the direct path from the host and from a container, with a ratio.
  // Services: the raw framework and both Marathon deployments placed every task (counts, not speeds).
  const services = byName.get('services')!.result!.rows
  expect(services.map(r => r.variant)).toEqual(['raw v1 framework (placement bench)', 'services: 1 app × 100 instances', 'services: 100 apps × 1 instance'])
  for (const r of services) expect(r['to all running s'] as number).toBeGreaterThan(0)

  const vip = byName.get('vip')!.result!
  if (vip.rows.length) {
    expect(vip.rows.map(r => r.from)).toEqual(['agent host', 'container'])
    for (const r of vip.rows) expect(r['ratio (median)'] as number).toBeGreaterThan(0)
  } else expect(vip.notes?.join(' ')).toMatch(/skipped/)

  // The agent at scale (20 real containers in quick mode) needs root, crun and conmon; its phases, with every task
  // re-adopted after kill -9, none lost and no update repeated (counts, not speeds). With the CNI plugins, the same
  // on a CNI network, whose destroy leaves no namespace, veth, lease or iptables chain behind.
  const scale = byName.get('agent-scale')!.result!
  if (scale.rows.length) {
    const variants = [...new Set(scale.rows.map(r => r.variant))]
    expect(variants).toEqual(cniUnavailable() ? ['meso'] : ['meso', 'meso, CNI network'])
    for (const variant of variants) {
      const rows = scale.rows.filter(r => r.variant === variant)
      expect(rows.map(r => r.phase)).toEqual(['launch 20', 'idle, 20 running', 're-adopt after kill -9', 'destroy 20'])
      expect(rows[2]).toMatchObject({ 'running on master': 20, lost: 0, 'duplicated updates': 0 })
      for (const k of ['agent RSS MB', 'conmon PSS MB (sum)']) expect(rows[1]![k] as number).toBeGreaterThan(0)
    }
    if (variants.length > 1) expect(scale.rows.at(-1)).toMatchObject({ 'containers with an IP': 20, 'network leaks': 0 })
  } else expect(scale.notes?.join(' ')).toMatch(/skipped/)
}, 180_000)
