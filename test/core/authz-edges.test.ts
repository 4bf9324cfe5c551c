// The decisions the daemons' API edges make with the local authorizer, without sockets: framework registration and
// task launches (scheduler-api.ts, with the task-security hook), the operator event filter (operator-api.ts), file
// paths (master and agent) and the container object an executor token is judged on (agent/authorization.ts).

import { describe, expect, test } from 'bun:test'
import { containerObject, executorClaimsError, fileTarget } from '../../src/agent/authorization.ts'
import { parseAcls } from '../../src/core/authz/acls.ts'
import { authorized } from '../../src/core/authz/authorizer.ts'
import { Viewer } from '../../src/core/authz/viewer.ts'
import type { FrameworkInfo, TaskInfo } from '../../src/core/v1/messages.ts'
import { masterFileAction } from '../../src/master/operator-api.ts'
import { frameworkRegistrationError, taskAuthorization } from '../../src/master/scheduler-api.ts'

const acls = (o: Record<string, unknown>) => parseAcls(JSON.stringify(o))
const info = (extra: Partial<FrameworkInfo> = {}): FrameworkInfo => ({ user: 'web', name: 'f', principal: 'ops', id: { value: 'F1' }, ...extra })
const task = (extra: Partial<TaskInfo> = {}): TaskInfo => ({ name: 't', task_id: { value: 't1' }, agent_id: { value: 'A' }, command: { value: 'true' }, ...extra })

describe('scheduler API: register_frameworks and run_tasks', () => {
  const a = acls({
    permissive: false,
    register_frameworks: [{ principals: { values: ['ops'] }, roles: { values: ['prod', 'eng/%'] } }],
    run_tasks: [{ principals: { values: ['ops'] }, users: { values: ['web'] } }],
  })
  const rows: [string, FrameworkInfo, string | undefined][] = [
    ['allowed role', info({ role: 'prod' }), undefined],
    ['role below eng/', info({ roles: ['eng/web'], capabilities: [{ type: 'MULTI_ROLE' }] }), undefined],
    ['one role not allowed', info({ roles: ['prod', 'dev'], capabilities: [{ type: 'MULTI_ROLE' }] }), 'Not authorized to register framework F1 with roles ["prod","dev"]'],
    ['no principal', info({ role: 'prod', principal: undefined }), 'Not authorized to register framework F1 with roles ["prod"]'],
  ]
  for (const [name, fw, want] of rows) test(`REGISTER_FRAMEWORK: ${name}`, () => expect(frameworkRegistrationError(a, fw)).toBe(want))

  const launch = taskAuthorization(a, info({ role: 'prod' }))
  test('RUN_TASK as the framework user', () => expect(launch(task())).toBeUndefined())
  test('RUN_TASK as another user', () => expect(launch(task({ command: { value: 'true', user: 'root' } }))).toBe("Not authorized to launch task t1 of framework F1 under user 'root'"))
  test('RUN_TASK as the executor user', () => expect(launch(task({ command: undefined, executor: { executor_id: { value: 'e' }, command: { user: 'db' } } }))).toContain("under user 'db'"))

  // The task-security hook (src/agent/isolators/task-security.ts): privileges beyond the defaults need run_tasks for root.
  const privileged = task({ container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] } } } as TaskInfo['container'] })
  const unconfined = task({ container: { type: 'MESOS', linux_info: { seccomp: { unconfined: true } } } as TaskInfo['container'] })
  test('extra capabilities without run_tasks for root are refused', () => expect(launch(privileged)).toContain('CAP_SYS_ADMIN'))
  test('seccomp unconfined without run_tasks for root is refused', () => expect(launch(unconfined)).toContain('seccomp unconfined'))
  test('default capabilities need nothing more', () => expect(launch(task({ container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['CHOWN'] } } } as TaskInfo['container'] }))).toBeUndefined())
  test('with run_tasks for root the same tasks launch', () => {
    const root = taskAuthorization(acls({ permissive: false, run_tasks: [{ principals: { values: ['ops'] }, users: { values: ['web', 'root'] } }] }), info())
    expect(root(privileged)).toBeUndefined()
    expect(root(unconfined)).toBeUndefined()
  })
  test('no ACLs: everything launches', () => expect(taskAuthorization(parseAcls('{}'), info())(privileged)).toBeUndefined())
})

