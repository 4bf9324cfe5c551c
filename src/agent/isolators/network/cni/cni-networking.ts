// The `network/cni` isolator: containers whose ContainerInfo has network_infos get a named network namespace, each
// network's plugin chain (ADD, prevResult chained), loopback up, and their own /etc/hosts, /etc/hostname and
// /etc/resolv.conf; their addresses are reported in TaskStatus.container_status. Everything is undone (DEL in
// reverse order with the ADD result, namespace removed) when the container ends, also after an agent restart, from
// the checkpoint in network-state.ts. Nested containers join their parent's namespace in the launcher, so only
// top-level containers come here. The isolator around it is cni-isolator.ts.

import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { logger } from '../../../../core/log.ts'
import type { ContainerInfo, NetworkInfo } from '../../../../core/v1/messages.ts'
import { LaunchSlots } from '../../../containerizer/linux/launch-slots.ts'
import type { OciMount } from '../../../containerizer/oci-spec.ts'
import { bridgeConflicts, bridgeUse, type HostNetworkState } from './bridge-conflicts.ts'
import { loadNetworks, type ResolvedNetworks } from './config-dir.ts'
import { readHostNetwork } from './host-network.ts'
import { CniResultError, networkInfoFor, parseCniResult, type CniResult } from './cni-result.ts'
import { containerHostname, hostnameFile, hostsFile, resolvConfFile } from './container-files.ts'
import { createNetns, deleteNetns, netnsName, netnsPath } from './netns.ts'
import { hasCapability, summarizeNetwork, type CniNetwork, type NetworkSummary } from './network-config.ts'
import { NetworkStateStore, type ContainerNetworkState, type NetworkAttachment } from './network-state.ts'
import { addChain, delChain, type ChainContext } from './plugin-chain.ts'
import { cniArgsEnv, pluginConfigs } from './plugin-config.ts'

const log = logger('network/cni')

/** What a container's network contributes to its OCI spec. */
export interface NetworkSetup {
  /** Network namespace file the container joins (e.g. /var/run/netns/meso-<id>). */
  netnsPath: string
  /** What to report in TaskStatus.container_status.network_infos. */
  networkInfos: NetworkInfo[]
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname bind mounts. */
  mounts: OciMount[]
  hostname?: string
}

export interface CniNetworkingOptions {
  /** --network_cni_plugins_dir, split on ':' (it becomes CNI_PATH). */
  pluginDirs: string[]
  /** --network_cni_config_dir; without it every network is unknown. */
  configDir?: string
  /** Checkpoint and /etc files: `<runtime_dir>/isolators/network/cni`. */
  stateDir: string
  pluginTimeoutMs?: number
  /** The host file containers get when no plugin returned DNS. */
  hostResolvConf?: string
  /** The host's addresses and routes (default: read with iproute2 at every check). */
  hostNetwork?: () => HostNetworkState | undefined
}

/**
 * How long a read of the host's network serves the conflict check: a bridge or route that appears meanwhile is seen
 * within a second, and the setups of a burst of launches share one read.
 */
const HOST_STATE_TTL_MS = 1_000

/**
 * Setups and teardowns whose plugin chains run at once, per CPU. The bridge plugin's iptables calls take the xtables
 * lock one at a time, so more chains at once only add waiting processes: 64 at once (every launch slot of a 2-CPU
 * agent) put the load at 67 and the first of 1,000 setups finished after 73 s.
 */
const CNI_SLOTS_PER_CPU = 2

export class CniNetworking {
  readonly store: NetworkStateStore
  /** Network infos of containers whose networks are up (what TaskStatus reports). */
  private readonly infos = new Map<string, NetworkInfo[]>()
  /** Setup and teardown of one container never overlap (a kill may arrive while ADD runs). */
  private readonly busy = new Map<string, Promise<unknown>>()
  private reportedProblems = ''
  private reportedConflicts = ''
  /** Setups and teardowns running their plugins at once: see CNI_SLOTS_PER_CPU. */
  private readonly pluginSlots = new LaunchSlots(Math.max(2, CNI_SLOTS_PER_CPU * availableParallelism()))
  /** The host's addresses and routes as last read, and when: see hostState(). */
  private host?: { at: number; state: HostNetworkState | undefined }

  constructor(private readonly opts: CniNetworkingOptions) {
    this.store = new NetworkStateStore(opts.stateDir)
  }

