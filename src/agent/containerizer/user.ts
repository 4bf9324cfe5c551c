// Running a task as its FrameworkInfo/CommandInfo user, as Mesos does with --switch_user when the agent is root.

import { chownSync } from 'node:fs'
import { currentUserName, lookupUser } from '../../core/posix-user.ts'

/** True when the task must switch to `user` (agent is root, switching enabled, and a different user asked). */
export function mustSwitchUser(user: string | undefined, switchUser: boolean): boolean {
  return !!user && switchUser && process.getuid?.() === 0 && user !== 'root' && user !== currentUserName()
}

/** argv prefix that drops to `user`; throws when the user does not exist on this agent. */
export function userSwitchPrefix(user: string | undefined, switchUser: boolean): string[] {
  if (!mustSwitchUser(user, switchUser)) return []
  const u = lookupUser(user!)
  if (!u) throw new Error(`Failed to switch to user '${user}': no such user on this agent`)
  return ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--']
}

/**
 * A new sandbox belongs to the user its task or executor runs as (upstream slave::createSandbox chowns the
 * directory), so the task can write its working directory. Nothing to do when no switch happens; an unknown user
 * is left for the launch to refuse with its own message.
 */
export function handSandboxTo(sandbox: string, user: string | undefined, switchUser: boolean): void {
  if (!mustSwitchUser(user, switchUser)) return
  const u = lookupUser(user!)
  if (u) chownSync(sandbox, u.uid, u.gid)
}
