// The local authorizer (src/core/authz): ACL parsing and validation as upstream LocalAuthorizer::validate, and its
// decisions, table-driven, against the rules of upstream src/authorizer/local/authorizer.cpp (match/allow matrices,
// permissive, hierarchical roles, multi-role frameworks, nested containers, executor tokens).

import { describe, expect, test } from 'bun:test'
import { AclError, aclsFromFlag, ACL_KINDS, DEFAULT_ACLS, parseAcls } from '../../src/core/authz/acls.ts'
import { authorized, type Action, type AuthzObject, type Subject } from '../../src/core/authz/authorizer.ts'
import { Viewer } from '../../src/core/authz/viewer.ts'
import { executorClaims, JwtError, signJwt, verifyJwt } from '../../src/core/auth.ts'

const acls = (o: Record<string, unknown>) => parseAcls(JSON.stringify(o))
const ops: Subject = { value: 'ops' }
const dev: Subject = { value: 'dev' }
const anyone = { type: 'ANY' }
const nobody = { type: 'NONE' }

describe('parseAcls', () => {
  test('every ACL kind of acls.proto parses with its object field', () => {
    for (const [kind, spec] of Object.entries(ACL_KINDS)) {
      const parsed = acls({ [kind]: [{ principals: anyone, [spec.object]: anyone }] })
      expect(parsed.lists[kind as keyof typeof ACL_KINDS]?.length).toBe(1)
    }
    expect(Object.keys(ACL_KINDS).length).toBe(54 + 4) // every repeated field of message ACLs, and meso's secret kinds
  })

  const bad: [string, Record<string, unknown>, string][] = [
    ['unknown ACL kind', { run_task: [] }, "unknown ACL 'run_task' (did you mean 'run_tasks'?)"],
    ['missing object', { run_tasks: [{ principals: anyone }] }, "missing required field 'users'"],
    ['missing subject', { run_tasks: [{ users: anyone }] }, "missing required field 'principals'"],
    ['wrong object field', { run_tasks: [{ principals: anyone, roles: anyone }] }, "unknown field 'roles'"],
    ['bad entity type', { run_tasks: [{ principals: { type: 'ALL' }, users: anyone }] }, 'must be SOME, ANY or NONE'],
    ['non-string value', { run_tasks: [{ principals: { values: [1] }, users: anyone }] }, 'must be a string'],
    ['SOME on an implicit object', { view_flags: [{ principals: anyone, flags: { values: ['x'] } }] }, 'ACL.ViewFlags type must be either NONE or ANY'],
    ['SOME logs', { access_mesos_logs: [{ principals: anyone, logs: { values: ['x'] } }] }, 'ACL.AccessMesosLog type must be either NONE or ANY'],
    ['SOME images', { prune_images: [{ principals: anyone, images: { values: ['x'] } }] }, 'ACL.PruneImages type must be either NONE or ANY'],
    ['unauthorizable path', { get_endpoints: [{ principals: anyone, paths: { values: ['/state'] } }] }, "Path: '/state' is not an authorizable path"],
    ['permissive not a bool', { permissive: 'no' }, "'permissive' must be true or false"],
  ]
  for (const [name, input, message] of bad) {
    test(`refuses ${name}`, () => {
      expect(() => acls(input)).toThrow(AclError)
      expect(() => acls(input)).toThrow(message)
    })
  }

  test('values may be a bare string (stout), type defaults to SOME, permissive to true', () => {
    const a = acls({ run_tasks: { principals: { values: 'ops' }, users: { values: ['root'] } } })
    expect(a.permissive).toBe(true)
    expect(a.lists.run_tasks).toEqual([{ subjects: { type: 'SOME', values: ['ops'] }, objects: { type: 'SOME', values: ['root'] } }])
  })

  test('--acls takes inline JSON or a file, and no flag is permissive', () => {
    expect(aclsFromFlag(undefined)).toBe(DEFAULT_ACLS)
    expect(aclsFromFlag('{"permissive": false}').permissive).toBe(false)
    const path = `${require('node:os').tmpdir()}/meso-acls-${process.pid}.json`
    require('node:fs').writeFileSync(path, '{"permissive": false}')
    expect(aclsFromFlag(`file://${path}`).permissive).toBe(false)
    expect(() => aclsFromFlag('/nonexistent/acls.json')).toThrow("cannot read '/nonexistent/acls.json'")
  })
})

