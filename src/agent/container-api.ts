// The agent operator API's container calls (include/mesos/v1/agent/agent.proto in Mesos): nested containers and sessions
// (LAUNCH_NESTED_CONTAINER[_SESSION], LAUNCH/WAIT/KILL/REMOVE_[NESTED_]CONTAINER) and attach
// (ATTACH_CONTAINER_OUTPUT: a RecordIO stream of ProcessIO; ATTACH_CONTAINER_INPUT: a RecordIO request body of Calls).
// Every call is authorized first (authorization.ts, docs/security-auth.md): the containers gate wants a principal,
// then the ACLs (or an executor token's own `cid`) decide on the container's real owner.

import { EventStream } from '../core/http/event-stream.ts'
import { messageContentCodec, RECORDIO, type Codec } from '../core/http/negotiate.ts'
import { badRequest, text } from '../core/http/responses.ts'
import { logger } from '../core/log.ts'
import { RecordIODecoder } from '../core/recordio.ts'
import { decodeBody, encodeBody, messageResponse, ProtoJsonError } from '../core/v1/codec.ts'
import type { Agent } from './agent.ts'
import { authorizeContainerCall, needsPrincipal, TRUSTED_CALLER, type AgentCaller, type ContainerAction, type ContainerOwner } from './authorization.ts'
import type { CommandInfo } from '../core/v1/messages.ts'
import type { ContainerIO, Termination } from './containerizer/launcher.ts'
import { ContainerCallError, type NestedContainers } from './nested-containers.ts'
import { signalToSend } from '../core/exit-status.ts'

const log = logger('container-api')
const RESPONSE = 'mesos.v1.agent.Response'
export const NO_SWITCHBOARD = 'I/O switchboard server was disabled for this container'

/** One input attach at a time per container (Mesos semantics). */
const inputAttached = new Set<string>()

/** The executor a container (a task's, an executor's, or one nested in them) belongs to, from the agent's state. */
function ownerOf(agent: Agent, nested: NestedContainers, containerId: string): ContainerOwner | undefined {
  const n = nested.get(containerId)
  const p = nested.parent(n ? n.parentId : containerId)
  if (!p) return undefined
  return { exec: p.exec, task: p.task, rootId: p.exec.containerId, frameworkInfo: agent.frameworkInfo(p.exec.frameworkId) }
}

