// Agent start: decides from the flags whether the `network/cni` isolator runs, with Mesos' rules, and makes it.
// `network/cni` in --isolation or both CNI dirs turn it on; one dir without the other is a flag error; without any
// config dir it is on but knows no network (containers stay on the host network unless they ask for one, which
// then fails with a clear message).

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../../../core/log.ts'
import { CniIsolator } from './cni-isolator.ts'
import { CniNetworking } from './cni-networking.ts'
import { cniWanted, type CniFlags } from './cni-wanted.ts'
import type { NetworkSummary } from './network-config.ts'

export { cniWanted, type CniFlags } from './cni-wanted.ts'

const log = logger('network/cni')

/** The isolator, or undefined when the flags do not ask for it or the launcher cannot give containers a network. */
export function createCniIsolator(launcher: 'linux' | 'posix', flags: CniFlags, runtimeDir: string): CniIsolator | undefined {
  if (!cniWanted(flags)) return undefined
  const pluginsFlag = flags.network_cni_plugins_dir
  const configDir = flags.network_cni_config_dir
  if (!!pluginsFlag !== !!configDir) {
    throw new Error(`network/cni: --network_cni_plugins_dir and --network_cni_config_dir must be given together (got only --${pluginsFlag ? 'network_cni_plugins_dir' : 'network_cni_config_dir'})`)
  }
  const pluginDirs = (pluginsFlag ?? '').split(':').filter(Boolean)
  const missing = [...pluginDirs, ...(configDir ? [configDir] : [])].filter(d => !existsSync(d))
  if (missing.length) throw new Error(`network/cni: ${missing.map(d => `'${d}'`).join(', ')} does not exist (--network_cni_plugins_dir / --network_cni_config_dir)`)
  if (launcher !== 'linux') {
    log.warn('network/cni needs the linux launcher (--launcher=linux): tasks on this agent stay on the host network')
    return undefined
  }
  const cni = new CniNetworking({ pluginDirs, configDir, stateDir: join(runtimeDir, 'isolators', 'network', 'cni') })
  const names = [...cni.networks().networks.keys()]
  log.info(`CNI networking on: ${names.length ? `networks ${names.join(', ')} from ${configDir}` : 'no networks configured'}; plugins from ${pluginDirs.join(':') || '(none)'}`)
  return new CniIsolator(cni)
}

/** Body of the agent's GET /api/meso/v1/networks. */
export function networksResponse(cni: CniNetworking | undefined): { networks: NetworkSummary[] } {
  return { networks: cni?.listNetworks() ?? [] }
}
