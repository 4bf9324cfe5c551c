// `meso task exec` and `meso task attach`, the way the Mesos CLI does them (Mesos' src/python/cli_new/lib/cli/
// plugins/task/main.py, over the agent calls of include/mesos/v1/agent/agent.proto): find the
// task's container and agent through the master, then LAUNCH_NESTED_CONTAINER_SESSION or ATTACH_CONTAINER_OUTPUT
// for output (RecordIO of ProcessIO) and ATTACH_CONTAINER_INPUT for input (a streaming RecordIO request body), and
// WAIT_NESTED_CONTAINER for the exit status.

import { randomUUID } from 'node:crypto'
import { exitCodeOf, exitCodeOfSignal } from '../core/exit-status.ts'
import { RecordIODecoder, frame } from '../core/recordio.ts'
import type { ContainerID, Task } from '../core/v1/messages.ts'
import { CliError, errorText, operatorCall, request } from './cluster.ts'
import { EXIT } from './exit-codes.ts'
import { resolveTask } from './tasks.ts'
import { agentOrigin } from './tls.ts'

export interface TaskContainer { task: Task; agent: string; containerId: ContainerID; tty: boolean }

/** The running container of a task (by id, prefix or name) and the address of its agent. */
export async function findTaskContainer(master: string, ref: string): Promise<TaskContainer> {
  const { task } = await resolveTask(master, ref, { activeOnly: true })
  if (task.state !== 'TASK_RUNNING') throw new CliError(`task ${task.task_id.value} is ${task.state}, not running`)
  const containerId = [...(task.statuses ?? [])].reverse().find(s => s.container_status?.container_id)?.container_status?.container_id
  if (!containerId) throw new CliError(`task ${task.task_id.value} has no container id in its status yet`)
  const r = await operatorCall<{ agents?: { agent_info: { id?: { value: string } }; pid?: string }[] }>(master, 'GET_AGENTS')
  const agent = r.agents?.find(a => a.agent_info.id?.value === task.agent_id.value)?.pid?.split('@')[1]
  if (!agent) throw new CliError(`the agent of task ${task.task_id.value} (${task.agent_id.value}) is not registered`)
  return { task, agent, containerId, tty: !!task.container?.tty_info }
}

type Out = (stream: 'stdout' | 'stderr', data: Uint8Array) => void

