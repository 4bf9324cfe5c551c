// The local authorizer: a pure decision over parsed ACLs (acls.ts) and a request (subject, action, object), as
// upstream src/authorizer/local/authorizer.cpp decides it: the first ACL of the action whose subjects and objects
// both *match* the request decides, allowed iff both *allow* it; no match → `permissive`. Hierarchical role ACLs
// (`role/%`), the multi-role REGISTER_FRAMEWORK rule, the two-ACL nested-container rule and the implicit executor
// rule (a subject with claims but no value may act only on containers under its own `cid`) are upstream's too.
// No I/O here: the daemons evaluate this at their API edges (docs/security-auth.md).

import type { Acl, AclKind, Acls, Entity } from './acls.ts'

/** authorization::Action (upstream include/mesos/authorizer/authorizer.proto). */
export type Action =
  | 'REGISTER_FRAMEWORK' | 'RUN_TASK' | 'TEARDOWN_FRAMEWORK' | 'RESERVE_RESOURCES' | 'UNRESERVE_RESOURCES'
  | 'CREATE_VOLUME' | 'DESTROY_VOLUME' | 'RESIZE_VOLUME' | 'GET_QUOTA' | 'UPDATE_QUOTA' | 'UPDATE_WEIGHT' | 'VIEW_ROLE'
  | 'GET_ENDPOINT_WITH_PATH' | 'VIEW_FRAMEWORK' | 'VIEW_TASK' | 'VIEW_EXECUTOR' | 'ACCESS_SANDBOX' | 'ACCESS_MESOS_LOG'
  | 'VIEW_FLAGS' | 'LAUNCH_NESTED_CONTAINER' | 'LAUNCH_NESTED_CONTAINER_SESSION' | 'ATTACH_CONTAINER_INPUT'
  | 'ATTACH_CONTAINER_OUTPUT' | 'KILL_NESTED_CONTAINER' | 'WAIT_NESTED_CONTAINER' | 'REMOVE_NESTED_CONTAINER'
  | 'VIEW_CONTAINER' | 'SET_LOG_LEVEL' | 'REGISTER_AGENT' | 'UPDATE_MAINTENANCE_SCHEDULE' | 'GET_MAINTENANCE_SCHEDULE'
  | 'START_MAINTENANCE' | 'STOP_MAINTENANCE' | 'GET_MAINTENANCE_STATUS' | 'DRAIN_AGENT' | 'DEACTIVATE_AGENT'
  | 'REACTIVATE_AGENT' | 'MARK_AGENT_GONE' | 'LAUNCH_STANDALONE_CONTAINER' | 'KILL_STANDALONE_CONTAINER'
  | 'WAIT_STANDALONE_CONTAINER' | 'REMOVE_STANDALONE_CONTAINER' | 'VIEW_STANDALONE_CONTAINER'
  | 'MODIFY_RESOURCE_PROVIDER_CONFIG' | 'MARK_RESOURCE_PROVIDER_GONE' | 'VIEW_RESOURCE_PROVIDER' | 'PRUNE_IMAGES'
  | 'CREATE_BLOCK_DISK' | 'DESTROY_BLOCK_DISK' | 'CREATE_MOUNT_DISK' | 'DESTROY_MOUNT_DISK' | 'DESTROY_RAW_DISK'
  // meso's secret store (docs/security-secrets.md): the object's `value` is the secret's path.
  | 'CREATE_SECRET' | 'VIEW_SECRET' | 'DELETE_SECRET' | 'ACCESS_SECRET'

/** Who asks: an HTTP principal (`value`), or an executor's token (`claims` fid/eid/cid, no value). Absent = anonymous. */
export interface Subject {
  value?: string
  claims?: Readonly<Record<string, string>>
}

interface CommandLike { user?: string }
interface ContainerIdLike { value: string; parent?: ContainerIdLike }
interface ResourceLike {
  role?: string
  reservations?: readonly { role?: string; principal?: string }[]
  reservation?: { principal?: string }
  disk?: { persistence?: { principal?: string } } | Record<string, unknown>
}

/** authorization::Object: whichever parts the action looks at (upstream ObjectApprover::Object). */
export interface AuthzObject {
  value?: string
  frameworkInfo?: { user?: string; principal?: string; role?: string; roles?: readonly string[]; capabilities?: readonly { type?: string }[] }
  task?: { user?: string }
  taskInfo?: { command?: CommandLike; executor?: { command?: CommandLike } }
  executorInfo?: { command?: CommandLike }
  commandInfo?: CommandLike
  containerId?: ContainerIdLike
  resource?: ResourceLike
  quotaInfo?: { role: string }
  weightInfo?: { role: string }
}