export function containerCalls(nested: NestedContainers, caller: AgentCaller = TRUSTED_CALLER) {
  return async (agent: Agent, call: any, req: Request, codec: Codec, recordio: boolean): Promise<Response | undefined> => {
    try {
      if (!call) return await attachInput(agent, nested, req, caller)
      const authorize = (action: ContainerAction, containerId: string, owner = ownerOf(agent, nested, containerId), command?: CommandInfo) =>
        authorizeContainerCall(caller, action, owner, containerId, command)
      const reply = (type: string, body: unknown) => messageResponse(RESPONSE, codec, { type, [type.toLowerCase()]: body })
      switch (call.type) {
        case 'LAUNCH_NESTED_CONTAINER_SESSION': {
          const c = need(call, 'launch_nested_container_session')
          const parent = c.container_id.parent?.value
          if (!parent) return badRequest("Expecting 'container_id.parent' to be present")
          const denied = authorize('LAUNCH_NESTED_CONTAINER_SESSION', c.container_id.value, ownerOf(agent, nested, parent), c.command)
          if (denied) return denied
          const n = await nested.launchSession(parent, c.container_id.value, c.command, c.container)
          const stream = outputStream(agent, n.io!, recordio ? codec : 'json', recordio, n.done)
          // The session is killed when the client goes away; the stream ends once its output has and it exited (as
          // Mesos ends it: output ends when a process closes its stdout, before its exit is known, and a close
          // then would read as the client leaving and kill a session that was about to exit 0).
          void stream.closed.then(() => nested.endSession(n.id))
          return stream.response
        }
        case 'ATTACH_CONTAINER_OUTPUT': {
          const id = need(call, 'attach_container_output').container_id.value
          const denied = authorize('ATTACH_CONTAINER_OUTPUT', id)
          if (denied) return denied
          const io = outputOf(agent, nested, id)
          if (!io) return text(404, `Container ${id} cannot be found`)
          // As Mesos: only a container with an I/O switchboard (a TTY, or a session) can be attached to. A plain
          // task's output is in its sandbox (`meso task attach` follows it there); a stream of nothing but
          // heartbeats would leave a Mesos CLI hanging.
          if (io === 'no-switchboard') return text(500, NO_SWITCHBOARD)
          return outputStream(agent, io, recordio ? codec : 'json', recordio).response
        }
        case 'LAUNCH_NESTED_CONTAINER':
        case 'LAUNCH_CONTAINER': {
          const c = need(call, call.type.toLowerCase())
          const parent = c.container_id.parent?.value
          if (!parent) return text(400, 'Standalone (top-level) containers are not supported by meso; give container_id.parent')
          const denied = authorize('LAUNCH_NESTED_CONTAINER', c.container_id.value, ownerOf(agent, nested, parent), c.command)
          if (denied) return denied
          await nested.launchContainer(parent, c.container_id.value, c.command, c.container)
          return new Response(null, { status: 200 })
        }
        case 'WAIT_NESTED_CONTAINER':
        case 'WAIT_CONTAINER': {
          const id = need(call, call.type.toLowerCase()).container_id.value
          const denied = authorize('WAIT_NESTED_CONTAINER', id)
          if (denied) return denied
          const t = await waitFor(agent, nested, id)
          if (!t) return text(404, `Container ${id} cannot be found`)
          const body: Record<string, unknown> = {}
          if (t.waitStatus !== undefined) body.exit_status = t.waitStatus
          if (t.limitation) { body.reason = t.limitation.reason; body.message = t.limitation.message; body.state = 'TASK_FAILED' }
          if (t.unknown) body.message = t.unknown
          return reply(call.type, body)
        }
        case 'KILL_NESTED_CONTAINER':
        case 'KILL_CONTAINER': {
          const c = need(call, call.type.toLowerCase())
          const denied = authorize('KILL_NESTED_CONTAINER', c.container_id.value)
          if (denied) return denied
          const signal = c.signal ?? 9
          if (nested.get(c.container_id.value)) nested.kill(c.container_id.value, signal)
          else if (agent.findTaskContainer(c.container_id.value)) await agent.containerizer.kill(c.container_id.value, signalToSend(signal))
          else return text(404, `Container ${c.container_id.value} cannot be found`)
          return new Response(null, { status: 200 })
        }
        case 'REMOVE_NESTED_CONTAINER':
        case 'REMOVE_CONTAINER': {
          const id = need(call, call.type.toLowerCase()).container_id.value
          const denied = authorize('REMOVE_NESTED_CONTAINER', id)
          if (denied) return denied
          await nested.remove(id)
          return new Response(null, { status: 200 })
        }
      }
      return undefined
    } catch (err) {
      if (err instanceof ContainerCallError) return text(err.status, err.message)
      throw err
    }
  }
}

function need(call: any, key: string) {
  if (call[key] === undefined) throw new ContainerCallError(400, `Failed to validate agent::Call: Expecting '${key}' to be present`)
  return call[key]
}


/** What to stream for ATTACH_CONTAINER_OUTPUT: a session's or a TTY container's switchboard; none for a plain task. */
function outputOf(agent: Agent, nested: NestedContainers, id: string): ContainerIO | 'no-switchboard' | undefined {
  const n = nested.get(id)
  if (n) return n.io ?? 'no-switchboard'
  if (!nested.parent(id)) return undefined
  return agent.containerizer.io(id) ?? 'no-switchboard'
}

async function waitFor(agent: Agent, nested: NestedContainers, id: string): Promise<Termination | undefined> {
  const n = nested.get(id)
  if (n) return n.done
  if (agent.findTaskContainer(id)) return agent.containerizer.wait(id)
  return undefined
}

