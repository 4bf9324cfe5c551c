import { commandAfterDashDash } from '../../cli/command-after-dashdash.ts'
import type { ParsedCommand } from '../../cli/parsed.ts'
import { parseRlimitArg } from '../../core/rlimits.ts'
import type { RLimit } from '../../core/v1/messages.ts'
import { CliError, masterUrl } from '../cluster.ts'
import { taskContainer } from '../images.ts'
import { parsePortMapping, type PortMapping } from '../port-mappings.ts'
import { runTask } from '../task-run.ts'

const usage = (msg: string): never => { throw new CliError(msg, 2) }

export async function execute({ flags, argv }: ParsedCommand): Promise<number> {
  const cpus = Number(flags.cpus)
  const mem = Number(flags.mem)
  if (!(cpus > 0)) usage(`--cpus must be a positive number, got ${flags.cpus}`)
  if (!(mem > 0)) usage(`--mem must be a positive number of MB, got ${flags.mem}`)
  if (flags.gpus !== undefined && !/^\d+$/.test(String(flags.gpus).trim())) {
    usage(`--gpus must be a whole number of GPUs (fractions of a GPU cannot be allocated), got ${flags.gpus}`)
  }
  const env: Record<string, string> = {}
  for (const kv of (flags.env as string[] | undefined) ?? []) {
    const i = kv.indexOf('=')
    if (i <= 0) usage(`--env expects K=V, got '${kv}'`)
    env[kv.slice(0, i)] = kv.slice(i + 1)
  }
  const rlimits: RLimit[] = []
  for (const r of (flags.rlimit as string[] | undefined) ?? []) {
    try { rlimits.push(parseRlimitArg(r)) } catch (err) { usage((err as Error).message) }
  }
  const command = commandAfterDashDash(argv)
  if (flags.interactive && !flags.tty) usage('-i needs -t: Mesos tasks get stdin only through a TTY (use meso task exec -i for piped input)')
  if (flags.tty && flags.detach) usage('-t and --detach exclude each other; attach later with meso task attach')
  if (!command.length && !flags.image) usage('no command given; usage: meso task run [FLAGS] -- CMD [ARGS...] (or --image REF to run its Entrypoint/Cmd)')
  if ((flags.publish as string[] | undefined)?.length && !flags.network) usage("-p needs --network NAME (on the agent's network the task binds host ports itself)")
  const portMappings: PortMapping[] = []
  for (const p of (flags.publish as string[] | undefined) ?? []) {
    try { portMappings.push(parsePortMapping(p)) } catch (err) { usage((err as Error).message) }
  }
  return runTask({
    master: masterUrl(flags.master), argv: command, name: flags.name, cpus, mem,
    disk: flags.disk ? Number(flags.disk) : undefined, gpus: flags.gpus === undefined ? undefined : Number(flags.gpus), env, role: flags.role,
    detach: flags.detach, timeout: flags.timeout, user: flags.user, tty: flags.tty, interactive: flags.interactive,
    container: await taskContainer(rlimits, flags.image, flags['registry-user'], flags['registry-password-stdin']),
    network: flags.network, portMappings,
  })
}
