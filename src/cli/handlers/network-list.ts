import type NetworkList from '../../commands/network/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl } from '../../client/cluster.ts'
import { listNetworks } from '../../client/networks.ts'
import { color, printJson, table } from '../../client/output.ts'

export async function execute({ flags }: ParsedFor<typeof NetworkList>): Promise<void> {
  const { networks, unreachable } = await listNetworks(masterUrl(flags.master))
  for (const u of unreachable) process.stderr.write(`warning: agent ${u.agent} did not list its networks: ${u.error}\n`)
  if (flags.json) { printJson(networks); return }
  if (!networks.length) { console.log('no CNI networks (agents need --network_cni_config_dir; `meso up` creates one called meso)'); return }
  // A reason is a sentence: it goes below the table, where it can be read whole.
  console.log(table(['NAME', 'AGENT', 'PLUGINS', 'SUBNET', 'BRIDGE', 'STATUS'], networks.map(n => [
    n.name, n.agent, n.plugins.join(','), n.subnets.join(',') || '-', n.bridge ?? '-', n.error ? color.red('broken') : color.green('ok'),
  ])))
  const broken = networks.filter(n => n.error)
  if (broken.length) console.log(`\n${broken.map(n => `${n.name} on ${n.agent} is broken: ${n.error} (${n.file})`).join('\n')}`)
}
