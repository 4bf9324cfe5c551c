// Mesos' ACLs (`--acls`, JSON inline or a path) for the local authorizer: the message `ACLs` of upstream
// include/mesos/authorizer/acls.proto, parsed and validated as src/authorizer/local/authorizer.cpp
// (LocalAuthorizer::create, LocalAuthorizer::validate) does. docs/security-auth.md says which kinds meso enforces.
//
// One deliberate difference: Mesos (stout's JSON → protobuf) ignores unknown keys, and its own TODO in
// LocalAuthorizer::validate notes that a misspelled ACL name then silently changes decisions. meso refuses unknown
// keys, so `--acls` with a typo fails at start instead of permitting what the operator meant to deny.

import { readFlagFile } from '../auth.ts'

/** ACL.Entity: `type` SOME (the default; `values` then list who/what), ANY or NONE (values ignored). */
export interface Entity {
  type: 'SOME' | 'ANY' | 'NONE'
  values: string[]
}

/** One ACL: its subjects (always `principals`) and its objects (the field named by its kind). */
export interface Acl {
  subjects: Entity
  objects: Entity
}

/**
 * Every repeated field of `ACLs` with the name of its object entity (acls.proto). `implicit`: the object is given
 * implicitly, so only ANY or NONE make sense (LocalAuthorizer::validate refuses SOME for these). `roles`: the object
 * is a role and `values` may end in `/%` (hierarchical role ACLs, createHierarchicalRoleACLs).
 */
export const ACL_KINDS = {
  register_frameworks: { object: 'roles', roles: true },
  run_tasks: { object: 'users' },
  reserve_resources: { object: 'roles', roles: true },
  unreserve_resources: { object: 'reserver_principals' },
  create_volumes: { object: 'roles', roles: true },
  destroy_volumes: { object: 'creator_principals' },
  teardown_frameworks: { object: 'framework_principals' },
  update_weights: { object: 'roles', roles: true },
  get_endpoints: { object: 'paths' },
  get_quotas: { object: 'roles', roles: true },
  update_quotas: { object: 'roles', roles: true },
  view_frameworks: { object: 'users' },
  view_tasks: { object: 'users' },
  view_executors: { object: 'users' },
  access_sandboxes: { object: 'users' },
  access_mesos_logs: { object: 'logs', implicit: 'AccessMesosLog' },
  view_roles: { object: 'roles', roles: true },
  view_flags: { object: 'flags', implicit: 'ViewFlags' },
  launch_nested_containers_as_user: { object: 'users' },
  launch_nested_containers_under_parent_with_user: { object: 'users' },
  kill_nested_containers: { object: 'users' },
  wait_nested_containers: { object: 'users' },
  launch_nested_container_sessions_as_user: { object: 'users' },
  launch_nested_container_sessions_under_parent_with_user: { object: 'users' },
  attach_containers_input: { object: 'users' },
  attach_containers_output: { object: 'users' },
  view_containers: { object: 'users' },
  set_log_level: { object: 'level', implicit: 'SetLogLevel' },
  remove_nested_containers: { object: 'users' },
  register_agents: { object: 'agents', implicit: 'RegisterAgent' },
  update_maintenance_schedules: { object: 'machines', implicit: 'UpdateMaintenanceSchedule' },
  get_maintenance_schedules: { object: 'machines', implicit: 'GetMaintenanceSchedule' },
  start_maintenances: { object: 'machines', implicit: 'StartMaintenance' },
  stop_maintenances: { object: 'machines', implicit: 'StopMaintenance' },
  get_maintenance_statuses: { object: 'machines', implicit: 'GetMaintenanceStatus' },
  drain_agents: { object: 'agents', implicit: 'DrainAgent' },
  deactivate_agents: { object: 'agents', implicit: 'DeactivateAgent' },
  reactivate_agents: { object: 'agents', implicit: 'ReactivateAgent' },
  // Upstream's validate() does not check mark_agents_gone; an ACL with SOME agents simply never matches.
  mark_agents_gone: { object: 'agents' },
  launch_standalone_containers: { object: 'users', implicit: 'LaunchStandaloneContainer' },
  kill_standalone_containers: { object: 'users', implicit: 'KillStandaloneContainer' },
  wait_standalone_containers: { object: 'users', implicit: 'WaitStandaloneContainer' },
  remove_standalone_containers: { object: 'users', implicit: 'RemoveStandaloneContainer' },
  view_standalone_containers: { object: 'users', implicit: 'ViewStandaloneContainer' },
  modify_resource_provider_configs: { object: 'resource_providers', implicit: 'ModifyResourceProviderConfig' },
  mark_resource_providers_gone: { object: 'resource_providers', implicit: 'MarkResourceProvidersGone' },
  view_resource_providers: { object: 'resource_providers', implicit: 'ViewResourceProvider' },
  prune_images: { object: 'images', implicit: 'PruneImages' },
  resize_volumes: { object: 'roles', roles: true },
  create_block_disks: { object: 'roles', roles: true },
  destroy_block_disks: { object: 'roles', roles: true },
  create_mount_disks: { object: 'roles', roles: true },
  destroy_mount_disks: { object: 'roles', roles: true },
  destroy_raw_disks: { object: 'roles', roles: true },
  // meso's secret store (docs/security-secrets.md; Mesos has no store, so no such ACLs): objects are secret paths,
  // and `team/%` covers every path below `team`, as role ACLs do.
  create_secrets: { object: 'paths', roles: true },
  view_secrets: { object: 'paths', roles: true },
  delete_secrets: { object: 'paths', roles: true },
  access_secrets: { object: 'paths', roles: true },
} as const satisfies Record<string, { object: string; implicit?: string; roles?: true }>

