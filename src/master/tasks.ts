// Task transitions: launch (after offers.ts has paid for it), status updates and their latest state, acknowledgements,
// kills, reconciliation, removal once terminal and acknowledged; executor messages and exits. Mesos does the same
// in src/master/master.cpp (Master::_accept, Master::statusUpdate, Master::acknowledge, Master::kill,
// Master::reconcile, Master::removeTask).

import { logger } from '../core/log.ts'
import type { AgentMessage, MasterMessage, StatusUpdate } from '../core/agent-protocol.ts'
import type { SecretValues } from '../core/secrets/task-secrets.ts'
import type { ExecutorInfo, KillPolicy, Task, TaskInfo, TaskState, TaskStatus } from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import type { Framework } from './framework.ts'
import { maybeAutoTeardown } from './frameworks.ts'
import { withAllocationRole } from './offers.ts'
import { reconcile } from './reconciliation.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { resourcesOf, sharedResourceList } from './resource-lists.ts'
import type { Step } from './state.ts'
import { storedStatus } from './stored-status.ts'
import { masterStatus } from './task-status.ts'

const log = logger('master')

/** Statuses kept per task (the newest). */
const MAX_STATUSES = 16

/** A task the master refuses before it reaches an agent: TASK_ERROR with the reason. */
export function rejectTask({ s, out, now }: Step, fw: Framework, task: TaskInfo, reason: string, message: string) {
  log.warn(`Framework ${fw.id}: task ${task.task_id.value} rejected: ${message}`)
  s.metrics.inc('master/tasks_error')
  out.toFramework(fw, { type: 'UPDATE', update: { status: masterStatus(now, task.task_id.value, 'TASK_ERROR', reason, message) } })
}

function newTask(fw: Framework, agent: RegisteredAgent, info: TaskInfo, role: string, executorId?: string): Task {
  const task: Task = {
    // A scheduler that names its tasks by their ids (most do) would otherwise leave two equal strings per task.
    name: info.name === info.task_id.value ? info.task_id.value : info.name,
    task_id: info.task_id,
    framework_id: fw.wireId,
    agent_id: agent.wireId,
    state: 'TASK_STAGING',
    resources: sharedResourceList(withAllocationRole(info.resources, role).toWire(true)),
    statuses: [],
    user: info.command?.user ?? fw.info.user,
  }
  if (executorId) task.executor_id = { value: executorId }
  if (info.labels) task.labels = info.labels
  if (info.discovery) task.discovery = info.discovery
  if (info.container) task.container = info.container
  if (info.health_check) task.health_check = info.health_check
  if (info.kill_policy) task.kill_policy = info.kill_policy
  return task
}

function trackTask({ s, out }: Step, fw: Framework, agent: RegisteredAgent, task: Task) {
  fw.tasks.set(task.task_id.value, task)
  agent.tasks.set(task)
  s.metrics.taskState(undefined, task.state)
  out.publish('TASK_ADDED', { task })
}

function trackExecutor(fw: Framework, agent: RegisteredAgent, executor: ExecutorInfo): ExecutorInfo {
  const e = { ...executor, framework_id: { value: fw.id } }
  fw.executorsOn(agent.id).set(e.executor_id.value, e)
  agent.executorsOf(fw.id).set(e.executor_id.value, e)
  return e
}

/**
 * LAUNCH of one validated, paid-for task: tracked as STAGING and sent to its agent. `info` is already redacted
 * (src/core/secrets/task-secrets.ts); `secrets` are its values, sent beside it and kept nowhere.
 */
export function launchTask(step: Step, fw: Framework, agent: RegisteredAgent, info: TaskInfo, role: string, secrets?: SecretValues) {
  const executor = info.executor ? trackExecutor(fw, agent, { ...info.executor, resources: withAllocationRole(info.executor.resources, role).toWire(true) }) : undefined
  const task = newTask(fw, agent, info, role, executor?.executor_id.value)
  trackTask(step, fw, agent, task)
  const wire: TaskInfo = { ...info, resources: task.resources }
  if (executor) wire.executor = executor
  const msg: MasterMessage = { type: 'RUN_TASK', framework: fw.info, task: wire }
  if (secrets && Object.keys(secrets).length) msg.secrets = secrets
  step.out.toAgent(agent, msg)
}