type Row = [name: string, acls: Record<string, unknown>, action: Action, subject: Subject | undefined, object: AuthzObject | undefined, expected: boolean]

const fw = (user: string, principal = 'ops', extra: Record<string, unknown> = {}) => ({ frameworkInfo: { user, principal, ...extra } })

const decisions: Row[] = [
  // permissive and the match/allow matrices (upstream `matches` / `allows`)
  ['no ACLs: permissive allows', {}, 'RUN_TASK', ops, fw('root'), true],
  ['no ACLs, permissive false: denied', { permissive: false }, 'RUN_TASK', ops, fw('root'), false],
  ['SOME subject and object allow', { permissive: false, run_tasks: [{ principals: { values: ['ops'] }, users: { values: ['root'] } }] }, 'RUN_TASK', ops, fw('root'), true],
  ['other principal falls through to permissive', { permissive: false, run_tasks: [{ principals: { values: ['ops'] }, users: { values: ['root'] } }] }, 'RUN_TASK', dev, fw('root'), false],
  ['other user falls through to permissive', { permissive: true, run_tasks: [{ principals: { values: ['ops'] }, users: { values: ['root'] } }] }, 'RUN_TASK', ops, fw('nobody'), true],
  ['NONE object matches and denies', { run_tasks: [{ principals: { values: ['dev'] }, users: nobody }] }, 'RUN_TASK', dev, fw('root'), false],
  ['the first matching ACL decides', { permissive: false, run_tasks: [{ principals: { values: ['dev'] }, users: { values: ['root'] } }, { principals: { values: ['dev'] }, users: nobody }] }, 'RUN_TASK', dev, fw('root'), true],
  ['a NONE rule first denies even when a later one allows', { run_tasks: [{ principals: { values: ['dev'] }, users: nobody }, { principals: anyone, users: anyone }] }, 'RUN_TASK', dev, fw('x'), false],
  ['ANY subject allows an anonymous request', { permissive: false, view_flags: [{ principals: anyone, flags: anyone }] }, 'VIEW_FLAGS', undefined, undefined, true],
  ['SOME subject does not match anonymous', { permissive: false, view_flags: [{ principals: { values: ['ops'] }, flags: anyone }] }, 'VIEW_FLAGS', undefined, undefined, false],
  ['NONE subject matches anonymous and denies', { view_flags: [{ principals: nobody, flags: anyone }] }, 'VIEW_FLAGS', undefined, undefined, false],
  ['NONE subject matches a named principal and denies', { view_flags: [{ principals: nobody, flags: anyone }] }, 'VIEW_FLAGS', ops, undefined, false],
  // objects per action (upstream LocalAuthorizerObjectApprover)
  ['RUN_TASK uses the command user', { permissive: false, run_tasks: [{ principals: anyone, users: { values: ['www'] } }] }, 'RUN_TASK', ops, { taskInfo: { command: { user: 'www' } }, ...fw('root') }, true],
  ['RUN_TASK uses the executor user', { permissive: false, run_tasks: [{ principals: anyone, users: { values: ['www'] } }] }, 'RUN_TASK', ops, { taskInfo: { executor: { command: { user: 'www' } } }, ...fw('root') }, true],
  ['RUN_TASK falls back to the framework user', { permissive: false, run_tasks: [{ principals: anyone, users: { values: ['www'] } }] }, 'RUN_TASK', ops, { taskInfo: {}, ...fw('root') }, false],
  ['TEARDOWN by framework principal', { permissive: false, teardown_frameworks: [{ principals: { values: ['ops'] }, framework_principals: { values: ['dev'] } }] }, 'TEARDOWN_FRAMEWORK', ops, fw('x', 'dev'), true],
  ['TEARDOWN of another principal\'s framework', { permissive: false, teardown_frameworks: [{ principals: { values: ['ops'] }, framework_principals: { values: ['dev'] } }] }, 'TEARDOWN_FRAMEWORK', ops, fw('x', 'ops'), false],
  ['VIEW_TASK by task user', { permissive: false, view_tasks: [{ principals: { values: ['dev'] }, users: { values: ['dev'] } }] }, 'VIEW_TASK', dev, { task: { user: 'dev' }, ...fw('root') }, true],
  ['VIEW_TASK by framework user', { permissive: false, view_tasks: [{ principals: { values: ['dev'] }, users: { values: ['dev'] } }] }, 'VIEW_TASK', dev, { task: {}, ...fw('root') }, false],
  ['VIEW_EXECUTOR by executor user', { permissive: false, view_executors: [{ principals: anyone, users: { values: ['a'] } }] }, 'VIEW_EXECUTOR', dev, { executorInfo: { command: { user: 'a' } }, ...fw('b') }, true],
  ['ACCESS_SANDBOX by framework user', { permissive: false, access_sandboxes: [{ principals: anyone, users: { values: ['b'] } }] }, 'ACCESS_SANDBOX', dev, fw('b'), true],
  ['ACCESS_SANDBOX with nothing known is ANY', { permissive: false, access_sandboxes: [{ principals: anyone, users: { values: ['b'] } }] }, 'ACCESS_SANDBOX', dev, {}, false],
  ['GET_ENDPOINT by path', { permissive: false, get_endpoints: [{ principals: { values: ['ops'] }, paths: { values: ['/metrics/snapshot'] } }] }, 'GET_ENDPOINT_WITH_PATH', ops, { value: '/metrics/snapshot' }, true],
  ['GET_ENDPOINT other path', { permissive: false, get_endpoints: [{ principals: { values: ['ops'] }, paths: { values: ['/metrics/snapshot'] } }] }, 'GET_ENDPOINT_WITH_PATH', ops, { value: '/files/debug' }, false],
  ['UNRESERVE by reserver principal', { permissive: false, unreserve_resources: [{ principals: anyone, reserver_principals: { values: ['ops'] } }] }, 'UNRESERVE_RESOURCES', dev, { resource: { reservations: [{ role: 'a', principal: 'ops' }] } }, true],
  ['DESTROY_VOLUME by creator', { permissive: false, destroy_volumes: [{ principals: anyone, creator_principals: { values: ['ops'] } }] }, 'DESTROY_VOLUME', dev, { resource: { disk: { persistence: { principal: 'dev' } } } }, false],
  ['implicit objects: drain with ANY', { permissive: false, drain_agents: [{ principals: { values: ['ops'] }, agents: anyone }] }, 'DRAIN_AGENT', ops, undefined, true],
  ['implicit objects: mark gone with NONE', { mark_agents_gone: [{ principals: { values: ['ops'] }, agents: nobody }] }, 'MARK_AGENT_GONE', ops, undefined, false],
  ['maintenance and register_agents', { permissive: false, start_maintenances: [{ principals: anyone, machines: anyone }] }, 'START_MAINTENANCE', dev, undefined, true],
  // roles (upstream LocalHierarchicalRoleApprover)
  ['REGISTER_FRAMEWORK single role', { permissive: false, register_frameworks: [{ principals: { values: ['ops'] }, roles: { values: ['prod'] } }] }, 'REGISTER_FRAMEWORK', ops, fw('x', 'ops', { role: 'prod' }), true],
  ['REGISTER_FRAMEWORK default role *', { permissive: false, register_frameworks: [{ principals: { values: ['ops'] }, roles: { values: ['prod'] } }] }, 'REGISTER_FRAMEWORK', ops, fw('x', 'ops'), false],
  ['multi-role needs every role', { permissive: false, register_frameworks: [{ principals: { values: ['ops'] }, roles: { values: ['a'] } }] }, 'REGISTER_FRAMEWORK', ops, fw('x', 'ops', { roles: ['a', 'b'], capabilities: [{ type: 'MULTI_ROLE' }] }), false],
  ['multi-role with all roles allowed', { permissive: false, register_frameworks: [{ principals: { values: ['ops'] }, roles: { values: ['a', 'b'] } }] }, 'REGISTER_FRAMEWORK', ops, fw('x', 'ops', { roles: ['a', 'b'], capabilities: [{ type: 'MULTI_ROLE' }] }), true],
  ['multi-role with no roles gets permissive', { permissive: false }, 'REGISTER_FRAMEWORK', ops, fw('x', 'ops', { roles: [], capabilities: [{ type: 'MULTI_ROLE' }] }), false],
  ['role/% covers children', { permissive: false, view_roles: [{ principals: anyone, roles: { values: ['eng/%'] } }] }, 'VIEW_ROLE', dev, { value: 'eng/web' }, true],
  ['role/% does not cover itself', { permissive: false, view_roles: [{ principals: anyone, roles: { values: ['eng/%'] } }] }, 'VIEW_ROLE', dev, { value: 'eng' }, false],
  ['role/% does not cover siblings', { permissive: false, view_roles: [{ principals: anyone, roles: { values: ['eng/%'] } }] }, 'VIEW_ROLE', dev, { value: 'engineering' }, false],
  ['mixed plain and recursive values', { permissive: false, update_weights: [{ principals: anyone, roles: { values: ['ops', 'eng/%'] } }] }, 'UPDATE_WEIGHT', dev, { weightInfo: { role: 'ops' } }, true],
  ['quota by role', { permissive: false, update_quotas: [{ principals: { values: ['ops'] }, roles: { values: ['a'] } }] }, 'UPDATE_QUOTA', ops, { quotaInfo: { role: 'a' } }, true],
  ['reserve by the resource reservation role', { permissive: false, reserve_resources: [{ principals: anyone, roles: { values: ['a'] } }] }, 'RESERVE_RESOURCES', ops, { resource: { reservations: [{ role: 'a' }] } }, true],
  // nested containers: parent user and, with a command, the command's user (LocalNestedContainerObjectApprover)
  ['session under a parent user', { permissive: false, launch_nested_container_sessions_under_parent_with_user: [{ principals: { values: ['ops'] }, users: { values: ['web'] } }] }, 'LAUNCH_NESTED_CONTAINER_SESSION', ops, { executorInfo: { command: { user: 'web' } } }, true],
  ['session with a command needs the as_user ACL too', { permissive: false, launch_nested_container_sessions_under_parent_with_user: [{ principals: { values: ['ops'] }, users: { values: ['web'] } }] }, 'LAUNCH_NESTED_CONTAINER_SESSION', ops, { executorInfo: { command: { user: 'web' } }, commandInfo: { user: 'root' } }, false],
  ['session with both ACLs', { permissive: false, launch_nested_container_sessions_under_parent_with_user: [{ principals: { values: ['ops'] }, users: { values: ['web'] } }], launch_nested_container_sessions_as_user: [{ principals: { values: ['ops'] }, users: anyone }] }, 'LAUNCH_NESTED_CONTAINER_SESSION', ops, { executorInfo: { command: { user: 'web' } }, commandInfo: { user: 'root' } }, true],
  ['attach output by framework user', { permissive: false, attach_containers_output: [{ principals: anyone, users: { values: ['web'] } }] }, 'ATTACH_CONTAINER_OUTPUT', ops, fw('web'), true],
  ['attach output with only a container id', { permissive: false, attach_containers_output: [{ principals: anyone, users: { values: ['c1'] } }] }, 'ATTACH_CONTAINER_OUTPUT', ops, { containerId: { value: 'c1' } }, true],
  // executor tokens: claims without a value (upstream LocalImplicitExecutorObjectApprover, RejectingObjectApprover)
  ['token on its own container', {}, 'LAUNCH_NESTED_CONTAINER_SESSION', { claims: { cid: 'c1' } }, { containerId: { value: 'n1', parent: { value: 'c1' } } }, true],
  ['token on another container', {}, 'LAUNCH_NESTED_CONTAINER_SESSION', { claims: { cid: 'c1' } }, { containerId: { value: 'n2', parent: { value: 'c2' } } }, false],
  ['token on a deeper nested container', {}, 'WAIT_NESTED_CONTAINER', { claims: { cid: 'c1' } }, { containerId: { value: 'x', parent: { value: 'y', parent: { value: 'c1' } } } }, true],
  ['token without a cid claim', {}, 'ATTACH_CONTAINER_OUTPUT', { claims: { fid: 'f' } }, { containerId: { value: 'c1' } }, false],
  ['token and no object', {}, 'KILL_NESTED_CONTAINER', { claims: { cid: 'c1' } }, undefined, false],
  ['token cannot attach input', {}, 'ATTACH_CONTAINER_INPUT', { claims: { cid: 'c1' } }, { containerId: { value: 'c1' } }, false],
  ['token cannot read sandboxes', {}, 'ACCESS_SANDBOX', { claims: { cid: 'c1' } }, fw('root'), false],
  ['token cannot view state', {}, 'VIEW_FRAMEWORK', { claims: { cid: 'c1' } }, fw('root'), false],
  ['token is not helped by ACLs', { launch_nested_container_sessions_under_parent_with_user: [{ principals: anyone, users: anyone }] }, 'LAUNCH_NESTED_CONTAINER_SESSION', { claims: { cid: 'c1' } }, { containerId: { value: 'n', parent: { value: 'c2' } } }, false],
]