export type AclKind = keyof typeof ACL_KINDS

/** Parsed `ACLs`: `permissive` (default true) decides when no ACL of the action matches. */
export interface Acls {
  permissive: boolean
  lists: { readonly [K in AclKind]?: readonly Acl[] }
}

/** No `--acls`: permissive, no rules. */
export const DEFAULT_ACLS: Acls = { permissive: true, lists: {} }

/**
 * The endpoints `get_endpoints` may name: GET on these is authorized with GET_ENDPOINT_WITH_PATH
 * (AUTHORIZABLE_ENDPOINTS in upstream src/common/authorization.cpp).
 */
export const AUTHORIZABLE_ENDPOINTS: ReadonlySet<string> = new Set([
  '/containers', '/containerizer/debug', '/files/debug', '/logging/toggle', '/metrics/snapshot', '/monitor/statistics',
])

export class AclError extends Error {}

/** The ACLs of `--acls` (JSON inline, or a path / file:// URL as Mesos takes it), validated; no flag: DEFAULT_ACLS. */
export function aclsFromFlag(value: string | undefined): Acls {
  if (!value) return DEFAULT_ACLS
  let text: string
  try { text = readFlagFile(value) } catch (err) { throw new AclError(`--acls: ${(err as Error).message}`) }
  return parseAcls(text)
}

const ENTITY_TYPES = new Set(['SOME', 'ANY', 'NONE'])

function parseEntity(raw: unknown, where: string): Entity {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AclError(`${where} must be an object like {"values": [...]} or {"type": "ANY"}`)
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'type' && k !== 'values') throw new AclError(`${where}: unknown field '${k}' (an Entity has 'type' and 'values')`)
  const type = o.type ?? 'SOME'
  if (typeof type !== 'string' || !ENTITY_TYPES.has(type)) throw new AclError(`${where}.type must be SOME, ANY or NONE, got ${JSON.stringify(o.type)}`)
  // stout accepts a bare value where a repeated field is expected.
  const rawValues = o.values === undefined || o.values === null ? [] : Array.isArray(o.values) ? o.values : [o.values]
  const values = rawValues.map((v, i) => {
    if (typeof v !== 'string') throw new AclError(`${where}.values[${i}] must be a string, got ${JSON.stringify(v)}`)
    return v
  })
  return { type: type as Entity['type'], values }
}

/** Parses and validates the JSON of `--acls` (already read from its file); throws AclError saying what is wrong. */
export function parseAcls(text: string): Acls {
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) { throw new AclError(`--acls is not valid JSON: ${(err as Error).message}`) }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AclError('--acls must be a JSON object like {"permissive": false, "run_tasks": [...]}')
  const lists: { [K in AclKind]?: Acl[] } = {}
  let permissive = true
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'permissive') {
      if (typeof value !== 'boolean') throw new AclError(`--acls: 'permissive' must be true or false, got ${JSON.stringify(value)}`)
      permissive = value
      continue
    }
    if (!(key in ACL_KINDS)) throw new AclError(`--acls: unknown ACL '${key}'${suggest(key)}; known: permissive, ${Object.keys(ACL_KINDS).join(', ')}`)
    const kind = key as AclKind
    const spec: { object: string; implicit?: string; roles?: true } = ACL_KINDS[kind]
    const entries = value === null ? [] : Array.isArray(value) ? value : [value]
    lists[kind] = entries.map((entry, i) => {
      const where = `--acls: ${kind}[${i}]`
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new AclError(`${where} must be an object with 'principals' and '${spec.object}'`)
      const e = entry as Record<string, unknown>
      for (const k of Object.keys(e)) if (k !== 'principals' && k !== spec.object) throw new AclError(`${where}: unknown field '${k}' (expected 'principals' and '${spec.object}')`)
      // Both entities are `required` in acls.proto: an absent one would be ambiguous (ANY or NONE?).
      if (e.principals === undefined) throw new AclError(`${where}: missing required field 'principals'`)
      if (e[spec.object] === undefined) throw new AclError(`${where}: missing required field '${spec.object}'`)
      const acl: Acl = { subjects: parseEntity(e.principals, `${where}.principals`), objects: parseEntity(e[spec.object], `${where}.${spec.object}`) }
      if (spec.implicit && acl.objects.type === 'SOME') throw new AclError(`ACL.${spec.implicit} type must be either NONE or ANY (${where}.${spec.object})`)
      if (kind === 'get_endpoints' && acl.objects.type === 'SOME') {
        for (const p of acl.objects.values) if (!AUTHORIZABLE_ENDPOINTS.has(p)) throw new AclError(`Path: '${p}' is not an authorizable path (${where}; authorizable: ${[...AUTHORIZABLE_ENDPOINTS].join(', ')})`)
      }
      return acl
    })
  }
  return { permissive, lists }
}

function suggest(key: string): string {
  const k = key.toLowerCase().replace(/[^a-z]/g, '')
  const near = Object.keys(ACL_KINDS).find(n => n.replace(/_/g, '') === k || n.replace(/_/g, '').startsWith(k) || k.startsWith(n.replace(/_/g, '')))
  return near ? ` (did you mean '${near}'?)` : ''
}