/** LAUNCH_GROUP: the tasks share one executor and go to the agent in one message. */
export function launchTaskGroup(step: Step, fw: Framework, agent: RegisteredAgent, executorInfo: ExecutorInfo, infos: TaskInfo[], role: string, secrets?: Record<string, SecretValues>) {
  const executor = trackExecutor(fw, agent, { ...executorInfo, resources: withAllocationRole(executorInfo.resources, role).toWire(true) })
  const wires: TaskInfo[] = []
  for (const info of infos) {
    const task = newTask(fw, agent, info, role, executor.executor_id.value)
    trackTask(step, fw, agent, task)
    wires.push({ ...info, resources: task.resources })
  }
  const msg: MasterMessage = { type: 'RUN_TASK_GROUP', framework: fw.info, executor, tasks: wires }
  if (secrets && Object.keys(secrets).length) msg.secrets = secrets
  step.out.toAgent(agent, msg)
  log.info(`Launching task group [${infos.map(t => t.task_id.value).join(', ')}] of framework ${fw.id} on agent ${agent.id}`)
}

/** KILL: to the task's agent, or queued for when it re-registers; an unknown task is answered as reconciliation. */
export function kill(step: Step, fw: Framework, taskId: string, agentId: string | undefined, killPolicy?: KillPolicy) {
  const { s, out, now } = step
  const task = fw.tasks.get(taskId)
  if (!task) {
    // Unknown task: answer as explicit reconciliation would (Mesos does the same).
    for (const status of reconcile(s.reconciliationView(fw), [{ task_id: { value: taskId }, agent_id: agentId ? { value: agentId } : undefined }], now)) {
      out.toFramework(fw, { type: 'UPDATE', update: { status } })
    }
    return
  }
  const agent = s.agents.get(task.agent_id.value)
  if (!agent) return
  const msg: MasterMessage = { type: 'KILL_TASK', framework_id: fw.id, task_id: taskId }
  if (killPolicy) msg.kill_policy = killPolicy
  if (!out.toAgent(agent, msg)) {
    agent.pendingKills.set(`${fw.id}/${taskId}`, killPolicy ? { frameworkId: fw.id, taskId, killPolicy } : { frameworkId: fw.id, taskId })
    log.info(`Agent ${agent.id} is not connected; kill of task ${taskId} will be sent when it re-registers`)
  }
}

/** RECONCILE: the master's view of the named tasks, or of all of the framework's tasks when none are named. */
export function reconcileTasks({ s, out, now }: Step, fw: Framework, tasks: { task_id: { value: string }; agent_id?: { value: string } }[]) {
  for (const status of reconcile(s.reconciliationView(fw), tasks, now)) out.toFramework(fw, { type: 'UPDATE', update: { status } })
}

/** ACKNOWLEDGE: forwarded to the agent (or kept for its re-registration); a terminal task is then done. */
export function acknowledge(step: Step, fw: Framework, agentId: string, taskId: string, uuid: string) {
  const { s, out } = step
  const task = fw.tasks.get(taskId) ?? fw.unreachableTasks.get(taskId)
  if (task && task.status_update_uuid === uuid && isTerminal(task.status_update_state)) removeTask(step, task)
  // The task's own copy of the uuid when it is the one acknowledged: the request's copy would be kept a second time.
  fw.recordAck(taskId, task?.status_update_uuid === uuid ? task.status_update_uuid : uuid)
  const agent = s.agents.get(agentId)
  if (agent && !out.toAgent(agent, { type: 'ACKNOWLEDGE', framework_id: fw.id, task_id: taskId, uuid })) {
    // Replayed when the agent re-registers, so it does not resend what the framework already has.
    const key = `${fw.id}/${taskId}`
    agent.pendingAcks.set(key, [...(agent.pendingAcks.get(key) ?? []), uuid])
  }
  s.metrics.inc('master/valid_status_update_acknowledgements')
}

/**
 * Applies a status to a task: latest state, statuses history, operator event, resources back to the allocator
 * when it ends. `forward` sends it on to the framework (with its uuid, when an agent's status update manager sent
 * it, for acknowledgement).
 */
