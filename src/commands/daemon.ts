// Shared plumbing for the daemon commands (master, agent, up): Mesos-style flags from a table, and a process that
// stops cleanly on SIGINT/SIGTERM.

import { Command } from '@oclif/core'
import type { FlagSpec } from '../core/flags.ts'

export async function parseDaemonFlags(cmd: Command, ctor: any, specs: readonly FlagSpec[]) {
  const { normalizeArgv, resolveFlags, flagStrings, FlagError } = await import('../core/flags.ts')
  const argv = normalizeArgv((cmd as any).argv as string[], specs)
  const { flags } = await (cmd as any).parse(ctor, argv)
  try {
    const values = resolveFlags(specs, flags)
    return { values: values as Record<string, any>, strings: flagStrings(specs, values), raw: flags as Record<string, any> }
  } catch (err) {
    if (err instanceof FlagError) cmd.error(err.message, { exit: 2 })
    throw err
  }
}

/** Keeps the process alive until a signal, then runs `stop` once. */
export function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise(resolve => {
    let stopping = false
    const handler = async (sig: string) => {
      if (stopping) process.exit(130)
      stopping = true
      process.stderr.write(`\nreceived ${sig}, stopping\n`)
      await stop().catch(() => {})
      resolve()
      process.exit(0)
    }
    process.on('SIGINT', () => void handler('SIGINT'))
    process.on('SIGTERM', () => void handler('SIGTERM'))
  })
}

export function fail(_cmd: Command, err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err)
  if (process.env.MESO_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`)
  process.stderr.write(`error: ${msg}\n`)
  process.exit(1)
}
