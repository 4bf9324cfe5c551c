// Validation of LAUNCH / LAUNCH_GROUP tasks against the framework, the agent and what is left of the offered
// pool (upstream src/master/validation.cpp, task::validate). Pure: returns the Mesos-style error message, or undefined.

import { formatRanges, Resources, ResourceError, validateResources, type Resource } from '../../core/resources.ts'
import { rlimitsError } from '../../core/rlimits.ts'
import type { ExecutorInfo, TaskInfo } from '../../core/v1/messages.ts'
import { executorInfoFieldsError, idError, taskInfoFieldsError } from './fields.ts'
import { groupTaskChecksError, taskChecksError } from '../../agent/checks/check-validation.ts'

export interface TaskValidationContext {
  frameworkId: string
  agentId: string
  /** Task ids in use by this framework (active and unreachable). */
  taskIdInUse: (taskId: string) => boolean
  /** ExecutorInfo already running on this agent under the same id, if any. */
  existingExecutor: (executorId: string) => ExecutorInfo | undefined
  /** Agent has GPUs without GPU_RESOURCES etc. could go here later. */
}

/** Mesos' validateID (src/common/validation.cpp), for task and executor IDs: validation/fields.ts. */
export const taskIdError = idError

export function validateTask(task: TaskInfo, ctx: TaskValidationContext): string | undefined {
  const idErr = taskIdError(task.task_id.value)
  if (idErr) return `Task ID '${task.task_id.value}' is invalid: ${idErr}`
  if (ctx.taskIdInUse(task.task_id.value)) return `Task has duplicate ID: ${task.task_id.value}`
  const fieldErr = taskInfoFieldsError(task)
  if (fieldErr) return `Task '${task.task_id.value}' is invalid: ${fieldErr}`
  if (task.agent_id.value !== ctx.agentId) {
    return `Task uses invalid agent ${task.agent_id.value} while offer is from agent ${ctx.agentId}`
  }
  if (!task.command === !task.executor) return 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present'
  if (!task.resources?.length) return 'Task uses no resources'
  try {
    validateResources(task.resources)
  } catch (err) {
    return `Task uses invalid resources: ${(err as ResourceError).message}`
  }
  if (task.kill_policy?.grace_period && task.kill_policy.grace_period.nanoseconds < 0) {
    return 'Task\'s `kill_policy.grace_period` must be non-negative'
  }
  if (task.max_completion_time && task.max_completion_time.nanoseconds < 0) {
    return 'Task\'s `max_completion_time` must be non-negative'
  }
  const checksErr = taskChecksError(task)
  if (checksErr) return checksErr
  if (task.limits && Object.keys(task.limits).length) {
    return "Task's `limits` need the agent capability TASK_RESOURCE_LIMITS, which this agent does not support"
  }
  const containerErr = validateContainer(task.container, task.resources)
  if (containerErr) return `Task's ContainerInfo is invalid: ${containerErr}`
  if (task.command && task.command.shell !== false && !task.command.value) return "Task's CommandInfo must have 'value' set when 'shell' is true"
  if (task.command && task.command.shell === false && !task.command.value && !task.container?.mesos?.image) {
    return "Task's CommandInfo must have 'value' set to the executable (or the task needs an image with an Entrypoint or Cmd)"
  }
  if (task.executor) {
    const e = task.executor
    const eidErr = taskIdError(e.executor_id.value)
    if (eidErr) return `Executor ID '${e.executor_id.value}' is invalid: ${eidErr}`
    if (e.framework_id && e.framework_id.value !== ctx.frameworkId) {
      return `ExecutorInfo has an invalid FrameworkID (Actual: ${e.framework_id.value} vs Expected: ${ctx.frameworkId})`
    }
    if (e.type === 'DEFAULT') return "'ExecutorInfo.type' DEFAULT is only allowed with LAUNCH_GROUP"
    if (!e.command) return "'ExecutorInfo.command' must be set for a CUSTOM executor"
    try { validateResources(e.resources ?? []) } catch (err) { return `Executor uses invalid resources: ${(err as Error).message}` }
    const existing = ctx.existingExecutor(e.executor_id.value)
    if (existing && !sameExecutor(existing, { ...e, framework_id: { value: ctx.frameworkId } })) {
      return `ExecutorInfo is not compatible with ExecutorInfo of existing executor ${e.executor_id.value}`
    }
    const err = validateContainer(e.container, e.resources ?? [])
    if (err) return `Executor's ContainerInfo is invalid: ${err}`
  }
  return undefined
}