export function applyStatus(step: Step, task: Task, status: TaskStatus, latestState: TaskState | undefined, forward = true) {
  const { s, out, now } = step
  const fw = s.frameworks.get(task.framework_id.value)
  const prev = task.state
  // A terminal task stays as it ended (Master::updateTask): a late or retried update cannot move it again.
  const next = isTerminal(prev) ? prev : latestState ?? status.state
  // A status of the same state as the newest replaces it, as in Mesos: an agent retrying an update (or a stream of
  // health checks) does not pile up copies.
  const kept = task.statuses ?? []
  task.statuses = [...(kept.at(-1)?.state === status.state ? kept.slice(0, -1) : kept), storedStatus(task, withSharedExecutorId(task, status))]
  if (task.statuses.length > MAX_STATUSES) task.statuses.splice(0, task.statuses.length - MAX_STATUSES)
  task.state = next
  if (status.uuid) {
    task.status_update_state = status.state
    task.status_update_uuid = status.uuid
  }
  if (prev !== next) {
    s.metrics.taskState(prev, next)
    out.publish('TASK_UPDATED', { framework_id: task.framework_id, status, state: next })
  }
  const agent = s.agents.get(task.agent_id.value)
  if (!isTerminal(prev) && isTerminal(next) && agent) {
    // Resources come back as soon as the master learns the task is done, acked or not.
    s.allocator.recoverResources(task.framework_id.value, agent.id, resourcesOf(task.resources), undefined, now)
    out.allocate()
  }
  if (forward && fw) out.toFramework(fw, { type: 'UPDATE', update: { status } })
  if (fw && isTerminal(next) && !fw.connected) maybeAutoTeardown(step, fw)
}

/**
 * `status` to be stored, its executor id replaced by an equal `{ value }` the task already holds: a command task's
 * executor is named after the task, so at 100k tasks this is 100k objects and strings fewer. Only a bare id is
 * swapped (an id with other fields would not write the same JSON), and nothing modifies a stored id in place.
 */
export function withSharedExecutorId(task: Task, status: TaskStatus): TaskStatus {
  const id = status.executor_id
  if (!id || id === task.executor_id || id === task.task_id) return status
  const shared = task.executor_id?.value === id.value ? task.executor_id : task.task_id.value === id.value ? task.task_id : undefined
  if (!shared || !isBareId(id) || !isBareId(shared)) return status
  return { ...status, executor_id: shared }
}

function isBareId(id: object): boolean {
  let n = 0
  for (const k in id) if (k !== 'value' || ++n > 1) return false
  return n === 1
}

/** Moves a task out of the active set (terminal and acknowledged, or its framework or agent is gone). */
export function removeTask({ s, now }: Step, task: Task, fw = s.frameworks.get(task.framework_id.value)) {
  const fwId = task.framework_id.value
  const agent = s.agents.get(task.agent_id.value)
  if (!isTerminal(task.state) && agent) s.allocator.recoverResources(fwId, agent.id, resourcesOf(task.resources), undefined, now)
  agent?.tasks.delete(fwId, task.task_id.value)
  agent?.pendingKills.delete(`${fwId}/${task.task_id.value}`)
  if (fw) {
    fw.tasks.delete(task.task_id.value)
    fw.unreachableTasks.delete(task.task_id.value)
    fw.addCompleted(task, s.flags.max_completed_tasks_per_framework)
  }
}

/** Ends a task the master will not hear of again (agent lost, gone or re-registered without it). */
export function endTask(step: Step, task: Task, state: TaskState, reason: string, message: string, extra: Partial<TaskStatus> = {}) {
  applyStatus(step, task, masterStatus(step.now, task.task_id.value, state, reason, message, { agent_id: task.agent_id, ...extra }), undefined)
  removeTask(step, task)
}

/** A status update relayed by an agent's status update manager. */
export function statusUpdate(step: Step, agent: RegisteredAgent, update: StatusUpdate) {
  const { s, out } = step
  const fw = s.frameworks.get(update.framework_id)
  const status = { ...update.status, agent_id: agent.wireId }
  if (!fw) {
    // Framework gone for good: acknowledge so the agent stops retrying.
    if (s.completedFrameworks.some(f => f.id === update.framework_id) && status.uuid) {
      out.toAgent(agent, { type: 'ACKNOWLEDGE', framework_id: update.framework_id, task_id: status.task_id.value, uuid: status.uuid })
    }
    s.metrics.inc('master/invalid_status_updates')
    return
  }
  if (status.uuid && fw.wasAcked(status.task_id.value, status.uuid)) {
    // A retry of an update the framework already acknowledged (the ack was lost on the way): ack it again.
    out.toAgent(agent, { type: 'ACKNOWLEDGE', framework_id: fw.id, task_id: status.task_id.value, uuid: status.uuid })
    return
  }
  const task = fw.tasks.get(status.task_id.value) ?? fw.unreachableTasks.get(status.task_id.value)
  s.metrics.inc('master/valid_status_updates')
  if (!task) {
    // Unknown to the master (e.g. acknowledged already); still forward so the scheduler can acknowledge.
    out.toFramework(fw, { type: 'UPDATE', update: { status } })
    return
  }
  applyStatus(step, task, status, update.latest_state)
}