  /**
   * The configured networks, read afresh (a network added to the directory needs no agent restart), each bridge
   * network checked against the host (bridge-conflicts.ts) as read at most `hostMaxAgeMs` ago: a conflicting one is
   * kept with an `error`.
   */
  networks(hostMaxAgeMs = 0): ResolvedNetworks {
    const r = loadNetworks(this.opts.configDir, this.opts.pluginDirs)
    const problems = r.problems.join('\n')
    if (problems && problems !== this.reportedProblems) for (const p of r.problems) log.warn(`Ignoring a CNI config: ${p}`)
    this.reportedProblems = problems
    const usable = [...r.networks.values()].filter(n => !n.error)
    if (usable.some(n => bridgeUse(n))) {
      const host = this.hostState(hostMaxAgeMs)
      if (!host) log.warn('Cannot read the host\'s addresses and routes (ip -j -4 addr/route failed): bridge networks are not checked for conflicts')
      const conflicts = host ? bridgeConflicts(usable, host) : new Map<string, string>()
      for (const [name, error] of conflicts) r.networks.get(name)!.error = error
      const report = [...conflicts].map(([name, error]) => `CNI network '${name}' (${r.networks.get(name)!.file}) cannot be used: ${error}`).join('\n')
      if (report && report !== this.reportedConflicts) for (const line of report.split('\n')) log.warn(line)
      this.reportedConflicts = report
    }
    return r
  }

  /**
   * The host's addresses and routes for the conflict check, read again when the last read is older than `maxAgeMs`.
   * Setups take a read up to HOST_STATE_TTL_MS old: read for every one, it was two synchronous `ip` runs on the
   * agent's event loop per container, and 1,000 CNI launches at once (2,000 runs, each slower as the veths piled up)
   * kept the agent from anything else for minutes.
   */
  private hostState(maxAgeMs: number): HostNetworkState | undefined {
    const now = performance.now()
    if (!this.host || now - this.host.at >= maxAgeMs) this.host = { at: now, state: (this.opts.hostNetwork ?? readHostNetwork)() }
    return this.host.state
  }

  listNetworks(): NetworkSummary[] {
    return [...this.networks().networks.values()].map(summarizeNetwork)
  }

  setup(containerId: string, container: ContainerInfo, _opts: { sandbox: string }): Promise<NetworkSetup> {
    return this.serialized(containerId, () => this.attach(containerId, container))
  }

  teardown(containerId: string): Promise<void> {
    return this.serialized(containerId, () => this.detach(containerId))
  }

  networkInfos(containerId: string): NetworkInfo[] | undefined {
    return this.infos.get(containerId)
  }

  async recover(known: Set<string>): Promise<void> {
    for (const id of this.store.containerIds()) {
      if (known.has(id)) {
        const state = this.store.load(id)
        if (state?.phase !== 'ready') continue
        try {
          this.infos.set(id, state.attachments.map(a => networkInfoFor(a.request, parseCniResult(a.result))))
        } catch (err) {
          log.warn(`Container ${id}: its checkpointed CNI result is unreadable (${(err as Error).message}); its addresses are not reported`)
        }
        continue
      }
      try {
        await this.teardown(id)
        log.info(`Released the networks of container ${id}, which this agent no longer runs`)
      } catch (err) {
        log.warn(`Container ${id}: releasing its networks failed: ${(err as Error).message}`)
      }
    }
  }

  private async attach(containerId: string, container: ContainerInfo): Promise<NetworkSetup> {
    const chosen = this.chooseNetworks(container.network_infos ?? [])
    const state: ContainerNetworkState = {
      containerId,
      netns: netnsName(containerId),
      hostname: containerHostname(containerId, container.hostname),
      phase: 'adding',
      attachments: chosen.map(({ network, request }, i) => ({
        network: network.name, ifName: `eth${i}`, request, configs: pluginConfigs(network, request), cniArgs: cniArgsEnv(request),
      })),
    }
    // Checkpointed before anything exists, so a crash from here on is undone by recover().
    this.store.save(state)
    try {
      const path = await createNetns(state.netns)
      const results: CniResult[] = []
      for (const a of state.attachments) {
        a.added = 0
        this.store.save(state)
        await addChain(a.configs, this.chainContext(state, a), (added, result) => {
          a.added = added
          a.result = result
          this.store.save(state)
        })
        results.push(parsedResult(a, containerId))
      }
      const mounts = this.writeEtcFiles(state, results)
      state.phase = 'ready'
      this.store.save(state)
      const networkInfos = state.attachments.map((a, i) => networkInfoFor(a.request, results[i]!))
      this.infos.set(containerId, networkInfos)
      log.info(`Container ${containerId}: ${networkInfos.map(n => `${n.name} ${n.ip_addresses?.map(x => x.ip_address).join(',') || '(no address)'}`).join('; ')} in ${state.netns}`)
      return { netnsPath: path, networkInfos, mounts, hostname: state.hostname }
    } catch (err) {
      await this.detach(containerId).catch(e => log.warn(`Container ${containerId}: cleaning up after a failed network setup: ${(e as Error).message}`))
      throw err
    }
  }

