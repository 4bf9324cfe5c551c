// TypeScript shapes of the mesos.v1 messages meso reads and writes, in their JSON form (snake_case names, enums
// as strings, bytes as base64). The authoritative definitions (field numbers, defaults) are the .proto files in
// src/core/proto/defs; these interfaces only give the code type checking. Fields meso never touches are left out.

import type { Resource } from '../resources.ts'

export type { Resource }

export interface ID { value: string }
export interface ContainerID { value: string; parent?: ContainerID }
export interface Label { key: string; value?: string }
export interface Labels { labels?: Label[] }
export interface DurationInfo { nanoseconds: number }
export interface TimeInfo { nanoseconds: number }

export const TASK_STATES = [
  'TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED',
  'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE',
  'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN',
] as const

export type TaskState = typeof TASK_STATES[number]

export type StatusSource = 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR'

export type FrameworkCapability =
  | 'UNKNOWN' | 'REVOCABLE_RESOURCES' | 'TASK_KILLING_STATE' | 'GPU_RESOURCES' | 'SHARED_RESOURCES'
  | 'PARTITION_AWARE' | 'MULTI_ROLE' | 'RESERVATION_REFINEMENT' | 'REGION_AWARE'

export interface FrameworkInfo {
  user: string
  name: string
  id?: ID
  failover_timeout?: number
  checkpoint?: boolean
  role?: string
  roles?: string[]
  hostname?: string
  principal?: string
  webui_url?: string
  capabilities?: { type?: FrameworkCapability }[]
  labels?: Labels
  offer_filters?: Record<string, unknown>
}

export interface Address { hostname?: string; ip?: string; port: number }

export interface MasterInfo {
  id: string
  ip: number
  port: number
  pid?: string
  hostname?: string
  version?: string
  address?: Address
  capabilities?: { type?: string }[]
}

export interface Attribute {
  name: string
  type: 'SCALAR' | 'RANGES' | 'SET' | 'TEXT'
  scalar?: { value: number }
  ranges?: { range?: { begin: number; end: number }[] }
  set?: { item?: string[] }
  text?: { value: string }
}

export interface AgentInfo {
  hostname: string
  port?: number
  resources?: Resource[]
  attributes?: Attribute[]
  id?: ID
  domain?: unknown
}

export interface Environment { variables?: { name: string; type?: 'UNKNOWN' | 'VALUE' | 'SECRET'; value?: string; secret?: Secret }[] }
export interface Secret { type?: 'UNKNOWN' | 'REFERENCE' | 'VALUE'; reference?: { name: string; key?: string }; value?: { data: string } }

export interface CommandInfo {
  uris?: { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }[]
  environment?: Environment
  shell?: boolean
  value?: string
  arguments?: string[]
  user?: string
}

export interface RLimit { type?: string; hard?: number; soft?: number }

export interface NetworkInfo {
  ip_addresses?: { protocol?: 'IPv4' | 'IPv6'; ip_address?: string }[]
  name?: string
  groups?: string[]
  labels?: Labels
  port_mappings?: { host_port: number; container_port: number; protocol?: string }[]
}

export interface Image {
  type: 'APPC' | 'DOCKER'
  appc?: { name: string; id?: string }
  docker?: { name: string; credential?: { principal: string; secret?: string }; config?: Secret }
  cached?: boolean
}

export interface Volume {
  mode: 'RW' | 'RO'
  container_path: string
  host_path?: string
  image?: Image
  source?: {
    type?: string
    host_path?: { path: string }
    sandbox_path?: { type?: 'UNKNOWN' | 'SELF' | 'PARENT'; path: string }
    secret?: Secret
  }
}

export interface ContainerInfo {
  type: 'DOCKER' | 'MESOS'
  volumes?: Volume[]
  hostname?: string
  docker?: { image: string; network?: string; port_mappings?: { host_port: number; container_port: number; protocol?: string }[]; privileged?: boolean; force_pull_image?: boolean }
  mesos?: { image?: Image }
  network_infos?: NetworkInfo[]
  linux_info?: {
    capability_info?: { capabilities?: string[] }
    bounding_capabilities?: { capabilities?: string[] }
    effective_capabilities?: { capabilities?: string[] }
    share_pid_namespace?: boolean
    seccomp?: { profile_name?: string; unconfined?: boolean }
    ipc_mode?: string
    shm_size?: number
    share_cgroups?: boolean
  }
  rlimit_info?: { rlimits?: RLimit[] }
  tty_info?: { window_size?: { rows: number; columns: number } }
}

