// CNI networks that collide with what the host already has (bridge-conflicts.ts): a real bridge holding another
// subnet makes the agent report the network as broken (agent log, `meso network list`) and refuse tasks on it with
// the reason, until the bridge is gone; and `meso up` on a host where another cluster owns meso0 (a network
// namespace of the test's own) picks meso1 and another subnet, and its tasks get addresses there.

import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { defaultNetworkConfig, hostRoutes, pickSubnet } from '../../src/agent/isolators/network/cni/default-network.ts'
import { DEFAULT_LINUX_ISOLATION } from '../../src/agent/isolators/index.ts'
import { cniUnavailable, createTestNetwork, releaseLeftNetns, type TestNetwork } from '../helpers/cni-network.ts'
import { MESO, meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const problem = linuxLauncherUnavailable({}) ?? cniUnavailable() ?? (Bun.which('nsenter') ? undefined : 'nsenter is not installed')
if (problem) console.warn(`\n*** SKIPPING CNI conflict tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const dir = tempDir('meso-cni-conflicts-')
const daemons: Daemon[] = []
const cleanups: (() => void)[] = []
afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
  for (const c of cleanups.reverse()) { try { c() } catch { /* best effort */ } }
  releaseLeftNetns(dir)
  rmSync(dir, { recursive: true, force: true })
})

const sh = (argv: string[]) => {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}
const tag = Math.random().toString(16).slice(2, 7)
/** Free /24s, none overlapping a host route nor one another. */
function freeSubnets(n: number): string[] {
  const taken = hostRoutes()
  const out: string[] = []
  while (out.length < n) {
    const candidates = Array.from({ length: 20 }, () => `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/24`)
    const s = pickSubnet([...taken, ...out], candidates)
    if (s) out.push(s)
  }
  return out
}
const gateway = (subnet: string) => subnet.replace(/\.0\/24$/, '.1/24')

suite('a bridge that holds another subnet', () => {
  test('is reported by the agent and network list, refuses tasks with the reason, and is fine once removed', async () => {
    const net: TestNetwork = createTestNetwork(dir)
    cleanups.push(() => net.cleanup())
    const [theirs, ours] = freeSubnets(2) as [string, string]
    const bridge = `mc${tag}0`
    const name = `clash-${tag}`
    // Another cluster's bridge, up and holding its gateway.
    sh(['ip', 'link', 'add', bridge, 'type', 'bridge'])
    cleanups.push(() => { Bun.spawnSync(['ip', 'link', 'del', bridge]) })
    sh(['ip', 'addr', 'add', gateway(theirs), 'dev', bridge])
    sh(['ip', 'link', 'set', bridge, 'up'])
    net.addConfig('20-clash.conflist', defaultNetworkConfig({ name, bridge, subnet: ours, dataDir: net.dataDir }))

    const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    daemons.push(master)
    const agent = await startAgent(master.url, join(dir, 'agent'), ['--launcher=linux', `--isolation=${DEFAULT_LINUX_ISOLATION},network/cni`, ...net.agentFlags, '--resources=cpus:4;mem:2048'])
    daemons.push(agent)
    const reason = `bridge ${bridge} already exists with ${gateway(theirs)}, outside this network's subnet ${ours}`
    expect(agent.log()).toContain(`CNI network '${name}' (${join(net.configDir, '20-clash.conflist')}) cannot be used: ${reason}`)

    // Once the agent has registered, the master knows where to ask.
    const listed = await waitFor('the agent\'s networks', async () => {
      const l = JSON.parse((await meso(['network', 'list', `--master=${master.url}`, '--json'])).stdout) as any[]
      return l.length ? l : undefined
    }, 30_000)
    expect(listed.find(n => n.name === name).error).toStartWith(reason)
    expect(listed.find(n => n.name === net.name).error).toBeUndefined()
    const table = (await meso(['network', 'list', `--master=${master.url}`])).stdout
    expect(table).toMatch(new RegExp(`${name}\\s+127\\.0\\.0\\.1:\\d+\\s+bridge,portmap\\s+${ours.replaceAll('.', '\\.')}\\s+${bridge}\\s+broken`))
    expect(table).toMatch(new RegExp(`${net.name}\\s+.*\\s+ok`))
    expect(table).toContain(`${name} on 127.0.0.1:`)
    expect(table).toContain(`is broken: ${reason}`)

    const refused = await meso(['task', 'run', `--master=${master.url}`, `--network=${name}`, '--', 'true'], { timeoutMs: 60_000 })
    expect(refused.code).toBe(125)
    expect(refused.stderr).toContain(`CNI network '${name}' cannot be used: ${reason}`)

    // The bridge goes (nothing used it): the network is checked again at the next launch and works.
    sh(['ip', 'link', 'del', bridge])
    const fixed = JSON.parse((await meso(['network', 'list', `--master=${master.url}`, '--json'])).stdout) as any[]
    expect(fixed.find(n => n.name === name).error).toBeUndefined()
    const ran = await meso(['task', 'run', `--master=${master.url}`, `--network=${name}`, '--', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { timeoutMs: 60_000 })
    expect(ran.code).toBe(0)
    expect(ran.stdout).toContain(` ${ours.split('.').slice(0, 3).join('.')}.`)
  }, 180_000)
})

suite('meso up where another cluster owns meso0', () => {
  test('creates its meso network on meso1 with a free subnet, and its tasks use it', async () => {
    const ns = `mesocc-${tag}`
    sh(['ip', 'netns', 'add', ns])
    cleanups.push(() => { Bun.spawnSync(['ip', 'netns', 'del', ns]) })
    const inNs = (argv: string[]) => ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv]
    sh(inNs(['ip', 'link', 'set', 'lo', 'up']))
    // The other cluster's bridge, on meso up's first choice of subnet.
    sh(inNs(['ip', 'link', 'add', 'meso0', 'type', 'bridge']))
    sh(inNs(['ip', 'addr', 'add', '10.213.0.1/16', 'dev', 'meso0']))
    sh(inNs(['ip', 'link', 'set', 'meso0', 'up']))

    const work = join(dir, 'up')
    const up = Bun.spawn(inNs([...MESO, 'up', `--work_dir=${work}`, '--port=0']), { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
    let output = ''
    const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s) output += new TextDecoder().decode(c) }
    void pump(up.stdout)
    void pump(up.stderr)
    cleanups.push(() => { up.kill('SIGKILL') })
    const url = await waitFor('meso up', () => /master (http:\/\/\S+) \(scheduler API/.exec(output)?.[1], 30_000)
    expect(output).toContain("created CNI network 'meso' (10.214.0.0/16 on bridge meso1)")
    // The CLI reaches the cluster inside the namespace.
    const cli = (args: string[]) => {
      const p = Bun.spawn(inNs([...MESO, ...args.slice(0, 2), `--master=${url}`, ...args.slice(2)]), { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
      return Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }))
    }
    const list = await waitFor('the agent\'s networks', async () => {
      const l = JSON.parse((await cli(['network', 'list', '--json'])).stdout) as any[]
      return l.length ? l : undefined
    }, 30_000)
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ name: 'meso', bridge: 'meso1', subnets: ['10.214.0.0/16'] })
    expect(list[0].error).toBeUndefined()
    const ran = await cli(['task', 'run', '--network', 'meso', '--', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0'])
    expect(ran.stderr).toBe('')
    expect(ran.code).toBe(0)
    expect(ran.stdout).toContain(' 10.214.')
    up.kill('SIGINT')
    await up.exited
  }, 180_000)
})
