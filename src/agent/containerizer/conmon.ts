// Creating a container under conmon (docs/containerizer.md, conmon): conmon double-forks, runs `<runtime> create`, reports
// the container's pid on a sync pipe, and from then on supervises it, writing the exit code to <exit dir>/<id> and
// an `oom` marker to its persist dir. The agent owns no container process and can die at any time.

import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { LogRotation } from '../io/logrotate-policy.ts'
import { openRotatedSink } from '../io/logrotate.ts'
import type { LogRotatorClient } from '../io/logrotate-client.ts'
import { logger } from '../../core/log.ts'

const log = logger('conmon')

export interface ConmonCreate {
  conmon: string
  runtime: string
  runtimeRoot: string
  id: string
  bundle: string
  exitDir: string
  persistDir: string
  socketDir: string
  /** Passthrough logging: the container writes straight into these files (Mesos sandbox stdout/stderr). */
  stdoutPath: string
  stderrPath: string
  /** With a terminal or stdin, conmon keeps the streams (attach socket) and logs to <bundle>/ctr.log instead. */
  terminal?: boolean
  stdin?: boolean
  timeoutMs?: number
  /** Sandbox log rotation (io/logrotate.ts): passthrough output goes through a rotating logger, ctr.log is capped. */
  logRotation?: LogRotation
  /** The agent's log rotator (io/logrotate-client.ts): passthrough output goes into named pipes in the bundle it reads. */
  rotator?: LogRotatorClient
}

export interface Created { pid: number; conmonPid: number }

/**
 * The write end a container's `stream` goes into: the sandbox file itself without rotation; with it, a named pipe in
 * the bundle that the agent's rotator reads, or (a caller without a rotator) a companion logger per stream as before.
 */
export async function outputSink(o: { id: string; bundle: string; rotation?: LogRotation; rotator?: LogRotatorClient }, path: string, stream: 'stdout' | 'stderr'): Promise<number> {
  if (!o.rotation) return openSync(path, 'a')
  if (!o.rotator) return openRotatedSink(path, o.rotation)
  const fifo = join(o.bundle, `${stream}.fifo`)
  try {
    return await o.rotator.sink(fifo, path, o.rotation)
  } catch (err) {
    // A rotator that cannot be reached (not started in time on a loaded host) must not fail the launch: this
    // container gets a companion logger per stream, rotating the same way. Without its pipe, a restarted agent
    // leaves those loggers to it instead of handing the rotator a pipe nobody writes.
    rmSync(fifo, { force: true })
    log.warn(`Container ${o.id}: its ${stream} goes through a logger of its own, the agent's log rotator is unreachable: ${(err as Error).message}`)
    return openRotatedSink(path, o.rotation)
  }
}

export async function conmonCreate(o: ConmonCreate): Promise<Created> {
  mkdirSync(o.exitDir, { recursive: true })
  mkdirSync(o.persistDir, { recursive: true }) // conmon silently writes no exit file if this is missing
  mkdirSync(o.socketDir, { recursive: true })
  const attached = o.terminal || o.stdin
  const args = [
    '--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.id, '-r', o.runtime, `--runtime-arg=--root=${o.runtimeRoot}`,
    '-b', o.bundle, '-p', join(o.bundle, 'pidfile'), '-P', join(o.bundle, 'conmon.pid'),
    '--exit-dir', o.exitDir, '--persist-dir', o.persistDir, '--socket-dir-path', o.socketDir,
    '-l', attached ? `k8s-file:${join(o.bundle, 'ctr.log')}` : 'passthrough:', '--log-level', 'error',
  ]
  if (o.stdin) args.push('-i', '--leave-stdin-open')
  if (o.terminal) args.push('-t')
  // conmon replaces a full ctr.log with an empty one; the log pump reads the old one to its end first.
  if (attached && o.logRotation) args.push('--log-size-max', String(o.logRotation.maxSize))
  const rotation = attached ? undefined : o.logRotation
  const sink = (path: string, stream: 'stdout' | 'stderr') => outputSink({ id: o.id, bundle: o.bundle, rotation, rotator: o.rotator }, path, stream)
  const out = await sink(o.stdoutPath, 'stdout')
  let err: number
  try { err = await sink(o.stderrPath, 'stderr') } catch (e) { closeSync(out); throw e }
  let proc
  try {
    // 'socket-fd': the agent's end of the sync socket is ours to close (a 'pipe' end is never closed by Bun either,
    // which leaked one fd per container until launches failed with EMFILE; docs/security-files.md).
    proc = Bun.spawn([o.conmon, ...args], {
      stdio: ['ignore', attached ? 'ignore' : out, attached ? 'ignore' : err, 'socket-fd'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
    })
  } finally {
    closeSync(out)
    closeSync(err)
  }
  const syncFd = proc.stdio[3]
  if (syncFd === null || syncFd === undefined) {
    proc.kill('SIGKILL')
    throw new Error(`container ${o.id}: conmon was started without its sync socket`)
  }
  let reply: SyncReply | undefined
  try {
    reply = await readSyncReply(syncFd, o.timeoutMs ?? 30_000)
  } finally {
    closeSync(syncFd)
  }
  // The first conmon process exits once it has forked its monitor; one that never answered is not waited for.
  if (!reply) proc.kill('SIGKILL')
  await proc.exited
  if (!reply) throw new Error(`conmon exited without reporting the pid of container ${o.id} (see ${o.stderrPath})`)
  if (!(reply.data > 0)) throw new Error(reply.message?.trim() || `container ${o.id}: create failed (conmon reported ${reply.data})`)
  const conmonPid = Number(await Bun.file(join(o.bundle, 'conmon.pid')).text().catch(() => '0'))
  return { pid: reply.data, conmonPid }
}

interface SyncReply { data: number; message?: string }

/**
 * conmon's `{"data": <pid>}` line on the sync socket (undefined on EOF, garbage or timeout). The reader is
 * cancelled before returning, so nothing polls the fd any more when the caller closes it.
 */
async function readSyncReply(fd: number, timeoutMs: number): Promise<SyncReply | undefined> {
  const reader = Bun.file(fd).stream().getReader()
  const timer = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs)
  let text = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
      const nl = text.indexOf('\n')
      if (nl >= 0) return JSON.parse(text.slice(0, nl)) as SyncReply
    }
    return text.trim() ? JSON.parse(text) as SyncReply : undefined
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
    await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}