/** Decides one action for one subject over any number of objects (upstream ObjectApprover). */
export type Approver = (object?: AuthzObject) => boolean

const ANY: Entity = { type: 'ANY', values: [] }
const some = (value: string): Entity => ({ type: 'SOME', values: [value] })

/** Whether an ACL entity applies to the request's (upstream `matches`). */
function matches(request: Entity, acl: Entity): boolean {
  if (request.type === 'NONE') return acl.type === 'NONE'
  if (request.type === 'ANY') return acl.type === 'ANY' || acl.type === 'NONE'
  if (acl.type === 'ANY' || acl.type === 'NONE') return true
  return request.values.every(v => acl.values.includes(v))
}

/** Whether a matching ACL entity permits the request's (upstream `allows`). */
function allows(request: Entity, acl: Entity): boolean {
  if (request.type === 'NONE') return acl.type === 'NONE'
  if (request.type === 'ANY') return acl.type === 'ANY'
  if (acl.type === 'ANY') return true
  if (acl.type === 'NONE') return false
  return request.values.every(v => acl.values.includes(v))
}

function decide(acls: readonly Acl[], subject: Entity, object: Entity, permissive: boolean): boolean {
  for (const acl of acls) {
    if (matches(subject, acl.subjects) && matches(object, acl.objects)) return allows(subject, acl.subjects) && allows(object, acl.objects)
  }
  return permissive
}

/** Role ACLs, split so each `role/%` value is an ACL of its own (upstream createHierarchicalRoleACLs). */
function hierarchicalAcls(list: readonly Acl[]): Acl[] {
  const out: Acl[] = []
  for (const acl of list) {
    if (acl.objects.type !== 'SOME') { out.push(acl); continue }
    const plain: string[] = []
    for (const v of acl.objects.values) {
      if (v.endsWith('/%')) out.push({ subjects: acl.subjects, objects: { type: 'SOME', values: [v] } })
      else plain.push(v)
    }
    if (plain.length) out.push({ subjects: acl.subjects, objects: { type: 'SOME', values: plain } })
  }
  return out
}

/** Upstream LocalHierarchicalRoleApprover::approved: `a/%` covers every role strictly below `a`. */
function decideRole(acls: readonly Acl[], subject: Entity, object: Entity, permissive: boolean): boolean {
  for (const acl of acls) {
    const recursive = acl.objects.values.length === 1 && acl.objects.values[0]!.endsWith('/%')
    if (!recursive) {
      if (matches(subject, acl.subjects) && matches(object, acl.objects)) return allows(subject, acl.subjects) && allows(object, acl.objects)
    } else if (object.type === 'SOME' && object.values[0]!.startsWith(acl.objects.values[0]!.slice(0, -1))) {
      if (matches(subject, acl.subjects) && matches(object, ANY)) return allows(subject, acl.subjects) && allows(object, ANY)
    }
  }
  return permissive
}

/** The roles a framework subscribes with (upstream protobuf::framework::getRoles). */
export function frameworkRoles(info: NonNullable<AuthzObject['frameworkInfo']>): string[] {
  const multi = (info.capabilities ?? []).some(c => c.type === 'MULTI_ROLE')
  return multi ? [...(info.roles ?? [])] : [info.role ?? '*']
}

const roleActions: Partial<Record<Action, AclKind>> = {
  CREATE_VOLUME: 'create_volumes', RESIZE_VOLUME: 'resize_volumes', RESERVE_RESOURCES: 'reserve_resources',
  UPDATE_WEIGHT: 'update_weights', VIEW_ROLE: 'view_roles', GET_QUOTA: 'get_quotas', REGISTER_FRAMEWORK: 'register_frameworks',
  UPDATE_QUOTA: 'update_quotas', CREATE_BLOCK_DISK: 'create_block_disks', DESTROY_BLOCK_DISK: 'destroy_block_disks',
  CREATE_MOUNT_DISK: 'create_mount_disks', DESTROY_MOUNT_DISK: 'destroy_mount_disks', DESTROY_RAW_DISK: 'destroy_raw_disks',
  // Secret paths are hierarchical like roles: `team/%` is every path below `team`.
  CREATE_SECRET: 'create_secrets', VIEW_SECRET: 'view_secrets', DELETE_SECRET: 'delete_secrets', ACCESS_SECRET: 'access_secrets',
}

