// What each plugin of a chain is given, per the CNI spec and conventions: its own config plus the network's `name`
// and `cniVersion`; `runtimeConfig` entries only for capabilities the plugin declares (portMappings → portmap);
// `args` carrying the task's NetworkInfo (Mesos' "org.apache.mesos" key) and its labels (the CNI `cni.labels`
// convention); CNI_ARGS with the labels as K=V pairs. `prevResult` is added when the chain runs (plugin-chain.ts).
// Pure.

import type { NetworkInfo } from '../../../../core/v1/messages.ts'
import { versionAtLeast, type CniNetwork } from './network-config.ts'

export type PluginStdin = Record<string, unknown>

/** Runtime arguments a NetworkInfo carries, keyed by the CNI capability that accepts them. */
export function capabilityArgs(info: NetworkInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (info.port_mappings?.length) {
    out.portMappings = info.port_mappings.map(pm => ({ hostPort: pm.host_port, containerPort: pm.container_port, protocol: (pm.protocol || 'tcp').toLowerCase() }))
  }
  return out
}

/** The `args` object: Mesos passes the NetworkInfo under "org.apache.mesos"; labels also as `cni.labels`. */
export function networkArgs(info: NetworkInfo): Record<string, unknown> {
  const args: Record<string, unknown> = { 'org.apache.mesos': { network_info: info } }
  const labels = info.labels?.labels ?? []
  if (labels.length) args.cni = { labels: labels.map(l => ({ key: l.key, value: l.value ?? '' })) }
  return args
}

/**
 * One config per plugin of the chain, as given to both ADD and DEL (DEL must see what ADD saw). Capability args
 * go only to plugins declaring the capability (portmap with no mappings is a pass-through, for ADD and DEL alike).
 */
export function pluginConfigs(network: CniNetwork, info: NetworkInfo): PluginStdin[] {
  const caps = capabilityArgs(info)
  const args = networkArgs(info)
  return network.plugins.map(p => {
    const conf: PluginStdin = { ...p, name: network.name, cniVersion: network.cniVersion }
    const runtime: Record<string, unknown> = {}
    for (const [cap, value] of Object.entries(caps)) if (p.capabilities?.[cap] === true) runtime[cap] = value
    if (Object.keys(runtime).length) conf.runtimeConfig = { ...(isObject(p.runtimeConfig) ? p.runtimeConfig : {}), ...runtime }
    conf.args = { ...(isObject(p.args) ? p.args : {}), ...args }
    return conf
  })
}

/** The config for one invocation: ADD chains the previous plugin's result; DEL passes the ADD result (0.4.0+). */
export function invocationConfig(conf: PluginStdin, command: 'ADD' | 'DEL', prevResult: unknown): PluginStdin {
  if (prevResult === undefined) return conf
  const version = String(conf.cniVersion ?? '0.1.0')
  const chained = command === 'ADD' ? versionAtLeast(version, '0.3.0') : versionAtLeast(version, '0.4.0')
  return chained ? { ...conf, prevResult } : conf
}

/**
 * CNI_ARGS: `IgnoreUnknown=1` (plugins such as host-local reject unknown keys otherwise) and each label whose key
 * is an identifier and whose value has no `;` or `=` (the format has no escaping). host-local honours `IP=…`.
 */
export function cniArgsEnv(info: NetworkInfo): string {
  const pairs = ['IgnoreUnknown=1']
  for (const l of info.labels?.labels ?? []) {
    const v = l.value ?? ''
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(l.key) && !/[;=]/.test(v)) pairs.push(`${l.key}=${v}`)
  }
  return pairs.join(';')
}

export interface InvocationEnv {
  containerId: string
  netnsPath: string
  ifName: string
  cniArgs: string
  pluginDirs: string[]
}

export function pluginEnv(command: 'ADD' | 'DEL', e: InvocationEnv, path = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: e.containerId,
    CNI_NETNS: e.netnsPath,
    CNI_IFNAME: e.ifName,
    CNI_ARGS: e.cniArgs,
    CNI_PATH: e.pluginDirs.join(':'),
    // portmap and bridge (ipMasq) run iptables from PATH.
    PATH: path,
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}
