// Running a task as its FrameworkInfo/CommandInfo user, as Mesos does with --switch_user when the agent is root.

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