const genericActions: Partial<Record<Action, AclKind>> = {
  RUN_TASK: 'run_tasks', TEARDOWN_FRAMEWORK: 'teardown_frameworks', UNRESERVE_RESOURCES: 'unreserve_resources',
  DESTROY_VOLUME: 'destroy_volumes', GET_ENDPOINT_WITH_PATH: 'get_endpoints', VIEW_FRAMEWORK: 'view_frameworks',
  VIEW_TASK: 'view_tasks', VIEW_EXECUTOR: 'view_executors', ACCESS_SANDBOX: 'access_sandboxes', ACCESS_MESOS_LOG: 'access_mesos_logs',
  VIEW_FLAGS: 'view_flags', ATTACH_CONTAINER_INPUT: 'attach_containers_input', ATTACH_CONTAINER_OUTPUT: 'attach_containers_output',
  KILL_NESTED_CONTAINER: 'kill_nested_containers', WAIT_NESTED_CONTAINER: 'wait_nested_containers',
  REMOVE_NESTED_CONTAINER: 'remove_nested_containers', VIEW_CONTAINER: 'view_containers', SET_LOG_LEVEL: 'set_log_level',
  REGISTER_AGENT: 'register_agents', UPDATE_MAINTENANCE_SCHEDULE: 'update_maintenance_schedules',
  GET_MAINTENANCE_SCHEDULE: 'get_maintenance_schedules', START_MAINTENANCE: 'start_maintenances', STOP_MAINTENANCE: 'stop_maintenances',
  GET_MAINTENANCE_STATUS: 'get_maintenance_statuses', DRAIN_AGENT: 'drain_agents', DEACTIVATE_AGENT: 'deactivate_agents',
  REACTIVATE_AGENT: 'reactivate_agents', MARK_AGENT_GONE: 'mark_agents_gone', LAUNCH_STANDALONE_CONTAINER: 'launch_standalone_containers',
  KILL_STANDALONE_CONTAINER: 'kill_standalone_containers', WAIT_STANDALONE_CONTAINER: 'wait_standalone_containers',
  REMOVE_STANDALONE_CONTAINER: 'remove_standalone_containers', VIEW_STANDALONE_CONTAINER: 'view_standalone_containers',
  MODIFY_RESOURCE_PROVIDER_CONFIG: 'modify_resource_provider_configs', MARK_RESOURCE_PROVIDER_GONE: 'mark_resource_providers_gone',
  VIEW_RESOURCE_PROVIDER: 'view_resource_providers', PRUNE_IMAGES: 'prune_images',
}

/** The actions an executor's token may be used for, on its own containers (upstream getApprover). */
const IMPLICIT_EXECUTOR_ACTIONS: ReadonlySet<Action> = new Set<Action>([
  'LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER', 'KILL_NESTED_CONTAINER', 'LAUNCH_NESTED_CONTAINER_SESSION',
  'REMOVE_NESTED_CONTAINER', 'ATTACH_CONTAINER_OUTPUT',
])

/** The outermost container of a (possibly nested) container id (upstream protobuf::getRootContainerId). */
export function rootContainerId(id: ContainerIdLike): string {
  let c = id
  while (c.parent) c = c.parent
  return c.value
}

const userOf = (c: CommandLike | undefined) => c?.user

/** The ACL object entity a generic action sees for `object` (upstream LocalAuthorizerObjectApprover::approved). */
function genericObject(action: Action, o: AuthzObject | undefined): Entity {
  if (!o) return ANY
  switch (action) {
    case 'GET_ENDPOINT_WITH_PATH': return o.value !== undefined ? some(o.value) : ANY
    case 'TEARDOWN_FRAMEWORK':
      if (o.frameworkInfo) return some(o.frameworkInfo.principal ?? '')
      return o.value !== undefined ? some(o.value) : ANY
    case 'DESTROY_VOLUME': {
      if (o.resource) return some(((o.resource.disk as { persistence?: { principal?: string } } | undefined)?.persistence?.principal) ?? '')
      return o.value !== undefined ? some(o.value) : ANY
    }
    case 'UNRESERVE_RESOURCES': {
      if (o.resource) {
        const rs = o.resource.reservations
        return some((rs && rs.length ? rs[rs.length - 1]!.principal : o.resource.reservation?.principal) ?? '')
      }
      return o.value !== undefined ? some(o.value) : ANY
    }
    case 'RUN_TASK': {
      const u = userOf(o.taskInfo?.command) ?? userOf(o.taskInfo?.executor?.command)
      if (u !== undefined) return some(u)
      if (o.frameworkInfo) return some(o.frameworkInfo.user ?? '')
      return ANY
    }
    case 'ATTACH_CONTAINER_INPUT': case 'ATTACH_CONTAINER_OUTPUT': case 'REMOVE_NESTED_CONTAINER':
    case 'KILL_NESTED_CONTAINER': case 'WAIT_NESTED_CONTAINER': {
      const u = userOf(o.executorInfo?.command) ?? o.frameworkInfo?.user
      if (u !== undefined) return some(u)
      return o.containerId ? some(o.containerId.value) : ANY
    }
    case 'ACCESS_SANDBOX': case 'VIEW_CONTAINER': {
      const u = userOf(o.executorInfo?.command) ?? o.frameworkInfo?.user
      return u !== undefined ? some(u) : ANY
    }
    case 'VIEW_FRAMEWORK': return some(o.frameworkInfo?.user ?? '')
    case 'VIEW_TASK': return some(o.task?.user ?? userOf(o.taskInfo?.command) ?? userOf(o.taskInfo?.executor?.command) ?? o.frameworkInfo?.user ?? '')
    case 'VIEW_EXECUTOR': return some(userOf(o.executorInfo?.command) ?? o.frameworkInfo?.user ?? '')
    default: return ANY // implicit objects: logs, flags, level, agents, machines, images, …
  }
}

