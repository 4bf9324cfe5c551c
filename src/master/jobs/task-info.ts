// A job run's Mesos TaskInfo from its JobRunSpec: the command (cmd through the shell; args as an argv; an image's
// own entrypoint when neither is given), artifacts (the fetcher's URIs), user, environment and secret environment (from the master's secret store,
// docs/security-secrets.md), the image (docker or ucr, both run by meso's containerizer), host and secret volumes,
// a named CNI network, and the kill grace period. Task ids are `<job id>_<run id>.<attempt>` so a status update
// names its job and run. Pure.

import type { Resource } from '../../core/resources.ts'
import type { ContainerInfo, TaskInfo } from '../../core/v1/messages.ts'
import type { JobRunSpec } from './job-spec.ts'

export function jobTaskId(jobId: string, runId: string, attempt: number): string {
  return `${jobId}_${runId}.${attempt}`
}

/** The job and run a task id of ours names; undefined for anything else. */
export function parseJobTaskId(taskId: string): { jobId: string; runId: string } | undefined {
  const m = /^([a-z0-9.-]+)_([a-z0-9]+)\.\d+$/.exec(taskId)
  return m ? { jobId: m[1]!, runId: m[2]! } : undefined
}

export function buildJobTask(jobId: string, runId: string, attempt: number, agentId: string, spec: JobRunSpec, resources: Resource[]): TaskInfo {
  const image = spec.docker?.image ?? spec.ucr?.image.id
  const forcePull = spec.docker?.forcePullImage ?? spec.ucr?.image.forcePull ?? false
  const variables: Record<string, unknown>[] = []
  for (const [name, v] of Object.entries(spec.env)) {
    if (typeof v === 'string') variables.push({ name, type: 'VALUE', value: v })
    else variables.push({ name, type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: spec.secrets[v.secret]!.source } } })
  }
  const command: Record<string, unknown> = spec.cmd !== undefined
    ? { shell: true, value: spec.cmd }
    : spec.args?.length ? { shell: false, value: spec.args[0], arguments: spec.args } : { shell: false }
  if (spec.user !== undefined) command.user = spec.user
  if (variables.length) command.environment = { variables }
  // Artifacts are the agent fetcher's CommandInfo.uris (docs/containerizer.md#fetcher), fetched into the sandbox.
  if (spec.artifacts.length) command.uris = spec.artifacts.map(a => ({ value: a.uri, extract: a.extract, executable: a.executable, cache: a.cache }))
  const volumes = spec.volumes.map(v => 'hostPath' in v
    ? { container_path: v.containerPath, host_path: v.hostPath, mode: v.mode }
    : { container_path: v.containerPath, mode: 'RO', source: { type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: spec.secrets[v.secret]!.source } } } })
  const networks = spec.networks.filter(n => n.mode === 'container' && n.name)
  let container: ContainerInfo | undefined
  if (image || volumes.length || networks.length) {
    container = { type: 'MESOS' } as ContainerInfo
    if (image) (container as any).mesos = { image: { type: 'DOCKER', docker: { name: image }, cached: !forcePull } }
    if (volumes.length) (container as any).volumes = volumes
    if (networks.length) (container as any).network_infos = networks.map(n => ({ name: n.name, ...(n.labels && Object.keys(n.labels).length ? { labels: { labels: Object.entries(n.labels).map(([key, value]) => ({ key, value })) } } : {}) }))
  }
  const task: TaskInfo = {
    name: `${jobId}.${runId}`,
    task_id: { value: jobTaskId(jobId, runId, attempt) },
    agent_id: { value: agentId },
    resources,
    command: command as TaskInfo['command'],
    labels: { labels: [{ key: 'meso.io/job', value: jobId }, { key: 'meso.io/job-run', value: runId }] },
  }
  if (container) task.container = container
  if (spec.taskKillGracePeriodSeconds !== undefined) task.kill_policy = { grace_period: { nanoseconds: Math.round(spec.taskKillGracePeriodSeconds * 1e9) } } as TaskInfo['kill_policy']
  return task
}
