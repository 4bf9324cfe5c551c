// Creating a container under conmon (docs/containerizer.md, conmon): conmon double-forks, runs `<runtime> create`, reports
// the container's pid on a sync pipe, and from then on supervises it, writing the exit code to <exit dir>/<id> and
// an `oom` marker to its persist dir. The agent owns no container process and can die at any time.

import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'

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
}

export interface Created { pid: number; conmonPid: number }

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
  const out = openSync(o.stdoutPath, 'a')
  const err = openSync(o.stderrPath, 'a')
  let proc
  try {
    proc = Bun.spawn([o.conmon, ...args], {
      stdio: ['ignore', attached ? 'ignore' : out, attached ? 'ignore' : err, 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
    } as any)
  } finally {
    closeSync(out)
    closeSync(err)
  }
  const syncFd = (proc as any).stdio[3] as number
  const reply = await readSyncReply(Bun.file(syncFd).stream(), o.timeoutMs ?? 30_000)
  await proc.exited // the first conmon process exits once it has forked its monitor
  if (!reply) throw new Error(`conmon exited without reporting the container pid (see ${o.stderrPath})`)
  if (!(reply.data > 0)) throw new Error(reply.message?.trim() || `container create failed (conmon reported ${reply.data})`)
  const conmonPid = Number(await Bun.file(join(o.bundle, 'conmon.pid')).text().catch(() => '0'))
  return { pid: reply.data, conmonPid }
}

async function readSyncReply(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<{ data: number; message?: string } | undefined> {
  const reader = stream.getReader()
  const timer = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs)
  let text = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
      const nl = text.indexOf('\n')
      if (nl >= 0) return JSON.parse(text.slice(0, nl))
    }
    return text.trim() ? JSON.parse(text) : undefined
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
    reader.releaseLock()
  }
}
