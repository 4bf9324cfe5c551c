// How a daemon process (master, agent, up) waits for its signal and how it fails to start. Free of oclif: the fast
// path (src/cli/fast-dispatch.ts) starts `meso agent` without loading it.

import { writeSync } from 'node:fs'
import { exitCodeOfSignal } from '../core/exit-status.ts'

/** Keeps the process alive until a signal, then runs `stop` once; a second signal exits at once (130). */
export function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise(resolve => {
    let stopping = false
    const handler = async (sig: string) => {
      if (stopping) process.exit(exitCodeOfSignal('SIGINT'))
      stopping = true
      // Synchronous, as in `fail`: a quick stop followed by process.exit could drop an asynchronous write.
      const line = `\nreceived ${sig}, stopping\n`
      try { writeSync(2, line) } catch { process.stderr.write(line) }
      await stop().catch(() => {})
      resolve()
      process.exit(0)
    }
    process.on('SIGINT', () => void handler('SIGINT'))
    process.on('SIGTERM', () => void handler('SIGTERM'))
  })
}

/** A daemon that failed to start: one `error:` line (a stack with MESO_DEBUG=1), exit 1. */
export function fail(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err)
  // Written synchronously: process.exit right after an asynchronous write to a pipe can drop the one line that says why.
  if (process.env.MESO_DEBUG === '1' && err instanceof Error) writeSync(2, `${err.stack}\n`)
  writeSync(2, `error: ${msg}\n`)
  process.exit(1)
}
