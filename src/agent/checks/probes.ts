// The probes themselves, run where the task runs (upstream src/checks/checker_process.cpp):
// - COMMAND: inside the task's container, as `task exec` runs a process there (the linux launcher: `crun exec`, all
//   the container's namespaces and root; posix: a child in the sandbox with the task's user). The probe's output
//   is discarded; its exit code is the result; a probe killed by a signal is an error.
// - HTTP / TCP: from inside the task's network namespace, to 127.0.0.1 (or [::1] for IPv6) at the port. Upstream
//   runs `curl` / `mesos-tcp-connect` in a child that entered the namespace; meso runs a few lines of Bun in a
//   child: this executable itself in its plain-Bun mode (BUN_BE_BUN=1, `-e`), behind `nsenter --net=/proc/PID/ns/net`
//   when the task's namespace is not the agent's. A child per probe keeps the agent's own process out of the task's
//   namespace, gives it a clean environment (no proxy variables) and makes a timeout a plain kill. HTTP follows
//   redirects and does not verify certificates (as upstream's `curl -L -k`); the status of the final response is
//   the result, a request that gets no response is an error. TCP: connected or not is the result.

import { statSync } from 'node:fs'
import type { CommandInfo } from '../../core/v1/messages.ts'
import { exitStatus } from '../../core/exit-status.ts'
import { commandArgv, type ExecProcess, type ExecSpec } from '../containerizer/launcher.ts'
import { commandEnvironment } from '../executors/executor.ts'
import type { ProbeSpec } from './check-types.ts'
import type { ProbeOutcome } from './check-results.ts'

/** What a COMMAND probe needs of the containerizer. */
export interface ExecTarget {
  exec(containerId: string, spec: ExecSpec): Promise<ExecProcess>
}

export async function commandProbe(target: ExecTarget, containerId: string, command: CommandInfo, baseEnv: Record<string, string>, user: string | undefined, signal: AbortSignal): Promise<ProbeOutcome> {
  const env = { ...baseEnv, ...commandEnvironment(command.environment) }
  const proc = await target.exec(containerId, { argv: commandArgv(command), env, tty: false, user: command.user ?? user })
  proc.io.closeStdin()
  const kill = () => proc.kill('SIGKILL')
  signal.addEventListener('abort', kill, { once: true })
  try {
    const t = await proc.wait()
    if (signal.aborted) return { kind: 'transient' }
    const ws = t.waitStatus ?? (t.exitCode !== undefined ? t.exitCode << 8 : undefined)
    const code = ws === undefined ? undefined : exitStatus(ws)
    if (code === undefined) return { kind: 'error', message: `Command ${t.unknown ? `exit status unknown: ${t.unknown}` : 'was terminated by a signal'}` }
    return { kind: 'result', status: { type: 'COMMAND', command: { exit_code: code } } }
  } finally {
    signal.removeEventListener('abort', kill)
  }
}

/** The child's program (plain Bun): one TCP connection or one HTTP request, told through MESO_PROBE. */
const NETWORK_PROBE_SCRIPT = `
const p = JSON.parse(process.env.MESO_PROBE)
const host = p.ipv6 ? '::1' : '127.0.0.1'
if (p.type === 'TCP') {
  const { connect } = await import('node:net')
  const s = connect({ host, port: p.port })
  s.once('connect', () => { s.destroy(); process.exit(0) })
  s.once('error', e => { process.stderr.write(String(e.message)); process.exit(1) })
} else {
  const url = p.scheme + '://' + (p.ipv6 ? '[::1]' : '127.0.0.1') + ':' + p.port + p.path
  try {
    const r = await fetch(url, { redirect: 'follow', tls: { rejectUnauthorized: false } })
    process.stdout.write(String(r.status))
    process.exit(0)
  } catch (e) {
    process.stderr.write((e && e.code ? e.code + ': ' : '') + String(e && e.message || e))
    process.exit(2)
  }
}
`

/** Whether the process `pid` lives in a network namespace other than the agent's. */
export function inOtherNetns(pid: number): boolean {
  const theirs = statSync(`/proc/${pid}/ns/net`)
  const ours = statSync('/proc/self/ns/net')
  return theirs.ino !== ours.ino || theirs.dev !== ours.dev
}

/** The argv of a network probe child for the task whose process is `pid` (undefined: the agent's own network). */
export function networkProbeArgv(pid: number | undefined): string[] {
  const bun = [process.execPath, '-e', NETWORK_PROBE_SCRIPT]
  return pid !== undefined && inOtherNetns(pid) ? ['nsenter', `--net=/proc/${pid}/ns/net`, '--', ...bun] : bun
}

export async function networkProbe(spec: Extract<ProbeSpec, { type: 'HTTP' | 'TCP' }>, pid: number | undefined, signal: AbortSignal): Promise<ProbeOutcome> {
  const argv = networkProbeArgv(pid)
  const child = Bun.spawn(argv, {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', BUN_BE_BUN: '1', MESO_PROBE: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const kill = () => { try { child.kill('SIGKILL') } catch { /* gone */ } }
  signal.addEventListener('abort', kill, { once: true })
  try {
    const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()])
    if (signal.aborted) return { kind: 'transient' }
    if (spec.type === 'TCP') return { kind: 'result', status: { type: 'TCP', tcp: { succeeded: code === 0 } } }
    const status = Number(out.trim())
    if (code === 0 && Number.isInteger(status) && status > 0) return { kind: 'result', status: { type: 'HTTP', http: { status_code: status } } }
    const why = err.trim().slice(0, 500) || `exited with status ${code}`
    return { kind: 'error', message: `${spec.scheme}://127.0.0.1:${spec.port}${spec.path}: ${why}` }
  } finally {
    signal.removeEventListener('abort', kill)
  }
}
