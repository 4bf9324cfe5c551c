// Authorization of the agent's container calls (Mesos ACLs launch_nested_container_sessions_*, attach_containers_*,
// kill/wait/remove_nested_containers). Every call asks the agent's authorizer; the default permits everything, as
// Mesos does with `permissive: true` and no ACLs (the ACL content comes with the security work).

export type ContainerAction =
  | 'LAUNCH_NESTED_CONTAINER' | 'LAUNCH_NESTED_CONTAINER_SESSION' | 'ATTACH_CONTAINER_INPUT' | 'ATTACH_CONTAINER_OUTPUT'
  | 'KILL_NESTED_CONTAINER' | 'WAIT_NESTED_CONTAINER' | 'REMOVE_NESTED_CONTAINER'

export interface AuthorizationRequest {
  action: ContainerAction
  /** The authenticated principal, if any. */
  principal?: string
  /** The user the parent container runs as, and its framework. */
  user?: string
  frameworkId?: string
}

export interface Authorizer {
  authorized(request: AuthorizationRequest): Promise<boolean>
}

export const permissive: Authorizer = { authorized: async () => true }