describe('file paths', () => {
  test('master: only its log is attached, behind access_mesos_logs', () => {
    expect(masterFileAction('/master/log')).toBe('ACCESS_MESOS_LOG')
    expect(masterFileAction('//master/./log/')).toBe('ACCESS_MESOS_LOG')
    expect(masterFileAction('/master/logs')).toBeUndefined()
  })
  test('agent: sandboxes by framework and executor, whichever way they are named', () => {
    expect(fileTarget('/frameworks/F/executors/E/runs/latest/stdout')).toEqual({ kind: 'sandbox', frameworkId: 'F', executorId: 'E' })
    expect(fileTarget('/var/lib/meso/agent/slaves/S/frameworks/F/executors/E/runs/C')).toEqual({ kind: 'sandbox', frameworkId: 'F', executorId: 'E' })
    expect(fileTarget('/frameworks/X/../F/executors/E/runs/latest')).toEqual({ kind: 'sandbox', frameworkId: 'F', executorId: 'E' })
    expect(fileTarget('/slave/log')).toEqual({ kind: 'log' })
    expect(fileTarget('/frameworks/F/executors/E/runs/../../../../../slave/log')).toEqual({ kind: 'log' })
    expect(fileTarget('/etc')).toEqual({ kind: 'other' })
  })
})

describe('agent: containers and executor tokens', () => {
  const owner = { exec: { kind: 'default', info: { executor_id: { value: 'E' }, command: { user: 'web' } } }, rootId: 'C-exec', frameworkInfo: { user: 'fw', name: 'f' } } as unknown as Parameters<typeof containerObject>[0]
  const token = { claims: { fid: 'F', eid: 'E', cid: 'C-exec' } }
  const none = parseAcls('{}')
  test('the object carries the real root, whatever parents the caller sent', () => {
    expect(containerObject(owner, 'task-1').containerId).toEqual({ value: 'task-1', parent: { value: 'C-exec' } })
    expect(authorized(none, { action: 'ATTACH_CONTAINER_OUTPUT', subject: token, object: containerObject(owner, 'task-1') })).toBe(true)
    expect(authorized(none, { action: 'ATTACH_CONTAINER_OUTPUT', subject: { claims: { cid: 'other' } }, object: containerObject(owner, 'task-1') })).toBe(false)
  })
  test('an unknown container is judged on its own id', () => {
    expect(authorized(none, { action: 'KILL_NESTED_CONTAINER', subject: token, object: containerObject(undefined, 'x') })).toBe(false)
  })
  test('the executor API wants all three claims of this executor', () => {
    expect(executorClaimsError(undefined, 'F', 'E', 'C')).toBeUndefined()
    expect(executorClaimsError({ claims: { fid: 'F', eid: 'E', cid: 'C' } }, 'F', 'E', 'C')).toBeUndefined()
    expect(executorClaimsError({ claims: { fid: 'F', eid: 'E2', cid: 'C' } }, 'F', 'E', 'C')).toContain("'eid' claim")
    expect(executorClaimsError({ claims: { fid: 'F', eid: 'E', cid: 'C2' } }, 'F', 'E', 'C')).toContain("'cid' claim")
    expect(executorClaimsError({ value: 'ops' }, 'F', 'E', 'C')).toContain("'fid' claim")
  })
})

describe('viewer', () => {
  test('tasks are judged by their own user before the framework user', () => {
    const v = new Viewer(acls({ permissive: false, view_tasks: [{ principals: { values: ['dev'] }, users: { values: ['dev'] } }] }), { value: 'dev' })
    expect(v.task({ user: 'dev' }, { user: 'root' })).toBe(true)
    expect(v.task({ command: { user: 'root' } }, { user: 'dev' })).toBe(false)
  })
})