/** POSTs a call that answers with a ProcessIO RecordIO stream; resolves when the stream ends. */
async function streamOutput(agent: string, call: unknown, onData: Out, signal: AbortSignal, onOpen: () => void): Promise<void> {
  const res = await request(`${agentOrigin(agent)}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/recordio', 'Message-Accept': 'application/json' },
    body: JSON.stringify(call),
    signal,
  })
  if (res.status !== 200) {
    const msg = await errorText(res)
    if (msg.includes('I/O switchboard server was disabled')) throw new CliError('the task was launched without a TTY and takes no input')
    throw new CliError(`${(call as { type: string }).type} failed: ${msg}`)
  }
  onOpen()
  const dec = new RecordIODecoder()
  try {
    for await (const chunk of res.body!) {
      for (const rec of dec.push(chunk)) {
        const pio = JSON.parse(new TextDecoder().decode(rec))
        if (pio.type === 'DATA' && pio.data?.data) onData(pio.data.type === 'STDERR' ? 'stderr' : 'stdout', Buffer.from(pio.data.data, 'base64'))
      }
    }
  } catch (err) {
    if (!signal.aborted) throw new CliError(`the output stream broke: ${(err as Error).message}`)
  }
}

/** The body of ATTACH_CONTAINER_INPUT: CONTAINER_ID, then ProcessIO records as they are produced. */
class InputStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>
  readonly body: ReadableStream<Uint8Array>
  private closed = false
  constructor(containerId: ContainerID) {
    this.body = new ReadableStream({ start: c => { this.controller = c } })
    this.record({ type: 'CONTAINER_ID', container_id: containerId })
  }
  private record(attach: unknown) {
    if (this.closed) return
    this.controller.enqueue(frame(JSON.stringify({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: attach })))
  }
  stdin(data: Uint8Array) { this.record({ type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: Buffer.from(data).toString('base64') } } }) }
  size(rows: number, columns: number) { this.record({ type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows, columns } } } } }) }
  heartbeat() { this.record({ type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30e9 } } } } }) }
  end() { if (this.closed) return; this.stdin(new Uint8Array(0)); this.closed = true; this.controller.close() }
  abort() { if (this.closed) return; this.closed = true; try { this.controller.close() } catch { /* closed */ } }
}

export interface InteractiveOptions {
  /** Put the local terminal in raw mode and forward window sizes. */
  tty: boolean
  /** Forward local stdin. */
  stdin: boolean
  /** Bytes that detach (attach: Ctrl-P Ctrl-Q). */
  detachKeys?: number[]
  /** ssh-style `~.` at the start of a line disconnects (exec). */
  tildeEscape?: boolean
}

/** Local terminal handling: raw mode, resize forwarding, restoring the terminal on every exit path. */
class Terminal {
  private raw = false
  private onWinch?: () => void
  enter(resize: (rows: number, cols: number) => void) {
    if (process.stdin.isTTY) { process.stdin.setRawMode(true); this.raw = true }
    const send = () => { if (process.stdout.rows && process.stdout.columns) resize(process.stdout.rows, process.stdout.columns) }
    this.onWinch = send
    process.on('SIGWINCH', send)
    send()
  }
  restore() {
    if (this.onWinch) process.off('SIGWINCH', this.onWinch)
    if (this.raw) { try { process.stdin.setRawMode(false) } catch { /* not a tty any more */ } this.raw = false }
  }
}

/** Watches typed bytes for the detach sequence and the `~.` escape. */
function escapeWatcher(o: InteractiveOptions, onEscape: () => void) {
  let detachPos = 0
  let lineStart = true
  let tilde = false
  return (chunk: Uint8Array): Uint8Array => {
    const keep: number[] = []
    for (const b of chunk) {
      if (o.detachKeys?.length) {
        if (b === o.detachKeys[detachPos]) {
          detachPos++
          if (detachPos === o.detachKeys.length) { onEscape(); return new Uint8Array(0) }
          continue
        }
        for (let i = 0; i < detachPos; i++) keep.push(o.detachKeys[i]!)
        detachPos = 0
      }
      if (o.tildeEscape) {
        if (tilde) {
          tilde = false
          if (b === 0x2e) { onEscape(); return new Uint8Array(0) }
          keep.push(0x7e)
        } else if (lineStart && b === 0x7e) { tilde = true; lineStart = false; continue }
      }
      keep.push(b)
      lineStart = b === 0x0d || b === 0x0a
    }
    return new Uint8Array(keep)
  }
}

/**
 * Runs one interactive session: `open` starts the output stream, input is attached to `inputContainer` when asked
 * for. Resolves 'ended' when the output ends, 'detached' when the user detached.
 */
async function interactive(agent: string, inputContainer: ContainerID, o: InteractiveOptions, open: (out: Out, signal: AbortSignal, onOpen: () => void) => Promise<void>): Promise<'ended' | 'detached'> {
  const abort = new AbortController()
  const term = new Terminal()
  let detached = false
  const out: Out = (s, d) => { (s === 'stdout' ? process.stdout : process.stderr).write(d) }
  let input: InputStream | undefined
  let inputDone: Promise<unknown> = Promise.resolve()
  let heartbeat: ReturnType<typeof setInterval> | undefined
  const stdinListeners: (() => void)[] = []
  const cleanup = () => {
    clearInterval(heartbeat)
    for (const off of stdinListeners) off()
    term.restore()
  }
  const onSignal = () => { cleanup(); process.exit(exitCodeOfSignal('SIGINT')) }
  process.once('SIGTERM', onSignal)
  try {
    let opened!: () => void
    const isOpen = new Promise<void>(r => { opened = r })
    const output = open(out, abort.signal, opened)
    if (o.stdin) {
      // Input attaches once the output stream is open: the session's container exists by then.
      await Promise.race([isOpen, output.catch(() => {})])
      input = new InputStream(inputContainer)
      inputDone = request(`${agentOrigin(agent)}/api/v1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', Accept: 'application/json' },
        body: input.body,
        duplex: 'half',
        signal: abort.signal,
      } as RequestInit).then(async r => {
        if (r.status !== 200 && !abort.signal.aborted) process.stderr.write(`error: attaching input failed: ${await errorText(r)}\n`)
      }).catch(() => {})
      heartbeat = setInterval(() => input!.heartbeat(), 30_000)
      if (o.tty) term.enter((rows, cols) => input!.size(rows, cols))
      const filter = escapeWatcher(o, () => { detached = true; abort.abort(); input?.abort() })
      const onData = (chunk: Buffer) => {
        const data = filter(new Uint8Array(chunk))
        if (data.length) input!.stdin(data)
      }
      const onEnd = () => { if (o.tty) input!.stdin(new Uint8Array([4])); else input!.end() }
      process.stdin.on('data', onData)
      process.stdin.once('end', onEnd)
      stdinListeners.push(() => { process.stdin.off('data', onData); process.stdin.off('end', onEnd); process.stdin.pause() })
    }
    await output.catch(err => { if (!detached) throw err })
    return detached ? 'detached' : 'ended'
  } finally {
    input?.abort()
    abort.abort()
    cleanup()
    process.off('SIGTERM', onSignal)
    await Promise.race([inputDone, Bun.sleep(200)])
  }
}

