// Launch latency added by CNI networking, measured in one run and interleaved: `meso task run -- true` on the host
// network against `meso task run --network meso -- true` on a warm one-node cluster, plus the isolator alone (netns,
// bridge + portmap chain ADD, /etc files, DEL, netns removal) and the bridge plugin's ADD + DEL by itself. The
// `meso` network is the bench's own (bridge and subnet of its own), so a real `meso up` on this host is untouched.
//
//   bun bench/network.ts [--quick] [--rounds N]

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../src/agent/containerizer/linux-launcher.ts'
import { CniNetworking } from '../src/agent/isolators/network/cni/cni-networking.ts'
import { defaultNetworkConfig, findPluginsDir, hostRoutes, pickSubnet } from '../src/agent/isolators/network/cni/default-network.ts'
import { createNetns, deleteNetns, netnsPath } from '../src/agent/isolators/network/cni/netns.ts'
import { parseNetworkFile } from '../src/agent/isolators/network/cni/network-config.ts'
import { addChain, delChain } from '../src/agent/isolators/network/cni/plugin-chain.ts'
import { pluginConfigs } from '../src/agent/isolators/network/cni/plugin-config.ts'
import { interleaved, machine, median, percentile, type BenchResult } from './lib/measure.ts'
import { mesoCommand, mesoDescription } from './lib/meso-bin.ts'
import { startUpCluster } from './lib/meso-up.ts'
import { benchArgs, printResult } from './lib/print-result.ts'

async function exec(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  const code = await p.exited
  if (code !== 0) throw new Error(`${cmd.slice(0, 5).join(' ')} … exited ${code}: ${(await new Response(p.stderr).text()).trim()}`)
}

export async function runNetworkBench(opts: { quick: boolean; rounds?: number }): Promise<BenchResult> {
  const problem = linuxLauncherUnavailable({}) ?? (findPluginsDir() ? undefined : 'the CNI plugins are not installed (./install.sh)')
  if (problem) return { name: 'network', machine: machine(), rows: [], notes: [`skipped: ${problem}`] }
  const rounds = opts.rounds ?? (opts.quick ? 3 : 15)
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-network-'))
  const tag = Math.random().toString(16).slice(2, 7)
  const bridge = `mb${tag}0`
  const subnet = pickSubnet(hostRoutes(), Array.from({ length: 20 }, () => `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/24`))!
  // `meso up` keeps a `meso` network it finds in its CNI config dir: this one.
  const configDir = join(dir, 'cluster', 'cni', 'net.d')
  const config = defaultNetworkConfig({ subnet, bridge, dataDir: join(dir, 'ipam') })
  await exec(['mkdir', '-p', configDir])
  writeFileSync(join(configDir, 'meso.conflist'), JSON.stringify(config))
  const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()
  const cluster = await startUpCluster(join(dir, 'cluster'))
  const pluginDirs = [findPluginsDir()!]
  const cni = new CniNetworking({ pluginDirs, configDir, stateDir: join(dir, 'cni-state') })
  const network = parseNetworkFile(JSON.stringify(config), 'meso.conflist')
  const bridgeOnly = pluginConfigs(network, { name: 'meso' }).slice(0, 1)
  let n = 0
  const variants = [
    { name: 'meso task run -- true (host network)', run: () => exec([...mesoCommand(), 'task', 'run', `--master=${cluster.url}`, '--', 'true']) },
    { name: 'meso task run --network meso -- true', run: () => exec([...mesoCommand(), 'task', 'run', `--master=${cluster.url}`, '--network=meso', '--', 'true']) },
    {
      name: 'network/cni setup + teardown (netns, bridge+portmap ADD, /etc files, DEL)',
      run: async () => {
        const id = `bench-${tag}-${n++}`
        await cni.setup(id, { type: 'MESOS', network_infos: [{ name: 'meso' }] }, { sandbox: dir })
        await cni.teardown(id)
      },
    },
    {
      name: 'bridge plugin ADD + DEL alone (netns made beforehand)',
      run: async () => {
        const id = `raw-${tag}-${n++}`
        const ns = `meso-bench-${tag}`
        await createNetns(ns)
        const ctx = { network: 'meso', containerId: id, netnsPath: netnsPath(ns), ifName: 'eth0', cniArgs: 'IgnoreUnknown=1', pluginDirs }
        const t0 = performance.now()
        const result = await addChain(bridgeOnly, ctx, () => {})
        const errors = await delChain(bridgeOnly, 1, result, ctx, () => {})
        const ms = performance.now() - t0
        await deleteNetns(ns)
        if (errors.length) throw new Error(errors.join('; '))
        return ms
      },
    },
  ]
  try {
    const results = await interleaved(variants, rounds)
    const host = median(results.get(variants[0]!.name)!)
    const rows = [...results].map(([name, xs]) => ({
      variant: name, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9),
      'vs host-network task run': name.startsWith('meso task run') ? median(xs) / host : '-',
    }))
    const added = median(results.get(variants[1]!.name)!) - host
    return {
      name: 'network', machine: machine(), rows,
      notes: [`CNI networking adds ${added.toFixed(0)} ms (median) to a task launch (${mesoDescription()}; bridge ${bridge}, ${subnet}, ipMasq, portmap)`],
    }
  } finally {
    // A task's network is released just after its terminal update: let the agent finish before stopping it.
    const agentState = join(dir, 'cluster', 'agent', 'run', 'isolators', 'network', 'cni')
    for (let i = 0; i < 100 && existsSync(agentState) && readdirSync(agentState).length; i++) await Bun.sleep(100)
    await cluster.stop()
    await exec(['ip', 'link', 'del', bridge]).catch(() => {})
    writeFileSync('/proc/sys/net/ipv4/ip_forward', forwardBefore)
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printNetwork(r: BenchResult) {
  printResult('CNI networking: added launch latency', r)
}

if (import.meta.main) printNetwork(await runNetworkBench(benchArgs()))