export interface KillPolicy { grace_period?: DurationInfo }

export interface ExecutorInfo {
  type?: 'UNKNOWN' | 'DEFAULT' | 'CUSTOM'
  executor_id: ID
  framework_id?: ID
  command?: CommandInfo
  container?: ContainerInfo
  resources?: Resource[]
  name?: string
  source?: string
  data?: string
  shutdown_grace_period?: DurationInfo
  labels?: Labels
}

export interface TaskInfo {
  name: string
  task_id: ID
  agent_id: ID
  resources?: Resource[]
  executor?: ExecutorInfo
  command?: CommandInfo
  container?: ContainerInfo
  health_check?: Record<string, unknown>
  check?: Record<string, unknown>
  kill_policy?: KillPolicy
  data?: string
  labels?: Labels
  discovery?: Record<string, unknown>
  max_completion_time?: DurationInfo
  limits?: Record<string, { value: number }>
}

export interface ContainerStatus {
  container_id?: ContainerID
  network_infos?: NetworkInfo[]
  cgroup_info?: Record<string, unknown>
  executor_pid?: number
}

export type TaskStatusReason = string

export interface TaskStatus {
  task_id: ID
  state: TaskState
  message?: string
  source?: StatusSource
  reason?: TaskStatusReason
  data?: string
  agent_id?: ID
  executor_id?: ID
  timestamp?: number
  uuid?: string
  healthy?: boolean
  check_status?: Record<string, unknown>
  labels?: Labels
  container_status?: ContainerStatus
  unreachable_time?: TimeInfo
  limitation?: { resources?: Resource[] }
}

export interface Task {
  name: string
  task_id: ID
  framework_id: ID
  executor_id?: ID
  agent_id: ID
  state: TaskState
  resources?: Resource[]
  statuses?: TaskStatus[]
  status_update_state?: TaskState
  status_update_uuid?: string
  labels?: Labels
  discovery?: Record<string, unknown>
  container?: ContainerInfo
  health_check?: Record<string, unknown>
  kill_policy?: KillPolicy
  user?: string
  limits?: Record<string, { value: number }>
}

export interface Offer {
  id: ID
  framework_id: ID
  agent_id: ID
  hostname: string
  url?: { scheme: string; address: Address; path?: string }
  resources?: Resource[]
  attributes?: Attribute[]
  executor_ids?: ID[]
  allocation_info?: { role?: string }
  /** Set when the agent's machine is in a maintenance schedule (src/master/maintenance/). */
  unavailability?: Unavailability
}

/** mesos.v1.MachineID: a machine in a maintenance schedule, by hostname and/or IP. */
export interface MachineID { hostname?: string; ip?: string }

/** mesos.v1.Unavailability: when a machine goes away, and for how long (no duration: indefinitely). */
export interface Unavailability { start: { nanoseconds: number }; duration?: { nanoseconds: number } }

/** mesos.v1.InverseOffer: the master asks a framework to give back what it uses on an agent under maintenance. */
export interface InverseOffer {
  id: ID
  url?: Offer['url']
  framework_id: ID
  agent_id?: ID
  unavailability: Unavailability
  resources?: Resource[]
}

export interface OfferOperation {
  type?: 'UNKNOWN' | 'LAUNCH' | 'LAUNCH_GROUP' | 'RESERVE' | 'UNRESERVE' | 'CREATE' | 'DESTROY' | 'GROW_VOLUME' | 'SHRINK_VOLUME' | 'CREATE_DISK' | 'DESTROY_DISK'
  id?: ID
  launch?: { task_infos?: TaskInfo[] }
  launch_group?: { executor: ExecutorInfo; task_group: { tasks?: TaskInfo[] } }
  reserve?: { resources?: Resource[]; source?: Resource[] }
  unreserve?: { resources?: Resource[] }
  create?: { volumes?: Resource[] }
  destroy?: { volumes?: Resource[] }
}

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
])

export const isTerminal = (s: TaskState | undefined) => s !== undefined && TERMINAL_STATES.has(s)

export const hasCapability = (f: FrameworkInfo, cap: FrameworkCapability) =>
  (f.capabilities ?? []).some(c => c.type === cap)

/** The roles a framework subscribed with: `roles` under MULTI_ROLE, else the legacy single `role` (default `*`). */
export function frameworkRoles(f: FrameworkInfo): string[] {
  if (hasCapability(f, 'MULTI_ROLE')) return f.roles ?? []
  return [f.role ?? '*']
}
