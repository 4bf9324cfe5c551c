import type QuotaSet from '../../commands/quota/set.ts'
import { CliError, masterUrl, operatorCall } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { formatQuota } from './quota-format.ts'
import type { ParsedFor } from '../parsed.ts'

const NAMES = ['cpus', 'mem', 'disk', 'gpus'] as const

/** `--cpus 2` → `{cpus: {value: 2}}`; a bad number is a usage error naming the flag. */
function amounts(flags: Readonly<Record<string, unknown>>, prefix: string): Record<string, { value: number }> {
  const out: Record<string, { value: number }> = {}
  for (const name of NAMES) {
    const raw = flags[`${prefix}${name}`]
    if (typeof raw !== 'string') continue
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new CliError(`--${prefix}${name}: expected a non-negative number, got '${raw}'`, EXIT.USAGE)
    out[name] = { value }
  }
  return out
}

export async function execute({ flags, args }: ParsedFor<typeof QuotaSet>): Promise<void> {
  const guarantees = amounts(flags, '')
  const limits = amounts(flags, 'limit-')
  if (!Object.keys(guarantees).length && !Object.keys(limits).length) {
    throw new CliError(`nothing to set for role '${args.role}': give guarantees (--cpus, --mem, --disk, --gpus) and/or limits (--limit-cpus, …); 'meso quota rm ${args.role}' removes a quota`, EXIT.USAGE)
  }
  const config: Record<string, unknown> = { role: args.role }
  if (Object.keys(guarantees).length) config.guarantees = guarantees
  if (Object.keys(limits).length) config.limits = limits
  await operatorCall(masterUrl(flags.master), 'UPDATE_QUOTA', { update_quota: { force: flags.force ?? false, quota_configs: [config] } })
  console.log(`quota of role ${args.role} set: ${formatQuota(guarantees, limits)}`)
}
