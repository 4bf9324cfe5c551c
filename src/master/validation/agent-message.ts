// Messages from agents are checked at the link (agent-link.ts) before any transition sees them: the right shape
// for their type, ids that are non-empty strings, states the master knows. An agent speaking nonsense (a bug, a
// version skew, someone else on the port) gets its message dropped with a log line, not a crash deep in the master.
// IDs follow Mesos' validateID and free text has the limits of fields.ts (docs/security-input.md): without
// --authenticate_agents, anyone can open a link and send a REGISTER.

import type { AgentMessage } from '../../core/agent-protocol.ts'
import { TASK_STATES } from '../../core/v1/messages.ts'
import { idError, MAX_NAME_LENGTH } from './fields.ts'

type Check = (m: Record<string, unknown>) => string | undefined

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const id = (v: unknown) => typeof v === 'string' && idError(v) === undefined
const name = (v: unknown) => typeof v === 'string' && v.length <= MAX_NAME_LENGTH
const wireId = (v: unknown) => isObject(v) && id(v.value)
const taskState = (v: unknown) => typeof v === 'string' && (TASK_STATES as readonly string[]).includes(v)

function fields(spec: Record<string, (v: unknown) => boolean>): Check {
  return m => {
    for (const [k, ok] of Object.entries(spec)) if (!ok(m[k])) return `bad or missing '${k}'`
    return undefined
  }
}

const every = (ok: (v: unknown) => boolean) => (v: unknown) => Array.isArray(v) && v.every(ok)
const agentInfo = (v: unknown) => isObject(v) && name(v.hostname) && (v.resources === undefined || Array.isArray(v.resources)) && (v.id === undefined || wireId(v.id))
const registration = {
  agent_info: agentInfo,
  version: name,
  capabilities: every(v => typeof v === 'string'),
  protocol: (v: unknown) => typeof v === 'number',
  pid: name,
  // Reservations and volumes the agent holds; their content is checked where they are applied (operations/).
  checkpointed_resources: (v: unknown) => v === undefined || every(isObject)(v),
}
const task = (v: unknown) => isObject(v) && wireId(v.task_id) && wireId(v.framework_id) && taskState(v.state)
const status = (v: unknown) => isObject(v) && wireId(v.task_id) && taskState(v.state) && (v.uuid === undefined || typeof v.uuid === 'string')

const CHECKS: Record<AgentMessage['type'], Check> = {
  REGISTER: fields(registration),
  REREGISTER: fields({
    ...registration,
    frameworks: every(f => isObject(f) && (f.id === undefined || wireId(f.id))),
    executors: every(e => isObject(e) && id(e.framework_id) && isObject(e.executor_info) && wireId(e.executor_info.executor_id)),
    tasks: every(task),
  }),
  STATUS_UPDATE: fields({ update: u => isObject(u) && id(u.framework_id) && status(u.status) && (u.latest_state === undefined || taskState(u.latest_state)) }),
  LATEST_STATE: fields({ framework_id: id, task_id: id, state: taskState }),
  EXECUTOR_MESSAGE: fields({ framework_id: id, executor_id: id, data: v => typeof v === 'string' }),
  EXITED_EXECUTOR: fields({ framework_id: id, executor_id: id, status: v => v === undefined || Number.isInteger(v) }),
  PONG: fields({ seq: v => Number.isInteger(v) }),
}

/** The message, typed, or why it is not one. */
export function parseAgentMessage(value: unknown): { message: AgentMessage } | { error: string } {
  if (!isObject(value)) return { error: 'not a JSON object' }
  const type = value.type
  const check = typeof type === 'string' ? CHECKS[type as AgentMessage['type']] : undefined
  if (!check) return { error: `unknown message type ${JSON.stringify(type)?.slice(0, 40)}` }
  const problem = check(value)
  return problem ? { error: `${type}: ${problem}` } : { message: value as unknown as AgentMessage }
}
