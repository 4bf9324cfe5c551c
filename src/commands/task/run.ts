import { Flags } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'

export default class TaskRun extends ClientCommand {
  static description = 'run a command as a task on the cluster, stream its output, and exit with its exit code'
  static strict = false
  static usage = 'task run [FLAGS] -- CMD [ARGS...]'
  static examples = [
    "$ meso task run -- sh -c 'echo hi; exit 3'",
    '$ meso task run --cpus 0.5 --mem 128 --env GREETING=hello -- printenv GREETING',
    '$ meso task run --detach --name sleeper -- sleep 600',
  ]
  static flags = {
    master: masterFlag,
    name: Flags.string({ description: 'task name (default: the command name)' }),
    cpus: Flags.string({ description: 'CPUs for the task', default: '0.1' }),
    mem: Flags.string({ description: 'memory in MB', default: '32' }),
    disk: Flags.string({ description: 'disk in MB' }),
    env: Flags.string({ description: 'environment variable K=V (repeatable)', multiple: true }),
    role: Flags.string({ description: 'role to take resources from', default: '*' }),
    user: Flags.string({ description: 'user to run as (default: you)' }),
    rlimit: Flags.string({ description: 'resource limit NAME=SOFT[:HARD] (repeatable), e.g. NOFILE=1024:4096, CORE=0, STACK=unlimited', multiple: true }),
    detach: Flags.boolean({ char: 'd', description: 'print the task id and return once it started' }),
    timeout: Flags.integer({ description: 'seconds to wait for resources', default: 60 }),
  }

  async run() {
    const { flags, argv } = await this.parse(TaskRun)
    const cpus = Number(flags.cpus)
    const mem = Number(flags.mem)
    if (!(cpus > 0)) this.error(`--cpus must be a positive number, got ${flags.cpus}`, { exit: 2 })
    if (!(mem > 0)) this.error(`--mem must be a positive number of MB, got ${flags.mem}`, { exit: 2 })
    const env: Record<string, string> = {}
    for (const kv of flags.env ?? []) {
      const i = kv.indexOf('=')
      if (i <= 0) this.error(`--env expects K=V, got '${kv}'`, { exit: 2 })
      env[kv.slice(0, i)] = kv.slice(i + 1)
    }
    const { parseRlimitArg } = await import('../../core/rlimits.ts')
    const rlimits: import('../../core/v1/messages.ts').RLimit[] = []
    for (const r of flags.rlimit ?? []) {
      try { rlimits.push(parseRlimitArg(r)) } catch (err) { this.error((err as Error).message, { exit: 2 }) }
    }
    if (!argv.length) this.error('no command given; usage: meso task run [FLAGS] -- CMD [ARGS...]', { exit: 2 })
    await this.guard(async () => {
      const { runTask } = await import('../../client/task-run.ts')
      const { masterUrl } = await import('../../client/cluster.ts')
      return runTask({
        master: masterUrl(flags.master), argv: argv as string[], name: flags.name, cpus, mem,
        disk: flags.disk ? Number(flags.disk) : undefined, env, role: flags.role, detach: flags.detach,
        timeout: flags.timeout, user: flags.user,
        container: rlimits.length ? { type: 'MESOS', rlimit_info: { rlimits } } : undefined,
      })
    })
  }
}
