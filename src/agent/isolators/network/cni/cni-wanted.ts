// Whether the flags turn `network/cni` on, with Mesos' rules: `network/cni` in --isolation, or both CNI dirs. Apart
// from attach.ts so that an agent without CNI never loads the CNI modules (idle RSS, README Performance).

import type { AgentFlags } from '../../../flags.ts'

export type CniFlags = Pick<AgentFlags, 'isolation' | 'network_cni_plugins_dir' | 'network_cni_config_dir'>

export function cniWanted(flags: CniFlags): boolean {
  const isolation = String(flags.isolation ?? '').split(',').map(s => s.trim())
  return isolation.includes('network/cni') || !!(flags.network_cni_plugins_dir && flags.network_cni_config_dir)
}