/** The role(s) a role action sees for `object` (upstream LocalHierarchicalRoleApprover::approved). */
function roleObjects(action: Action, o: AuthzObject | undefined): Entity[] {
  if (!o) return [ANY]
  switch (action) {
    case 'REGISTER_FRAMEWORK':
      if (o.frameworkInfo) return frameworkRoles(o.frameworkInfo).map(some)
      return [o.value !== undefined ? some(o.value) : ANY]
    case 'UPDATE_WEIGHT': return [o.weightInfo ? some(o.weightInfo.role) : o.value !== undefined ? some(o.value) : ANY]
    case 'UPDATE_QUOTA': return [o.quotaInfo ? some(o.quotaInfo.role) : o.value !== undefined ? some(o.value) : ANY]
    case 'VIEW_ROLE': case 'GET_QUOTA': return [o.value !== undefined ? some(o.value) : ANY]
    default: {
      if (o.resource) {
        const rs = o.resource.reservations
        return [some((rs && rs.length ? rs[rs.length - 1]!.role : o.resource.role) ?? '*')]
      }
      return [o.value !== undefined ? some(o.value) : ANY]
    }
  }
}

/** An approver for one subject and action (upstream LocalAuthorizerProcess::getApprover). */
export function approver(acls: Acls, subject: Subject | undefined, action: Action): Approver {
  // A subject with claims and no value is an executor's token: it may only act on its own containers.
  if (subject && subject.value === undefined) {
    if (!IMPLICIT_EXECUTOR_ACTIONS.has(action)) return () => false
    const cid = subject.claims?.cid
    if (cid === undefined) return () => false
    return o => !!o?.containerId && rootContainerId(o.containerId) === cid
  }
  const who: Entity = subject?.value !== undefined ? some(subject.value) : ANY
  const { permissive, lists } = acls

  if (action === 'LAUNCH_NESTED_CONTAINER' || action === 'LAUNCH_NESTED_CONTAINER_SESSION') {
    // Upstream LocalNestedContainerObjectApprover: the parent's user must be allowed and, when a command is
    // given, so must the user it runs as.
    const session = action === 'LAUNCH_NESTED_CONTAINER_SESSION'
    const parentAcls = lists[session ? 'launch_nested_container_sessions_under_parent_with_user' : 'launch_nested_containers_under_parent_with_user'] ?? []
    const childAcls = lists[session ? 'launch_nested_container_sessions_as_user' : 'launch_nested_containers_as_user'] ?? []
    const parentEntity = (o: AuthzObject | undefined): Entity => {
      if (!o) return ANY
      const u = userOf(o.executorInfo?.command) ?? o.frameworkInfo?.user
      return u !== undefined ? some(u) : ANY
    }
    return o => {
      if (!o || !o.commandInfo) return decide(parentAcls, who, parentEntity(o), permissive)
      const parentOk = decide(parentAcls, who, parentEntity({ executorInfo: o.executorInfo, frameworkInfo: o.frameworkInfo }), permissive)
      const childOk = decide(childAcls, who, o.commandInfo.user !== undefined ? some(o.commandInfo.user) : ANY, permissive)
      return parentOk && childOk
    }
  }

  const roleKind = roleActions[action]
  if (roleKind) {
    const list = hierarchicalAcls(lists[roleKind] ?? [])
    return o => {
      const objects = roleObjects(action, o)
      // A framework must be allowed every role it asks for; one asking for none gets `permissive`.
      if (!objects.length) return permissive
      return objects.every(obj => decideRole(list, who, obj, permissive))
    }
  }

  const kind = genericActions[action]
  if (!kind) return () => false
  const list = lists[kind] ?? []
  return o => decide(list, who, genericObject(action, o), permissive)
}

/** One decision (upstream Authorizer::authorized). */
export function authorized(acls: Acls, request: { action: Action; subject?: Subject; object?: AuthzObject }): boolean {
  return approver(acls, request.subject, request.action)(request.object)
}