describe('authorized', () => {
  for (const [name, a, action, subject, object, expected] of decisions) {
    test(name, () => expect(authorized(acls(a), { action, subject, object })).toBe(expected))
  }
})

describe('Viewer', () => {
  const a = acls({
    permissive: false,
    view_frameworks: [{ principals: { values: ['dev'] }, users: { values: ['dev'] } }],
    view_tasks: [{ principals: { values: ['dev'] }, users: { values: ['dev'] } }],
    view_roles: [{ principals: { values: ['dev'] }, roles: { values: ['dev', '*'] } }],
  })
  const v = new Viewer(a, dev)
  test('frameworks and tasks by user', () => {
    expect(v.framework({ user: 'dev' })).toBe(true)
    expect(v.framework({ user: 'root' })).toBe(false)
    expect(v.task({}, { user: 'dev' })).toBe(true)
    expect(v.task({ user: 'root' }, { user: 'dev' })).toBe(false)
    expect(v.flags()).toBe(false)
  })
  test('resources: every role on the path and the allocation role', () => {
    expect(v.resource({})).toBe(true)
    expect(v.resource({ reservations: [{ role: 'dev' }] })).toBe(true)
    expect(v.resource({ reservations: [{ role: 'prod' }] })).toBe(false)
    expect(v.resource({ allocation_info: { role: 'prod' } })).toBe(false)
    expect(v.resource({ allocation_info: { role: 'dev' } })).toBe(true)
  })
})

