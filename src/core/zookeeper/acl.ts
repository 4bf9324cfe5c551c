// The ACLs meso creates znodes with. Without credentials: world:anyone may do anything (ZooDefs.Ids
// OPEN_ACL_UNSAFE). With digest credentials Mesos uses EVERYONE_READ_CREATOR_ALL (upstream
// src/zookeeper/authentication.cpp): anyone may read, only a session authenticated as the creator may change —
// so agents and the CLI can find the leader without the masters' password.

import { createHash } from 'node:crypto'
import { type Acl, Perms } from './records.ts'

export const OPEN_ACL_UNSAFE: readonly Acl[] = [{ perms: Perms.ALL, scheme: 'world', id: 'anyone' }]

/** `auth:` with an empty id means "every identity the creating session authenticated as" (ZooDefs.Ids.AUTH_IDS). */
export const EVERYONE_READ_CREATOR_ALL: readonly Acl[] = [
  { perms: Perms.READ, scheme: 'world', id: 'anyone' },
  { perms: Perms.ALL, scheme: 'auth', id: '' },
]

/** The id a `digest` ACL names for `user:password`: `user:base64(sha1("user:password"))`
 * (DigestAuthenticationProvider.generateDigest). */
export function digestId(credentials: string): string {
  const user = credentials.slice(0, Math.max(0, credentials.indexOf(':')))
  return `${user}:${createHash('sha1').update(credentials).digest('base64')}`
}

export function digestAcl(credentials: string, perms: number = Perms.ALL): Acl {
  return { perms, scheme: 'digest', id: digestId(credentials) }
}
