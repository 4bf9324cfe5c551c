// How a process ended, in the three shapes meso meets it (docs/exit-status.md):
// - the raw POSIX wait status, what Mesos reports (WAIT_NESTED_CONTAINER.exit_status, EXITED_EXECUTOR.status):
//   `code << 8` for an exit, the signal number for a death by signal (WIFEXITED / WIFSIGNALED in <sys/wait.h>);
// - the shell-style exit code a launcher learns and a CLI exits with: the code, or 128+N for signal N;
// - Mesos' English for humans: "exited with status N" / "terminated with signal S" (WSTRINGIFY in Mesos'
//   src/common/status_utils.hpp; meso names signals SIGKILL where Mesos prints strsignal's "Killed").
// Terminal task statuses carry the wait status structurally in the `meso.io/exit-status` label, so no client ever
// parses the English back.

import type { Label, Labels } from './v1/messages.ts'

/** The one signal table: Linux numbering (x86-64 and arm64 agree), which is what meso's launchers run on. */
export const SIGNALS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const satisfies Partial<Record<NodeJS.Signals, number>>

export type SignalName = keyof typeof SIGNALS

const NAMES = new Map<number, SignalName>(Object.entries(SIGNALS).map(([name, n]) => [n, name as SignalName]))

/** The name of signal `n` (SIGKILL for 9), or undefined for a number outside the table. */
export function signalName(n: number): SignalName | undefined {
  return NAMES.get(n)
}

/** The signal to send for a number from an API (KILL_NESTED_CONTAINER.signal): unknown numbers kill. */
export function signalToSend(n: number): NodeJS.Signals {
  return signalName(n) ?? 'SIGKILL'
}

/** The number of a signal name (`SIGTERM` → 15), or undefined for a name outside the table. */
export function signalNumber(name: string): number | undefined {
  return Object.hasOwn(SIGNALS, name) ? SIGNALS[name as SignalName] : undefined
}

/** Exit codes above this say "killed by signal (code − 128)" (shell convention; 64 signals at most). */
const SIGNAL_BASE = 128
const MAX_SIGNAL = 64

/** WIFSIGNALED: the process died of a signal (the low 7 bits; 0x7f would be a stopped process). */
export function termSignal(waitStatus: number): number | undefined {
  const sig = waitStatus & 0x7f
  return sig !== 0 && sig !== 0x7f ? sig : undefined
}

/** WIFEXITED ? WEXITSTATUS : undefined. */
export function exitStatus(waitStatus: number): number | undefined {
  return (waitStatus & 0x7f) === 0 ? (waitStatus >> 8) & 0xff : undefined
}

/** A shell-style exit code (N, or 128+S after signal S) as the raw wait status Mesos reports. */
export function waitStatusOf(exitCode: number): number {
  if (exitCode > SIGNAL_BASE && exitCode <= SIGNAL_BASE + MAX_SIGNAL) return exitCode - SIGNAL_BASE
  return exitCode << 8
}

/** The shell-style exit code for a raw wait status: WEXITSTATUS, or 128 + WTERMSIG. */
export function exitCodeOf(waitStatus: number): number {
  const sig = termSignal(waitStatus)
  return sig !== undefined ? SIGNAL_BASE + sig : (waitStatus >> 8) & 0xff
}

/** The exit code of a process killed by `signal` (SIGKILL → 137). */
export function exitCodeOfSignal(signal: SignalName): number {
  return SIGNAL_BASE + SIGNALS[signal]
}

/** Mesos' WSTRINGIFY: "exited with status N" or "terminated with signal SIGKILL" ("signal N" outside the table). */
export function describeWaitStatus(waitStatus: number): string {
  const sig = termSignal(waitStatus)
  if (sig === undefined) return `exited with status ${(waitStatus >> 8) & 0xff}`
  return `terminated with signal ${signalName(sig) ?? `signal ${sig}`}`
}

/**
 * TaskStatus label holding the raw wait status (decimal) of the process whose end made the status terminal. Mesos'
 * TaskStatus has no exit-status field; a label is what Mesos clients ignore and meso's CLI reads.
 */
export const EXIT_STATUS_LABEL = 'meso.io/exit-status'

export function exitStatusLabel(waitStatus: number): Label {
  return { key: EXIT_STATUS_LABEL, value: String(waitStatus) }
}

/** The wait status a status's labels carry, or undefined when they carry none (or a malformed one). */
export function waitStatusFromLabels(labels: Labels | undefined): number | undefined {
  const value = labels?.labels?.find(l => l.key === EXIT_STATUS_LABEL)?.value
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined
}
