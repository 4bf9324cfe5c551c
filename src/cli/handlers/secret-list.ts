import type SecretList from '../../commands/secret/list.ts'
import { masterUrl } from '../../client/cluster.ts'
import { ago, printJson, table } from '../../client/output.ts'
import { listSecrets } from '../../client/secrets.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags }: ParsedFor<typeof SecretList>): Promise<void> {
  const list = await listSecrets(masterUrl(flags.master))
  if (flags.json) { printJson(list); return }
  if (!list.length) { console.log('no secrets'); return }
  console.log(table(['PATH', 'UPDATED', 'BY'], list.map(s => [s.path, ago(s.updated / 1000), s.principal ?? '-'])))
}
