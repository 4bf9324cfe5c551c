// The master's end of the internal agent protocol (src/core/agent-protocol.ts): one WebSocket per agent.
// Messages are limited in size (--max_agent_message_size: Bun closes a link that sends a bigger one, code 1009) and
// read under the JSON limits (docs/security-input.md): without --authenticate_agents anyone may open a link.

import type { ServerWebSocket } from 'bun'
import type { MasterMessage } from '../core/agent-protocol.ts'
import { AGENT_PROTOCOL_VERSION } from '../core/agent-protocol.ts'
import { limitsFor } from '../core/http/server-limits.ts'
import { logger } from '../core/log.ts'
import { parseAgentJson } from './agent-message-json.ts'
import type { Master } from './master.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'
import { parseAgentMessage } from './validation/agent-message.ts'

const log = logger('agent-link')

export interface LinkData { link?: AgentLink; agent?: RegisteredAgent; remote: string }

export function agentWebSocketHandlers(getMaster: () => Master) {
  return {
    idleTimeout: 0,
    // The master's limits are recorded by serveOptions, which server.ts spreads into Bun.serve before this.
    maxPayloadLength: limitsFor('master').maxAgentMessageBytes,
    open(ws: ServerWebSocket<LinkData>) {
      ws.data.link = corkedLink(ws)
    },
    message(ws: ServerWebSocket<LinkData>, raw: string | Buffer) {
      let parsed: ReturnType<typeof parseAgentMessage>
      try {
        parsed = parseAgentMessage(parseAgentJson(typeof raw === 'string' ? raw : raw.toString('utf8'), limitsFor('master').json))
      } catch (err) {
        parsed = { error: `not JSON: ${(err as Error).message}` }
      }
      if ('error' in parsed) {
        log.warn(`Dropping malformed message from agent link ${ws.data.agent?.id ?? ws.data.remote}: ${parsed.error}`)
        getMaster().state.metrics.inc('master/dropped_messages')
        return
      }
      const msg = parsed.message
      const link = ws.data.link!
      const master = getMaster()
      try {
        if (msg.type === 'REGISTER' || msg.type === 'REREGISTER') {
          if (msg.protocol !== AGENT_PROTOCOL_VERSION) {
            link.send({ type: 'SHUTDOWN', message: `Unsupported agent protocol version ${msg.protocol} (master speaks ${AGENT_PROTOCOL_VERSION})` })
            link.close('protocol mismatch')
            return
          }
          ws.data.agent = msg.type === 'REGISTER' || !msg.agent_info.id
            ? master.registerAgent({ ...msg, type: 'REGISTER' }, link)
            : master.reregisterAgent(msg, link)
          return
        }
        const agent = ws.data.agent
        if (!agent || agent.link !== link) {
          log.warn(`Ignoring ${msg.type} from unregistered agent link ${ws.data.remote}`)
          master.state.metrics.inc('master/dropped_messages')
          return
        }
        master.fromAgent(agent, msg)
      } catch (err) {
        log.error(`Failed to handle ${msg.type} from ${ws.data.agent?.id ?? ws.data.remote}: ${(err as Error).stack ?? err}`)
      }
    },
    close(ws: ServerWebSocket<LinkData>) {
      if (ws.data.agent && ws.data.link) getMaster().agentDisconnected(ws.data.agent, ws.data.link)
    },
  }
}

/** Links with messages queued in this turn of the event loop; written out together when the turn ends. */
const dirty: (() => void)[] = []
let flushScheduled = false

function flushDirty() {
  flushScheduled = false
  for (const flush of dirty.splice(0)) flush()
}

/**
 * The master's sends to one agent, written out together at the end of the current turn of the event loop
 * (setImmediate): everything the master has for an agent after handling a batch of scheduler calls and agent
 * messages (the RUN_TASKs of an ACCEPT, acknowledgements, pings) leaves in one corked socket write. A write per
 * message was the largest item in a busy master's profile (one syscall, and on loopback the receiver's wake-up, per
 * message); in the placement benchmark this cut socket writes about eightfold. Messages are serialised at once
 * (they describe state that may change before the flush) and leave in order; close() flushes what is queued first.
 */
function corkedLink(ws: ServerWebSocket<LinkData>): AgentLink {
  let queue: string[] | undefined
  const flush = () => {
    const q = queue
    queue = undefined
    if (!q) return
    try {
      if (q.length === 1) ws.send(q[0]!)
      else ws.cork(() => { for (const m of q) ws.send(m) })
    } catch { /* the link closed meanwhile: the agent resends what matters when it re-registers */ }
  }
  return {
    send(msg: MasterMessage) {
      const text = JSON.stringify(msg)
      if (queue) { queue.push(text); return }
      queue = [text]
      dirty.push(flush)
      if (!flushScheduled) { flushScheduled = true; setImmediate(flushDirty) }
    },
    close(reason?: string) {
      flush()
      try { ws.close(1000, reason?.slice(0, 120)) } catch { /* already closed */ }
    },
  }
}