export function validateTaskGroup(executor: ExecutorInfo, tasks: TaskInfo[], ctx: TaskValidationContext): string | undefined {
  if (!tasks.length) return 'Task group cannot be empty'
  if (executor.type !== 'DEFAULT') return "'ExecutorInfo.type' must be DEFAULT for LAUNCH_GROUP"
  if (executor.command) return "'ExecutorInfo.command' must not be set for a DEFAULT executor"
  if (executor.framework_id && executor.framework_id.value !== ctx.frameworkId) {
    return `ExecutorInfo has an invalid FrameworkID (Actual: ${executor.framework_id.value} vs Expected: ${ctx.frameworkId})`
  }
  if (executor.container?.type === 'DOCKER') return 'Docker ContainerInfo is not supported on the executor of a task group'
  const eidErr = taskIdError(executor.executor_id.value)
  if (eidErr) return `Executor ID '${executor.executor_id.value}' is invalid: ${eidErr}`
  const fieldErr = executorInfoFieldsError(executor)
  if (fieldErr) return `Executor '${executor.executor_id.value}' is invalid: ${fieldErr}`
  try { validateResources(executor.resources ?? []) } catch (err) { return `Executor uses invalid resources: ${(err as Error).message}` }
  // The group's network namespace is the executor's: its port mappings may use the ports of any task of the group.
  const groupErr = validateContainer(executor.container, [...(executor.resources ?? []), ...tasks.flatMap(t => t.resources ?? [])])
  if (groupErr) return `Executor's ContainerInfo is invalid: ${groupErr}`
  const ids = new Set<string>()
  for (const t of tasks) {
    if (t.executor) return `Task '${t.task_id.value}' in a task group must not set 'executor'`
    if (t.container?.type === 'DOCKER') return `Docker ContainerInfo is not supported on task '${t.task_id.value}' of a task group`
    if (ids.has(t.task_id.value)) return `Task group has duplicate task ID: ${t.task_id.value}`
    const groupChecksErr = groupTaskChecksError(t)
    if (groupChecksErr) return groupChecksErr
    ids.add(t.task_id.value)
    const err = validateTask({ ...t, command: t.command ?? { shell: false, value: 'unused' } }, ctx)
    if (err) return err
  }
  const existing = ctx.existingExecutor(executor.executor_id.value)
  if (existing && !sameExecutor(existing, { ...executor, framework_id: { value: ctx.frameworkId } })) {
    return `ExecutorInfo is not compatible with ExecutorInfo of existing executor ${executor.executor_id.value}`
  }
  return undefined
}

function validateContainer(c: TaskInfo['container'], resources: readonly Resource[]): string | undefined {
  if (!c) return undefined
  if (c.type === 'DOCKER' && !c.docker) return "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
  if (c.type === 'MESOS' && c.mesos?.image) {
    const img = c.mesos.image
    if (img.type === 'DOCKER' && !img.docker) return "Image of type DOCKER needs 'docker' set"
    if (img.type === 'APPC' && !img.appc) return "Image of type APPC needs 'appc' set"
  }
  const rl = rlimitsError(c.rlimit_info?.rlimits)
  if (rl) return rl
  for (const v of c.volumes ?? []) {
    if (!v.container_path) return "Volume 'container_path' must be set"
  }
  for (const n of c.network_infos ?? []) {
    for (const pm of n.port_mappings ?? []) {
      if (!(pm.host_port > 0 && pm.host_port < 65536) || !(pm.container_port > 0 && pm.container_port < 65536)) {
        return `Invalid port mapping ${pm.host_port}:${pm.container_port}`
      }
    }
  }
  return portMappingsError(c, resources)
}

/**
 * CNI port mappings (NetworkInfo.port_mappings) may only use host ports the task holds as `ports` resources, so the
 * allocator keeps two tasks from mapping the same host port; tcp or udp, each host port once per protocol.
 */
export function portMappingsError(c: TaskInfo['container'], resources: readonly Resource[]): string | undefined {
  const held = Resources.of(resources).ranges('ports')
  const seen = new Set<string>()
  for (const n of c?.network_infos ?? []) {
    for (const pm of n.port_mappings ?? []) {
      const protocol = (pm.protocol || 'tcp').toLowerCase()
      const what = `Port mapping ${pm.host_port}:${pm.container_port}/${protocol}${n.name ? ` on network '${n.name}'` : ''}`
      if (protocol !== 'tcp' && protocol !== 'udp') return `${what} has protocol '${pm.protocol}' (tcp or udp)`
      if (seen.has(`${pm.host_port}/${protocol}`)) return `${what} maps host port ${pm.host_port}/${protocol} a second time`
      seen.add(`${pm.host_port}/${protocol}`)
      if (!held.some(r => pm.host_port >= r.begin && pm.host_port <= r.end)) {
        return `${what} uses host port ${pm.host_port}, which is not in the task's 'ports' resources (${held.length ? formatRanges(held) : 'it has none'}); add it to the task's ports`
      }
    }
  }
  return undefined
}

function sameExecutor(a: ExecutorInfo, b: ExecutorInfo): boolean {
  const norm = (e: ExecutorInfo) => JSON.stringify({ ...e, resources: Resources.of(e.resources).toString() })
  return norm(a) === norm(b)
}

/** Resources a task needs from the offer: its own plus, for a new executor, the executor's. */
export function taskResources(task: TaskInfo): Resources {
  return Resources.of(task.resources)
}
