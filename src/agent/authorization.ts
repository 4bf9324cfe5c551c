// Authorization at the agent's API edge (docs/security-auth.md): the caller of an operator call, a v0 endpoint or a
// file read, and what the local authorizer (core/authz) says about it. Container calls are authorized on the
// container's *own* executor and framework as the agent knows them (never on a parent chain the caller sends),
// which is what confines an executor's token (claims fid/eid/cid) to the containers under its own `cid`.
//
// The containers gate (`--authenticate_http_containers`): container calls (nested containers, sessions, attach,
// wait, kill, remove) and reads of sandboxes and logs need an authenticated principal — HTTP Basic, or an
// executor's token for its own containers — even where `--authenticate_http_readwrite` would let anonymous callers
// in. Tasks share the host's network, so without it any task could drive another task's container.

import { posix } from 'node:path'
import type { AuthzObject, Subject } from '../core/authz/authorizer.ts'
import { UNRESTRICTED, type RequestAuthz } from '../core/authz/request.ts'
import { text } from '../core/http/responses.ts'
import type { CommandInfo, ExecutorInfo, FrameworkInfo } from '../core/v1/messages.ts'
import type { Agent } from './agent.ts'
import type { AgentExecutorBase, AgentTask } from './executors/executor.ts'

/** The container calls and the ACL action each is authorized with (upstream src/slave/http.cpp). */
export type ContainerAction =
  | 'LAUNCH_NESTED_CONTAINER' | 'LAUNCH_NESTED_CONTAINER_SESSION' | 'ATTACH_CONTAINER_INPUT' | 'ATTACH_CONTAINER_OUTPUT'
  | 'KILL_NESTED_CONTAINER' | 'WAIT_NESTED_CONTAINER' | 'REMOVE_NESTED_CONTAINER'

/** One request's caller on the agent: who, what the ACLs allow, whether the containers gate is on. */
export interface AgentCaller {
  authz: RequestAuthz
  /** Container calls and file reads need an authenticated principal (the containers gate). */
  gate: boolean
  /** The 401 this request's realm answers when a principal is needed and missing. */
  challenge: () => Response
}

/** In-process callers (tests, the handlers' defaults) that bring no HTTP caller: no gate, no ACLs. */
export const TRUSTED_CALLER: AgentCaller = { authz: UNRESTRICTED, gate: false, challenge: () => text(401, '') }

/** The gate's 401 for an anonymous caller; undefined when the caller may go on to authorization. */
export function needsPrincipal(caller: AgentCaller): Response | undefined {
  return caller.gate && caller.authz.subject === undefined ? caller.challenge() : undefined
}

/** The executor a container belongs to, as the agent knows it. */
export interface ContainerOwner {
  exec: AgentExecutorBase
  task?: AgentTask
  /** The executor's container: the root of every container under it. */
  rootId: string
  frameworkInfo: FrameworkInfo
}

/** The ACL object for a container call: the owner's executor and framework, and the container with its true root. */
export function containerObject(owner: ContainerOwner | undefined, containerId: string, command?: CommandInfo): AuthzObject {
  if (!owner) return { containerId: { value: containerId }, ...(command ? { commandInfo: command } : {}) }
  // A command task's user is its executor's in Mesos (the command executor runs as the task's user).
  const executorInfo: ExecutorInfo = owner.exec.kind === 'command' && owner.task?.info.command?.user !== undefined
    ? { ...owner.exec.info, command: { ...owner.exec.info.command, user: owner.task.info.command.user } }
    : owner.exec.info
  return {
    executorInfo,
    frameworkInfo: owner.frameworkInfo,
    containerId: owner.rootId === containerId ? { value: containerId } : { value: containerId, parent: { value: owner.rootId } },
    ...(command ? { commandInfo: command } : {}),
  }
}

/**
 * Authorizes a container call: 401 when the gate wants a principal and there is none, 403 when the ACLs (or, for an
 * executor's token, the implicit executor rule) refuse, undefined when it may proceed.
 */
