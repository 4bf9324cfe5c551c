// Shared plumbing for the daemon commands (master, agent, up): Mesos-style flags from a table (src/core/flags.ts)
// as oclif flags and back as the table's typed object, and a process that stops cleanly on SIGINT/SIGTERM.

import { Command, Flags, type Interfaces } from '@oclif/core'
import type { FlagSpec, TypedFlags } from '../core/flags.ts'
import { fail, runUntilSignal } from './daemon-lifecycle.ts'

/** oclif flag definitions for a flag table: `--name=VALUE`, also read from `MESOS_<NAME>`; values stay strings here. */
export function oclifFlags(specs: readonly FlagSpec[]): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {}
  for (const s of specs) {
    const common = {
      description: s.description,
      env: `MESOS_${s.name.toUpperCase()}`,
      aliases: s.aliases,
      helpGroup: 'DAEMON',
    }
    if (s.type === 'bool') out[s.name] = Flags.boolean({ ...common, allowNo: true })
    else out[s.name] = Flags.string({ ...common, helpValue: s.type === 'duration' ? 'DURATION' : s.type === 'string' ? 'VALUE' : 'N' })
  }
  return out
}

/** The default a flag table gives `name`, for a command that offers the same flag under its own definition. */
export function defaultOf<S extends readonly FlagSpec[], N extends S[number]['name']>(specs: S, name: N): Extract<S[number], { name: N }>['default'] {
  return specs.find(s => s.name === name)?.default as Extract<S[number], { name: N }>['default']
}

export abstract class DaemonCommand extends Command {
  /** This command's flags, as the table `specs` types them (defaults from the table, durations in ms), and as GET_FLAGS strings. */
  protected async daemonFlags<S extends readonly FlagSpec[]>(specs: S): Promise<{ values: TypedFlags<S>; strings: { name: string; value: string }[] }> {
    const { normalizeArgv, resolveFlags, flagStrings, FlagError } = await import('../core/flags.ts')
    const { flags } = await this.parse(undefined, normalizeArgv(this.argv, specs))
    try {
      const values = resolveFlags(specs, flags)
      return { values, strings: flagStrings(specs, values) }
    } catch (err) {
      if (err instanceof FlagError) this.error(err.message, { exit: 2 })
      throw err
    }
  }

  /** Starts a daemon (a failure is one `error:` line, exit 1), says where it listens, and runs until a signal. */
  protected async serve<R extends { url: string; stop(): Promise<void> }>(start: () => Promise<R>, listening: (running: R) => string): Promise<void> {
    let running: R
    try { running = await start() } catch (err) { fail(err) }
    this.logToStderr(listening(running))
    await runUntilSignal(() => running.stop())
  }
}

// Free of oclif, so that the fast path (src/cli/fast-dispatch.ts) can start a daemon without loading it.
export { fail, runUntilSignal } from './daemon-lifecycle.ts'
