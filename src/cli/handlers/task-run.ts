import type TaskRun from '../../commands/task/run.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { taskContainer } from '../../client/images.ts'
import { parsePortMapping, type PortMapping } from '../../client/port-mappings.ts'
import { runTask, taskNameFor } from '../../client/task-run.ts'
import { parseUriFlag, type CommandUri } from '../../client/uri-flag.ts'
import { DurationError, parseDuration } from '../../core/duration.ts'
import { parseRlimitArg } from '../../core/rlimits.ts'
import type { RLimit } from '../../core/v1/messages.ts'
import { commandAfterDashDash } from '../command-after-dashdash.ts'
import type { ParsedFor } from '../parsed.ts'
import { envFromFlags, MUST_BE } from '../task-run-values.ts'
import { parseVipFlag, vipDiscovery, type VipFlag } from './vip-flag.ts'

const usage = (msg: string): never => { throw new CliError(msg, EXIT.USAGE) }

/** `A=B` arguments of a repeatable flag as a map (the last of a repeated A wins, as for --env). */
function pairs(list: readonly string[] | undefined, flag: string, shape: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of list ?? []) {
    const i = kv.indexOf('=')
    if (i <= 0 || i === kv.length - 1) usage(`${flag} expects ${shape}, got '${kv}'`)
    out[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return out
}

/**
 * Podman's --health-* flags as a Mesos COMMAND health check: the first check runs one interval after the start (as
 * podman's), the start period is Mesos' grace period. Undefined without --health-cmd.
 */
export function healthCheckFromFlags(f: { 'health-cmd'?: string; 'health-interval'?: string; 'health-retries'?: number; 'health-timeout'?: string; 'health-start-period'?: string }): Record<string, unknown> | undefined {
  const seconds = (flag: 'health-interval' | 'health-timeout' | 'health-start-period', dflt: number, positive: boolean): number => {
    const text = f[flag]
    if (text === undefined) return dflt
    let ms = NaN
    try { ms = parseDuration(text) } catch (err) { if (!(err instanceof DurationError)) throw err; usage(`--${flag}: ${err.message}`) }
    if (positive ? !(ms > 0) : !(ms >= 0)) usage(`--${flag} must be ${positive ? 'more than' : 'at least'} 0s, got '${text}'`)
    return ms / 1000
  }
  if (f['health-cmd'] === undefined) {
    const stray = (['health-interval', 'health-retries', 'health-timeout', 'health-start-period'] as const).find(k => f[k] !== undefined)
    if (stray) usage(`--${stray} needs --health-cmd`)
    return undefined
  }
  if (!f['health-cmd'].trim()) usage('--health-cmd needs a command')
  const retries = f['health-retries'] ?? 3
  if (!(Number.isInteger(retries) && retries >= 1)) usage(`--health-retries must be a whole number of at least 1, got ${retries}`)
  const interval = seconds('health-interval', 30, true)
  return {
    type: 'COMMAND',
    command: { shell: true, value: f['health-cmd'] },
    delay_seconds: interval,
    interval_seconds: interval,
    timeout_seconds: seconds('health-timeout', 30, true),
    grace_period_seconds: seconds('health-start-period', 0, false),
    consecutive_failures: retries,
  }
}

export async function execute({ flags, argv }: ParsedFor<typeof TaskRun>): Promise<number> {
  const { cpus, mem, gpus } = flags
  if (!(cpus > 0)) usage(`--cpus must be ${MUST_BE.cpus}, got ${cpus}`)
  if (!(mem > 0)) usage(`--mem must be ${MUST_BE.mem}, got ${mem}`)
  if (gpus !== undefined && !(Number.isInteger(gpus) && gpus >= 0)) usage(`--gpus must be ${MUST_BE.gpus}, got ${gpus}`)
  let env: Record<string, string> = {}
  try { env = envFromFlags(flags.env, process.env) } catch (err) { usage((err as Error).message) }
  const secretEnv = pairs(flags['secret-env'], '--secret-env', 'NAME=SECRET_PATH')
  const secretFiles = pairs(flags['secret-file'], '--secret-file', 'CONTAINER_PATH=SECRET_PATH')
  const rlimits: RLimit[] = []
  for (const r of flags.rlimit ?? []) {
    try { rlimits.push(parseRlimitArg(r)) } catch (err) { usage((err as Error).message) }
  }
  const uris: CommandUri[] = []
  for (const u of flags.uri ?? []) {
    try { uris.push(parseUriFlag(u)) } catch (err) { usage((err as Error).message) }
  }
  const command = commandAfterDashDash(argv)
  const healthCheck = healthCheckFromFlags(flags)
  if (flags.interactive && !flags.tty) usage('-i needs -t: Mesos tasks get stdin only through a TTY (use meso task exec -i for piped input)')
  if (flags.tty && flags.detach) usage('-t and --detach exclude each other; attach later with meso task attach')
  if (flags.init && flags['no-init']) usage('--init and --no-init exclude each other')
  if (!command.length && !flags.image) usage('no command given; usage: meso task run [FLAGS] -- CMD [ARGS...] (or --image REF to run its Entrypoint/Cmd)')
  if (flags.publish?.length && !flags.network) usage("-p needs --network NAME (on the agent's network the task binds host ports itself)")
  const portMappings: PortMapping[] = []
  for (const p of flags.publish ?? []) {
    try { portMappings.push(parsePortMapping(p)) } catch (err) { usage((err as Error).message) }
  }
  const vips: VipFlag[] = []
  for (const v of flags.vip ?? []) {
    try { vips.push(parseVipFlag(v)) } catch (err) { usage((err as Error).message) }
  }
  return runTask({
    discovery: vips.length ? vipDiscovery(flags.name ?? taskNameFor(command), vips) : undefined,
    master: masterUrl(flags.master), argv: command, name: flags.name, cpus, mem,
    disk: flags.disk || undefined, gpus, env, secretEnv, secretFiles, role: flags.role,
    detach: flags.detach, timeout: flags.timeout, user: flags.user, tty: flags.tty, interactive: flags.interactive,
    container: await taskContainer(rlimits, flags.image, flags['registry-user'], flags['registry-password-stdin']),
    network: flags.network, portMappings, init: flags.init ? true : flags['no-init'] ? false : undefined, uris,
    healthCheck,
  })
}