export function authorizeContainerCall(caller: AgentCaller, action: ContainerAction, owner: ContainerOwner | undefined, containerId: string, command?: CommandInfo): Response | undefined {
  return needsPrincipal(caller) ?? caller.authz.check(action, containerObject(owner, containerId, command), `${action} on container ${containerId}`)
}

/** Where a file path leads on the agent: a sandbox (of which executor), the agent's log, or nothing known. */
export type FileTarget =
  | { kind: 'sandbox'; frameworkId: string; executorId: string }
  | { kind: 'log' }
  | { kind: 'other' }

/**
 * Classifies a /files path (or LIST_FILES / READ_FILE path) the way the file server resolves it: sandboxes are
 * attached as their host path and as /frameworks/<fid>/executors/<eid>/runs/latest, and both contain
 * `/frameworks/<fid>/executors/<eid>/runs/`; the agent's log is /slave/log.
 */
export function fileTarget(path: string): FileTarget {
  const p = posix.normalize(`/${path}`).replace(/\/+$/, '')
  const m = /\/frameworks\/([^/]+)\/executors\/([^/]+)\/runs(?:\/|$)/.exec(p)
  if (m) return { kind: 'sandbox', frameworkId: m[1]!, executorId: m[2]! }
  if (p === '/slave/log' || p.startsWith('/slave/log/')) return { kind: 'log' }
  return { kind: 'other' }
}

/** The executor and framework of a sandbox, live or completed, as far as the agent still knows them. */
function sandboxOwner(agent: Agent, frameworkId: string, executorId: string): { executorInfo?: ExecutorInfo; frameworkInfo?: FrameworkInfo } {
  const fw = agent.frameworks.get(frameworkId) ?? agent.completedFrameworks.find(f => f.info.id?.value === frameworkId)
  if (!fw) return {}
  const exec = fw.executors.get(executorId) ?? fw.completedExecutors.find(e => e.id === executorId)
  return { frameworkInfo: fw.info, executorInfo: exec?.info }
}

/**
 * Authorizes reading `path` (browse, read, download, LIST_FILES, READ_FILE): the gate first, then access_sandboxes
 * for a sandbox (by the executor's user, else its framework's) or access_mesos_logs for the agent's log, as upstream
 * attaches them (Slave::attachTaskVolumeDirectory / authorizeSandboxAccess, authorizeLogAccess).
 */
export function authorizeFile(agent: Agent, caller: AgentCaller, path: string): Response | undefined {
  const gate = needsPrincipal(caller)
  if (gate) return gate
  const t = fileTarget(path)
  if (t.kind === 'log') return caller.authz.check('ACCESS_MESOS_LOG', undefined, `access '${path}'`)
  if (t.kind === 'sandbox') {
    const o = sandboxOwner(agent, t.frameworkId, t.executorId)
    return caller.authz.check('ACCESS_SANDBOX', { executorInfo: o.executorInfo, frameworkInfo: o.frameworkInfo }, `access the sandbox of executor ${t.executorId} of framework ${t.frameworkId}`)
  }
  return undefined
}

/** A subject the agent accepts only for its own executor: an executor token's claims against an executor. */
export function executorClaimsError(subject: Subject | undefined, frameworkId: string, executorId: string, containerId: string): string | undefined {
  if (!subject) return undefined
  const c = subject.claims ?? {}
  // Upstream verifyExecutorClaims (src/slave/http.cpp): a principal must carry this executor's claims.
  if (c.fid !== frameworkId) return `Authenticated principal does not contain an 'fid' claim with the framework ID ${frameworkId}, which is set in the call`
  if (c.eid !== executorId) return `Authenticated principal does not contain an 'eid' claim with the executor ID ${executorId}, which is set in the call`
  if (c.cid !== containerId) return "Authenticated principal does not contain a 'cid' claim with the correct active ContainerID"
  return undefined
}
