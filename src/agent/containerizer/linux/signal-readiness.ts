// A signal sent to a container right after `crun start` can reach its first process before that process has
// exec'd what it runs: `crun start` returns once the container's init has read the exec fifo, not once it has
// exec'd. That process is PID 1 of the container's pid namespace, and the kernel drops any signal PID 1 neither
// handles nor blocks (only SIGKILL and SIGSTOP are forced from the parent namespace). A scheduler that kills a
// task as soon as it sees TASK_RUNNING then had its SIGTERM vanish and the task killed only after the grace period.
// So a kill first waits, briefly, until PID 1 has exec'd and (when it is an init such as catatonit, or a task that
// handles the signal) has the signal caught or blocked.

import { readFileSync, readlinkSync } from 'node:fs'
import { constants } from 'node:os'

/** What `/proc/<pid>/exe` names: read once right after create, while the process is still the runtime's init. */
export function executableOf(pid: number): string | undefined {
  try { return readlinkSync(`/proc/${pid}/exe`) } catch { return undefined }
}

/** Whether `status` (the text of /proc/<pid>/status) shows `signal` caught or blocked. */
export function takesSignal(status: string, signal: NodeJS.Signals): boolean {
  const n = constants.signals[signal]
  if (!n) return true
  const bit = 1n << BigInt(n - 1)
  for (const field of ['SigBlk', 'SigCgt']) {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1]
    if (hex && (BigInt(`0x${hex}`) & bit) !== 0n) return true
  }
  return false
}

/** Whether `status` (/proc/<pid>/status) is that of PID 1 of its innermost pid namespace (`NSpid: 4242 1`). */
export function isNamespaceInit(status: string): boolean {
  const ids = /^NSpid:\s*(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/)
  return ids !== undefined && ids.length > 1 && ids[ids.length - 1] === '1'
}

/**
 * Waits until `pid`, when it is PID 1 of its pid namespace, no longer runs `preExec` (its executable at create
 * time) and takes `signal`, at most `timeoutMs`; a process that exec'd something that does not handle the signal
 * is waited for only `afterExecMs` more (an init blocks signals at once; a task that ignores SIGTERM as PID 1 never
 * will). Returns at once when the process is gone or is not a namespace's PID 1.
 */
export async function awaitSignalReadiness(pid: number, preExec: string, signal: NodeJS.Signals, timeoutMs = 1000, afterExecMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let execSeen: number | undefined
  // Only PID 1 of a namespace has signals dropped; any other process takes the default action.
  try { if (!isNamespaceInit(readFileSync(`/proc/${pid}/status`, 'utf8'))) return } catch { return }
  for (;;) {
    const exe = executableOf(pid)
    if (exe === undefined) return
    if (exe !== preExec) {
      execSeen ??= Date.now()
      let status: string
      try { status = readFileSync(`/proc/${pid}/status`, 'utf8') } catch { return }
      if (takesSignal(status, signal) || Date.now() - execSeen >= afterExecMs) return
    }
    if (Date.now() >= deadline) return
    await Bun.sleep(5)
  }
}