describe('executor tokens (HS256 JWT)', () => {
  const key = 'k'.repeat(32)
  const claims = executorClaims('f1', 'e1', 'c1')
  test('sign and verify round-trip the claims', () => {
    expect(verifyJwt(signJwt(claims, key), key)).toEqual({ fid: 'f1', eid: 'e1', cid: 'c1' })
  })
  const forge = (header: unknown, payload: unknown, sig = '') =>
    `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`
  const refused: [string, () => string, string][] = [
    ['another key', () => signJwt(claims, 'other'), 'signature does not match'],
    ['alg none', () => forge({ alg: 'none' }, claims), 'expected "HS256"'],
    ['a tampered payload', () => { const [h, , s] = signJwt(claims, key).split('.'); return `${h}.${Buffer.from(JSON.stringify({ ...claims, cid: 'c2' })).toString('base64url')}.${s}` }, 'signature does not match'],
    ['two parts', () => 'a.b', 'Expected 3 components'],
    ['crit', () => forge({ alg: 'HS256', crit: ['x'] }, claims, 'x'), "'crit'"],
  ]
  for (const [name, token, message] of refused) {
    test(`refuses ${name}`, () => {
      expect(() => verifyJwt(token(), key)).toThrow(JwtError)
      expect(() => verifyJwt(token(), key)).toThrow(message)
    })
  }
  test('refuses an expired token signed with the key', () => {
    const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
    const p = Buffer.from(JSON.stringify({ ...claims, exp: 10 })).toString('base64url')
    const sig = require('node:crypto').createHmac('sha256', key).update(`${h}.${p}`).digest('base64url')
    expect(() => verifyJwt(`${h}.${p}.${sig}`, key)).toThrow('Token has expired')
  })
})