  /** The network of each NetworkInfo, refusing (before anything is created) what cannot be set up. */
  private chooseNetworks(requests: NetworkInfo[]): { network: CniNetwork; request: NetworkInfo }[] {
    let { networks } = this.networks(HOST_STATE_TTL_MS)
    // A conflict seen in a read that may be a second old is looked at again before it refuses a task: it may be gone.
    if (requests.some(r => r.name && networks.get(r.name)?.error)) ({ networks } = this.networks())
    const known = () => (networks.size ? `networks on this agent: ${[...networks.keys()].sort().join(', ')}` : `this agent has no CNI networks${this.opts.configDir ? ` in ${this.opts.configDir}` : ' (no --network_cni_config_dir)'}`)
    const seen = new Set<string>()
    return requests.map((request, i) => {
      const name = request.name
      if (!name) throw new Error(`network_infos[${i}] has no name; give the name of a CNI network (${known()})`)
      if (seen.has(name)) throw new Error(`CNI network '${name}' is requested twice`)
      seen.add(name)
      const network = networks.get(name)
      if (!network) throw new Error(`unknown CNI network '${name}' (${known()})`)
      if (network.error) throw new Error(`CNI network '${name}' cannot be used: ${network.error} (${network.file})`)
      if (request.port_mappings?.length && !hasCapability(network, 'portMappings')) {
        throw new Error(`CNI network '${name}' takes no port mappings: none of its plugins has the portMappings capability (add {"type": "portmap", "capabilities": {"portMappings": true}} to its plugins in ${network.file})`)
      }
      return { network, request }
    })
  }

  private chainContext(state: ContainerNetworkState, a: NetworkAttachment): ChainContext {
    return {
      network: a.network, containerId: state.containerId, netnsPath: netnsPath(state.netns), ifName: a.ifName,
      cniArgs: a.cniArgs, pluginDirs: this.opts.pluginDirs, timeoutMs: this.opts.pluginTimeoutMs,
    }
  }

  /** /etc/hosts, /etc/hostname, /etc/resolv.conf beside the checkpoint, bind-mounted read-only. */
  private writeEtcFiles(state: ContainerNetworkState, results: CniResult[]): OciMount[] {
    const dir = this.store.containerDir(state.containerId)
    const hostResolv = readText(this.opts.hostResolvConf ?? '/etc/resolv.conf')
    const files: Record<string, string> = {
      hosts: hostsFile(state.hostname, results.map(r => r.ips[0]?.address).filter((a): a is string => !!a)),
      hostname: hostnameFile(state.hostname),
      'resolv.conf': resolvConfFile(results.map(r => r.dns), hostResolv),
    }
    return Object.entries(files).map(([name, content]) => {
      writeFileSync(join(dir, name), content, { mode: 0o644 })
      return { destination: `/etc/${name}`, type: 'bind', source: join(dir, name), options: ['bind', 'ro'] }
    })
  }

  /** DEL of every network in reverse order, then the namespace; the checkpoint goes only when all of it worked. */
  private async detach(containerId: string): Promise<void> {
    this.infos.delete(containerId)
    const state = this.store.load(containerId)
    if (!state) { this.store.remove(containerId); return }
    const errors: string[] = []
    for (const a of [...state.attachments].reverse()) {
      if (a.added === undefined) continue // its chain never started
      const tolerated = (msg: string) => log.warn(`Container ${containerId}: ${msg} (its ADD had failed too)`)
      errors.push(...await delChain(a.configs, a.added, a.result, this.chainContext(state, a), tolerated))
    }
    try { await deleteNetns(state.netns) } catch (err) { errors.push((err as Error).message) }
    if (errors.length) throw new Error(`network teardown incomplete (retried at the next agent start): ${errors.join('; ')}`)
    this.store.remove(containerId)
  }

  private serialized<T>(containerId: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.busy.get(containerId) ?? Promise.resolve()).then(() => this.pluginSlots.run(fn))
    const tail = next.catch(() => {})
    this.busy.set(containerId, tail)
    void tail.then(() => { if (this.busy.get(containerId) === tail) this.busy.delete(containerId) })
    return next
  }
}

function parsedResult(a: NetworkAttachment, containerId: string): CniResult {
  try {
    return parseCniResult(a.result)
  } catch (err) {
    if (err instanceof CniResultError) throw new Error(`network '${a.network}': the CNI result for container ${containerId} is invalid: ${err.message}`)
    throw err
  }
}

function readText(path: string): string {
  try { return readFileSync(path, 'utf8') } catch { return '' }
}
