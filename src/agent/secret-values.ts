// Secret values on the agent (docs/security-secrets.md): the master sends each task redacted, with the values
// beside it (RUN_TASK `secrets`, src/core/agent-protocol.ts). The agent records, checkpoints and shows only the
// redacted TaskInfo; the one with the values exists only in memory, found from the redacted object through a
// WeakMap, and is used only to start the container (environment, secret volumes, image credentials) or to hand a
// custom executor its task. A re-adopted task after an agent restart needs none of it: its container is running.

import { hydrateSecrets, redactSecrets, type SecretValues } from '../core/secrets/task-secrets.ts'
import type { TaskInfo } from '../core/v1/messages.ts'

const full = new WeakMap<object, object>()

/**
 * The TaskInfo to record for `task` as it came from the master. Values the master sent beside it, and any VALUE
 * secrets still inline (e.g. from a master that did not redact), stay reachable through `withSecrets` only.
 */
export function receiveSecrets(task: TaskInfo, values: SecretValues | undefined): TaskInfo {
  const hydrated = hydrateSecrets(task, values)
  const redacted = redactSecrets(task)
  if (hydrated !== redacted) {
    full.set(redacted, hydrated)
    if (redacted.executor && hydrated.executor) full.set(redacted.executor, hydrated.executor)
  }
  return redacted
}

/** `redacted` with its secret values, for the launch; itself when it has none. */
export function withSecrets<T extends object>(redacted: T): T {
  return (full.get(redacted) as T | undefined) ?? redacted
}
