// Command handlers that run without oclif (fast path, cli/fast-dispatch.ts) and behind the oclif classes alike.
// Each module exports `execute(parsed)`; none of them may import @oclif/core.

import type { ParsedCommand } from './parsed.ts'

export type Handler = { execute(parsed: ParsedCommand): Promise<number | void> }

export const HANDLERS: Record<string, () => Promise<Handler>> = {
  'task:run': () => import('../client/commands/task-run.ts'),
  'task:list': () => import('../client/commands/task-list.ts'),
  'task:kill': () => import('../client/commands/task-kill.ts'),
  'task:exec': () => import('../client/commands/task-exec.ts'),
  'task:attach': () => import('../client/commands/task-attach.ts'),
  'task:logs': () => import('../client/commands/task-logs.ts'),
  'agent:list': () => import('../client/commands/agent-list.ts'),
  'framework:list': () => import('../client/commands/framework-list.ts'),
  'framework:teardown': () => import('../client/commands/framework-teardown.ts'),
  'cluster:status': () => import('../client/commands/cluster-status.ts'),
  'network:list': () => import('../client/commands/network-list.ts'),
}
