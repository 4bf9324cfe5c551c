// The master's end of the internal agent protocol (src/core/agent-protocol.ts): one WebSocket per agent.

import type { ServerWebSocket } from 'bun'
import type { AgentMessage, MasterMessage } from '../core/agent-protocol.ts'
import { AGENT_PROTOCOL_VERSION } from '../core/agent-protocol.ts'
import { logger } from '../core/log.ts'
import type { Master } from './master.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'

const log = logger('agent-link')

export interface LinkData { link?: AgentLink; agent?: RegisteredAgent; remote: string }

export function agentWebSocketHandlers(getMaster: () => Master) {
  return {
    idleTimeout: 0,
    maxPayloadLength: 64 * 1024 * 1024,
    open(ws: ServerWebSocket<LinkData>) {
      ws.data.link = {
        send: (msg: MasterMessage) => { ws.send(JSON.stringify(msg)) },
        close: (reason?: string) => { try { ws.close(1000, reason?.slice(0, 120)) } catch { /* already closed */ } },
      }
    },
    message(ws: ServerWebSocket<LinkData>, raw: string | Buffer) {
      let msg: AgentMessage
      try {
        msg = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
      } catch {
        log.warn(`Dropping malformed message from agent link ${ws.data.remote}`)
        return
      }
      const link = ws.data.link!
      const master = getMaster()
      try {
        switch (msg.type) {
          case 'REGISTER':
          case 'REREGISTER': {
            if (msg.protocol !== AGENT_PROTOCOL_VERSION) {
              link.send({ type: 'SHUTDOWN', message: `Unsupported agent protocol version ${msg.protocol} (master speaks ${AGENT_PROTOCOL_VERSION})` })
              link.close('protocol mismatch')
              return
            }
            ws.data.agent = msg.type === 'REGISTER' || !msg.agent_info.id
              ? master.registerAgent({ ...msg, type: 'REGISTER' } as Extract<AgentMessage, { type: 'REGISTER' }>, link)
              : master.reregisterAgent(msg, link)
            return
          }
        }
        const agent = ws.data.agent
        if (!agent || agent.link !== link) {
          log.warn(`Ignoring ${msg.type} from unregistered agent link ${ws.data.remote}`)
          return
        }
        switch (msg.type) {
          case 'STATUS_UPDATE': master.statusUpdate(agent, msg.update); break
          case 'LATEST_STATE': master.latestState(agent, msg.framework_id, msg.task_id, msg.state); break
          case 'EXECUTOR_MESSAGE': master.executorMessage(agent, msg.framework_id, msg.executor_id, msg.data); break
          case 'EXITED_EXECUTOR': master.exitedExecutor(agent, msg.framework_id, msg.executor_id, msg.status); break
          case 'PONG': master.pong(agent, msg.seq); break
        }
      } catch (err) {
        log.error(`Failed to handle ${msg.type} from ${ws.data.agent?.id ?? ws.data.remote}: ${(err as Error).stack ?? err}`)
      }
    },
    close(ws: ServerWebSocket<LinkData>) {
      if (ws.data.agent && ws.data.link) getMaster().agentDisconnected(ws.data.agent, ws.data.link)
    },
  }
}