/** The agent has a newer state for a task whose older update is still unacknowledged. */
export function latestState(step: Step, agent: RegisteredAgent, msg: Extract<AgentMessage, { type: 'LATEST_STATE' }>) {
  const { s, out, now } = step
  const { framework_id: frameworkId, task_id: taskId, state } = msg
  const fw = s.frameworks.get(frameworkId)
  const task = fw?.tasks.get(taskId) ?? fw?.unreachableTasks.get(taskId)
  if (!fw || !task || task.agent_id.value !== agent.id || task.state === state || isTerminal(task.state)) return
  const prev = task.state
  task.state = state
  s.metrics.taskState(prev, state)
  // Operator subscribers hear of every change of a task's latest state, as in Mesos (where the latest state rides
  // on the status update itself). Without this, a task whose later updates queue behind an unacknowledged one
  // reached TASK_FINISHED with no TASK_UPDATED at all: by the time its updates arrived, nothing changed any more.
  out.publish('TASK_UPDATED', {
    framework_id: task.framework_id,
    status: task.statuses?.[task.statuses.length - 1] ?? { task_id: task.task_id, state: prev },
    state,
  })
  if (isTerminal(state)) {
    s.allocator.recoverResources(frameworkId, agent.id, resourcesOf(task.resources), undefined, now)
    out.allocate()
    if (!fw.connected) maybeAutoTeardown(step, fw)
  }
}

/** An executor's message to its scheduler. */
export function executorMessage({ s, out }: Step, agent: RegisteredAgent, msg: Extract<AgentMessage, { type: 'EXECUTOR_MESSAGE' }>) {
  const fw = s.frameworks.get(msg.framework_id)
  if (fw) out.toFramework(fw, { type: 'MESSAGE', message: { agent_id: { value: agent.id }, executor_id: { value: msg.executor_id }, data: msg.data } })
}

/** MESSAGE: a scheduler's message to one of its executors. */
export function frameworkMessage({ s, out }: Step, fw: Framework, agentId: string, executorId: string, data: string) {
  const agent = s.agents.get(agentId)
  if (agent) out.toAgent(agent, { type: 'FRAMEWORK_MESSAGE', framework_id: fw.id, executor_id: executorId, data })
}

/** SHUTDOWN: a scheduler asks an agent to stop one of its executors. */
export function shutdownExecutor({ s, out }: Step, fw: Framework, agentId: string, executorId: string) {
  const agent = s.agents.get(agentId)
  if (agent) out.toAgent(agent, { type: 'SHUTDOWN_EXECUTOR', framework_id: fw.id, executor_id: executorId })
}

/** An executor ended: its resources come back and its framework hears FAILURE. */
export function exitedExecutor({ s, out, now }: Step, agent: RegisteredAgent, msg: Extract<AgentMessage, { type: 'EXITED_EXECUTOR' }>) {
  const { framework_id: frameworkId, executor_id: executorId, status } = msg
  const fw = s.frameworks.get(frameworkId)
  const e = agent.executors.get(frameworkId)?.get(executorId)
  if (e) {
    agent.executors.get(frameworkId)!.delete(executorId)
    fw?.executors.get(agent.id)?.delete(executorId)
    if (e.resources?.length) {
      s.allocator.recoverResources(frameworkId, agent.id, resourcesOf(e.resources), undefined, now)
      out.allocate()
    }
  }
  const failure: Record<string, unknown> = { agent_id: { value: agent.id }, executor_id: { value: executorId } }
  if (status !== undefined) failure.status = status
  if (fw) out.toFramework(fw, { type: 'FAILURE', failure })
}
