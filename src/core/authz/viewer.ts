// What one principal may see: the VIEW_* approvers of a request, built once and asked per object, as upstream's
// ObjectApprovers (src/common/http.hpp) are for state endpoints and event streams. Answers are cached per user
// or role, so filtering a large state costs one ACL walk per distinct user, not per task.

import { approver, type Action, type Approver, type AuthzObject, type Subject } from './authorizer.ts'
import type { Acls } from './acls.ts'

interface FrameworkLike { user?: string; principal?: string; role?: string; roles?: readonly string[]; capabilities?: readonly { type?: string }[] }
interface CommandLike { user?: string }
interface ResourceLike { role?: string; reservations?: readonly { role?: string }[]; allocation_info?: { role?: string } }

export class Viewer {
  private readonly approvers = new Map<Action, Approver>()
  private readonly cache = new Map<string, boolean>()

  constructor(private readonly acls: Acls, readonly subject: Subject | undefined) {}

  private ask(action: Action, key: string, object: AuthzObject | undefined): boolean {
    const k = `${action}\0${key}`
    const hit = this.cache.get(k)
    if (hit !== undefined) return hit
    let a = this.approvers.get(action)
    if (!a) { a = approver(this.acls, this.subject, action); this.approvers.set(action, a) }
    const v = a(object)
    this.cache.set(k, v)
    return v
  }

  /** VIEW_FRAMEWORK: by the framework's user. */
  framework(info: FrameworkLike): boolean {
    return this.ask('VIEW_FRAMEWORK', info.user ?? '', { frameworkInfo: info })
  }

  /** VIEW_TASK: by the task's user, else its framework's (a Task's `user`, or a TaskInfo's command user). */
  task(task: { user?: string; command?: CommandLike; executor?: { command?: CommandLike } }, fw: FrameworkLike): boolean {
    const user = task.user ?? task.command?.user ?? task.executor?.command?.user ?? fw.user ?? ''
    return this.ask('VIEW_TASK', user, { task: { user } })
  }

  /** VIEW_EXECUTOR: by the executor's command user, else its framework's. */
  executor(info: { command?: CommandLike }, fw: FrameworkLike): boolean {
    const user = info.command?.user ?? fw.user ?? ''
    return this.ask('VIEW_EXECUTOR', user, { executorInfo: { command: { user } } })
  }

  /** VIEW_CONTAINER (agent): by the executor's command user, else its framework's. */
  container(info: { command?: CommandLike } | undefined, fw: FrameworkLike | undefined): boolean {
    const user = info?.command?.user ?? fw?.user
    return this.ask('VIEW_CONTAINER', user ?? '\0any', user === undefined ? undefined : { executorInfo: { command: { user } } })
  }

  /** VIEW_ROLE for a role name. */
  role(name: string): boolean {
    return this.ask('VIEW_ROLE', name, { value: name })
  }

  /** VIEW_ROLE for a resource: every role in its reservation path and its allocation role (upstream http.hpp). */
  resource(r: ResourceLike): boolean {
    if (r.role && r.role !== '*' && !this.role(r.role)) return false
    for (const res of r.reservations ?? []) if (!this.role(res.role ?? '*')) return false
    if (r.allocation_info?.role !== undefined && !this.role(r.allocation_info.role)) return false
    return true
  }

  /** VIEW_FLAGS (implicit object). */
  flags(): boolean {
    return this.ask('VIEW_FLAGS', '', undefined)
  }
}