type WaitCall = 'WAIT_CONTAINER' | 'WAIT_NESTED_CONTAINER'

/** Waits for a container to end (the agent answers then). */
function waitCall(agent: string, type: WaitCall, containerId: ContainerID): Promise<Response> {
  return request(`${agentOrigin(agent)}/api/v1`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type, [type.toLowerCase()]: { container_id: containerId } }),
  })
}

/** The exit code of a WAIT answer's `exit_status` (a raw wait status; docs/exit-status.md), 1 without one. */
async function exitCodeOfWait(res: Response, type: WaitCall): Promise<number> {
  const body = (await res.json()) as Record<string, { exit_status?: number } | undefined>
  const waitStatus = body[type.toLowerCase()]?.exit_status
  return waitStatus === undefined ? EXIT.FAILED : exitCodeOf(waitStatus)
}

async function waitContainer(agent: string, containerId: ContainerID): Promise<number> {
  const res = await waitCall(agent, 'WAIT_NESTED_CONTAINER', containerId)
  if (!res.ok) throw new CliError(`waiting for the session failed: ${await errorText(res)}`)
  return exitCodeOfWait(res, 'WAIT_NESTED_CONTAINER')
}

/** `meso task exec`: runs argv in the task's container; returns the command's exit code. */
export async function execInTask(master: string, ref: string, argv: string[], o: { interactive: boolean; tty: boolean }): Promise<number> {
  const { agent, containerId } = await findTaskContainer(master, ref)
  const session: ContainerID = { value: randomUUID(), parent: containerId }
  const container: Record<string, unknown> = { type: 'MESOS' }
  if (o.tty) container.tty_info = process.stdout.rows ? { window_size: { rows: process.stdout.rows, columns: process.stdout.columns } } : {}
  const call = {
    type: 'LAUNCH_NESTED_CONTAINER_SESSION',
    launch_nested_container_session: { container_id: session, command: { shell: false, value: argv[0], arguments: argv }, ...(o.tty ? { container } : {}) },
  }
  const how = await interactive(agent, session, { tty: o.tty, stdin: o.interactive || o.tty, tildeEscape: o.tty }, (out, signal, onOpen) => streamOutput(agent, call, out, signal, onOpen))
  if (how === 'detached') { process.stderr.write('\r\n[disconnected]\r\n'); return 0 }
  return waitContainer(agent, session)
}

/** `meso task attach`: the task's console (TTY) or its output; returns the task's exit code when it ends. */
export async function attachToTask(master: string, ref: string, o: { noStdin: boolean; detachKeys: number[] }): Promise<number> {
  const { agent, containerId, tty, task } = await findTaskContainer(master, ref)
  return (await attachContainer(agent, containerId, task.task_id.value, { tty, noStdin: o.noStdin, detachKeys: o.detachKeys })).code
}

/** Attaches to a container's output (and, for a TTY, its input) until it ends or the user detaches. */
export async function attachContainer(agent: string, containerId: ContainerID, name: string, o: { tty: boolean; noStdin: boolean; detachKeys: number[] }): Promise<{ code: number; detached: boolean }> {
  const tty = o.tty
  const task = { task_id: { value: name } }
  const call = { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: containerId } }
  const withInput = tty && !o.noStdin
  const how = await interactive(agent, containerId, { tty: withInput, stdin: withInput, detachKeys: withInput ? o.detachKeys : undefined }, (out, signal, onOpen) => streamOutput(agent, call, out, signal, onOpen))
  if (how === 'detached') { process.stderr.write(`\r\n[detached from ${task.task_id.value}; it keeps running]\r\n`); return { code: 0, detached: true } }
  const res = await waitCall(agent, 'WAIT_CONTAINER', containerId)
  return { code: res.ok ? await exitCodeOfWait(res, 'WAIT_CONTAINER') : 0, detached: false }
}

/** `--detach-keys ctrl-p,ctrl-q` → bytes. */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map(k => {
    const m = /^ctrl-([a-z@\[\\\]^_])$/i.exec(k.trim())
    if (m) return m[1]!.toUpperCase().charCodeAt(0) - 64
    if (k.trim().length === 1) return k.trim().charCodeAt(0)
    throw new CliError(`bad --detach-keys entry '${k}' (use e.g. ctrl-p,ctrl-q)`, EXIT.USAGE)
  })
}
