// One authenticated request's view of the authorizer, for the daemons' API edges: who asks (its Subject, or
// anonymous), the ACLs in force, and the answers they give. Handlers ask `can(action, object)` before acting and
// filter what they show with `viewer` (docs/security-auth.md).

import { describeSubject } from '../auth.ts'
import { forbidden } from '../http/responses.ts'
import { DEFAULT_ACLS, type Acls } from './acls.ts'
import { authorized, type Action, type AuthzObject, type Subject } from './authorizer.ts'
import { Viewer } from './viewer.ts'

export class RequestAuthz {
  constructor(readonly acls: Acls, readonly subject: Subject | undefined) {}

  /** No ACLs and a principal with a name (or none): everything is allowed, so views need no filtering. */
  get unrestricted(): boolean {
    return this.acls.permissive && !Object.keys(this.acls.lists).length && (this.subject === undefined || this.subject.value !== undefined)
  }

  can(action: Action, object?: AuthzObject): boolean {
    return authorized(this.acls, { action, subject: this.subject, object })
  }

  /** A 403 naming the principal and what it may not do (upstream answers an empty 403; the words help operators). */
  refuse(what: string): Response {
    return forbidden(`${describeSubject(this.subject)} is not authorized to ${what}`)
  }

  /** `can`, or the 403 that says why not. */
  check(action: Action, object: AuthzObject | undefined, what: string): Response | undefined {
    return this.can(action, object) ? undefined : this.refuse(what)
  }

  /** VIEW_* filtering for state answers; undefined when nothing would be filtered (the fast path). */
  viewer(): Viewer | undefined {
    return this.unrestricted ? undefined : new Viewer(this.acls, this.subject)
  }
}

/** Anonymous with no ACLs: what in-process callers and tests that bypass HTTP get. */
export const UNRESTRICTED = new RequestAuthz(DEFAULT_ACLS, undefined)