/** A RecordIO stream of ProcessIO records with CONTROL heartbeats; ends with the output. */
function outputStream(agent: Agent, io: ContainerIO, codec: Codec, recordio: boolean, endAfter?: Promise<unknown>) {
  const headers: Record<string, string> = recordio
    ? { 'Content-Type': RECORDIO, 'Message-Content-Type': codec === 'json' ? 'application/json' : 'application/x-protobuf' }
    : { 'Content-Type': 'application/json' }
  const stream = new EventStream(headers)
  const send = (pio: unknown) => stream.send(encodeBody('mesos.v1.agent.ProcessIO', codec, pio))
  const intervalMs = agent.flags.http_heartbeat_interval
  const beat = () => send({ type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: intervalMs * 1e6 } } } })
  // A first heartbeat right away: the response (headers included) only leaves with its first bytes, and a quiet
  // container would otherwise leave the client waiting before it may attach its input.
  beat()
  const heartbeat = setInterval(beat, intervalMs)
  const unsubscribe = io.onOutput(
    (s, data) => send({ type: 'DATA', data: { type: s === 'stdout' ? 'STDOUT' : 'STDERR', data: Buffer.from(data).toString('base64') } }),
    () => { void (endAfter ?? Promise.resolve()).then(() => { clearInterval(heartbeat); stream.close() }) },
  )
  void stream.closed.then(() => { clearInterval(heartbeat); unsubscribe() })
  return stream
}

/** ATTACH_CONTAINER_INPUT: a RecordIO body of agent Calls; answered when the body ends. */
async function attachInput(agent: Agent, nested: NestedContainers, req: Request, caller: AgentCaller): Promise<Response> {
  // The gate needs no record: an anonymous caller is turned away before its stream is read.
  const anonymous = needsPrincipal(caller)
  if (anonymous) return anonymous
  const codec = messageContentCodec(req)
  if (codec instanceof Response) return codec
  if (!req.body) return badRequest('Expecting a streaming body')
  const dec = new RecordIODecoder()
  const reader = req.body.getReader()
  // A client that goes away mid-stream (detach, kill) must not keep the container's single input slot.
  req.signal.addEventListener('abort', () => { reader.cancel().catch(() => {}) })
  let io: ContainerIO | undefined
  let id: string | undefined
  let first = true
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      for (const rec of dec.push(value)) {
        let call: any
        try { call = decodeBody('mesos.v1.agent.Call', codec, rec) } catch (err) {
          if (err instanceof ProtoJsonError) return badRequest(`Failed to parse a record of the input stream: ${err.message}`)
          throw err
        }
        const input = call.attach_container_input
        // upstream Http::_api: a streaming body is only for ATTACH_CONTAINER_INPUT.
        if (first && call.type !== 'ATTACH_CONTAINER_INPUT') return text(415, `Streaming 'Content-Type' ${RECORDIO} is not supported for ${call.type} call`)
        if (call.type !== 'ATTACH_CONTAINER_INPUT' || !input) return badRequest("Expecting records of type 'ATTACH_CONTAINER_INPUT'")
        if (first) {
          first = false
          if (input.type !== 'CONTAINER_ID' || !input.container_id) return badRequest("Expecting the first record to be of type 'CONTAINER_ID'")
          id = input.container_id.value as string
          const denied = authorizeContainerCall(caller, 'ATTACH_CONTAINER_INPUT', ownerOf(agent, nested, id), id)
          if (denied) return denied
          const n = nested.get(id)
          io = n ? n.io : agent.findTaskContainer(id) ? agent.containerizer.io(id) : undefined
          if (!n && !agent.findTaskContainer(id)) return text(404, `Container ${id} cannot be found`)
          if (!io || !io.stdin) return text(500, NO_SWITCHBOARD)
          if (inputAttached.has(id)) return text(409, `Another input attach to container ${id} is in progress`)
          inputAttached.add(id)
          continue
        }
        if (input.type !== 'PROCESS_IO' || !input.process_io) continue
        const pio = input.process_io
        if (pio.type === 'DATA' && pio.data?.type === 'STDIN') {
          const bytes = Buffer.from(pio.data.data ?? '', 'base64')
          if (bytes.length) io!.writeStdin(bytes)
          else io!.closeStdin()
        } else if (pio.type === 'CONTROL' && pio.control?.type === 'TTY_INFO') {
          const ws = pio.control.tty_info?.window_size
          if (ws?.rows && ws?.columns) io!.resize(ws.rows, ws.columns)
        }
      }
    }
  } catch (err) {
    log.debug(`Input attach to ${id ?? '?'} ended: ${(err as Error).message}`)
  } finally {
    if (id && io) inputAttached.delete(id)
  }
  if (first) return badRequest('Received EOF while reading request body')
  return new Response(null, { status: 200 })
}
