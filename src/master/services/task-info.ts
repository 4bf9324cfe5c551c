// An app's Mesos TaskInfo, as Marathon builds it (TaskBuilder): the command (cmd through the shell, args as an
// argv, else the image's entrypoint), Marathon's environment (MARATHON_APP_*, HOST, PORT0…, PORT, PORTS,
// PORT_<name>), the app's env and secrets (docs/security-secrets.md), the fetcher's URIs, the container (an image
// and volumes; a named CNI network with its port mappings), the health check and readiness check as Mesos checks
// (health-checks.ts), the kill grace period, and labels naming the app and version so a task maps back to its app
// after a failover. Pure.

import type { Resource } from '../../core/resources.ts'
import type { TaskInfo } from '../../core/v1/messages.ts'
import { isPersistentVolume, type AppDefinition } from './app-definition.ts'
import { discoveryInfo } from './discovery-info.ts'
import { mesosHealthCheck, mesosReadinessCheck } from './health-checks.ts'
import { safeAppId } from './path-id.ts'

export const APP_LABEL = 'meso.io/service'
export const VERSION_LABEL = 'meso.io/service-version'

/** Marathon's task environment for `app` on `host` with the given host ports. */
export function marathonEnv(app: AppDefinition, host: string, hostPorts: readonly number[], servicePorts: readonly number[]): Record<string, string> {
  const env: Record<string, string> = {
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: app.version,
    MARATHON_APP_RESOURCE_CPUS: String(app.cpus),
    MARATHON_APP_RESOURCE_MEM: String(app.mem),
    MARATHON_APP_RESOURCE_DISK: String(app.disk),
    MARATHON_APP_RESOURCE_GPUS: String(app.gpus),
    MARATHON_APP_LABELS: Object.keys(app.labels).map(k => k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')).join(' '),
    HOST: host,
  }
  if (app.container?.docker) env.MARATHON_APP_DOCKER_IMAGE = app.container.docker.image
  for (const [k, v] of Object.entries(app.labels)) {
    if (v.length <= 512) env[`MARATHON_APP_LABEL_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v
  }
  const hostNetworking = app.networks[0]?.mode !== 'container'
  // With container networking the task listens on its container ports; PORTn name those (Marathon does likewise).
  const ports = hostNetworking ? [...hostPorts] : (app.container?.portMappings ?? []).map(m => m.containerPort)
  const names = hostNetworking ? app.portDefinitions.map(p => p.name) : (app.container?.portMappings ?? []).map(m => m.name)
  ports.forEach((p, i) => {
    env[`PORT${i}`] = String(p)
    const sp = servicePorts[i]
    if (sp) env[`PORT_${sp}`] = String(p)
    const name = names[i]
    if (name) env[`PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(p)
  })
  if (ports.length) {
    env.PORT = String(ports[0])
    env.PORTS = ports.join(',')
  }
  return env
}

export function buildAppTask(app: AppDefinition, taskId: string, agentId: string, host: string, resources: Resource[], hostPorts: readonly number[], servicePorts: readonly number[]): TaskInfo {
  const variables: Record<string, unknown>[] = Object.entries(marathonEnv(app, host, hostPorts, servicePorts)).map(([name, value]) => ({ name, type: 'VALUE', value }))
  for (const [name, v] of Object.entries(app.env)) {
    if (typeof v === 'string') variables.push({ name, type: 'VALUE', value: v })
    else variables.push({ name, type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: app.secrets[v.secret]!.source } } })
  }
  const command: Record<string, unknown> = app.cmd !== undefined
    ? { shell: true, value: app.cmd }
    : app.args?.length ? { shell: false, value: app.args[0], arguments: app.args } : { shell: false }
  if (app.user !== undefined) command.user = app.user
  command.environment = { variables }
  if (app.fetch.length) command.uris = app.fetch.map(f => ({ value: f.uri, extract: f.extract, executable: f.executable, cache: f.cache, ...(f.outputFile ? { output_file: f.outputFile } : {}) }))
  const task: TaskInfo = {
    name: safeAppId(app.id),
    task_id: { value: taskId },
    agent_id: { value: agentId },
    resources,
    command: command as TaskInfo['command'],
    labels: { labels: [{ key: APP_LABEL, value: app.id }, { key: VERSION_LABEL, value: app.version }, ...Object.entries(app.labels).map(([key, value]) => ({ key, value }))] },
  }
  // Its ports and their labels: VIP_<n> labels make VIPs, and Mesos-DNS serves the ports as SRV records.
  task.discovery = discoveryInfo(app, task.name, hostPorts) as unknown as TaskInfo['discovery']
  const c = app.container
  const network = app.networks[0]?.mode === 'container' ? app.networks[0] : undefined
  if (c || network) {
    const container: Record<string, unknown> = { type: 'MESOS' }
    if (c?.docker) container.mesos = { image: { type: 'DOCKER', docker: { name: c.docker.image }, cached: !c.docker.forcePullImage } }
    // Persistent volumes come with the task's resources (DiskInfo.volume), not as container volumes.
    const volumes = (c?.volumes ?? []).filter(v => !isPersistentVolume(v)).map(v => 'hostPath' in v
      ? { container_path: v.containerPath, host_path: v.hostPath, mode: v.mode }
      : { container_path: v.containerPath, mode: 'RO', source: { type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: app.secrets[(v as { secret: string }).secret]!.source } } } })
    if (volumes.length) container.volumes = volumes
    if (network) {
      const mappings = (c?.portMappings ?? []).filter(m => m.hostPort !== undefined)
      let next = 0
      container.network_infos = [{
        name: network.name,
        ...(network.labels && Object.keys(network.labels).length ? { labels: { labels: Object.entries(network.labels).map(([key, value]) => ({ key, value })) } } : {}),
        ...(mappings.length ? { port_mappings: mappings.map(m => ({ host_port: hostPorts[next++], container_port: m.containerPort, protocol: m.protocol.split(',')[0] })) } : {}),
      }]
    }
    task.container = container as unknown as TaskInfo['container']
  }
  // Health and readiness checks probe the task's own port: the host port on the host network, the container
  // port inside a CNI network's namespace.
  const probePorts = network ? (c?.portMappings ?? []).map(m => m.containerPort) : [...hostPorts]
  const hc = app.healthChecks[0]
  if (hc) task.health_check = mesosHealthCheck(hc, probePorts)
  const rc = app.readinessChecks[0]
  if (rc) {
    const names = network ? (c?.portMappings ?? []).map(m => m.name) : app.portDefinitions.map(p => p.name)
    task.check = mesosReadinessCheck(rc, probePorts[names.indexOf(rc.portName)]!)
  }
  if (app.taskKillGracePeriodSeconds !== undefined) task.kill_policy = { grace_period: { nanoseconds: Math.round(app.taskKillGracePeriodSeconds * 1e9) } } as TaskInfo['kill_policy']
  return task
}
