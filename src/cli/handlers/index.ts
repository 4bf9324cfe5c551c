// The command handlers, by command id: each module exports `execute(parsed)` and runs without oclif — behind the
// oclif classes (src/commands/) and on the fast path (../fast-dispatch.ts) alike; none may import @oclif/core
// except for types. A command listed here gets a fast path (scripts/gen-cli-manifest.ts).

import type { Handler } from '../parsed.ts'

export const HANDLERS: Record<string, () => Promise<Handler>> = {
  'task:run': () => import('./task-run.ts'),
  'task:list': () => import('./task-list.ts'),
  'task:kill': () => import('./task-kill.ts'),
  'task:exec': () => import('./task-exec.ts'),
  'task:attach': () => import('./task-attach.ts'),
  'task:logs': () => import('./task-logs.ts'),
  'agent:list': () => import('./agent-list.ts'),
  'framework:list': () => import('./framework-list.ts'),
  'framework:teardown': () => import('./framework-teardown.ts'),
  'cluster:status': () => import('./cluster-status.ts'),
  'network:list': () => import('./network-list.ts'),
  'image:pull': () => import('./image-pull.ts'),
  'image:list': () => import('./image-list.ts'),
  'image:rm': () => import('./image-rm.ts'),
  'image:load': () => import('./image-load.ts'),
  'image:gc': () => import('./image-gc.ts'),
  'secret:create': () => import('./secret-create.ts'),
  'secret:list': () => import('./secret-list.ts'),
  'secret:rm': () => import('./secret-rm.ts'),
  'volume:list': () => import('./volume-list.ts'),
  'agent:drain': () => import('./agent-drain.ts'),
  'agent:deactivate': () => import('./agent-deactivate.ts'),
  'agent:reactivate': () => import('./agent-reactivate.ts'),
  'agent:maintenance': () => import('./agent-maintenance.ts'),
  'quota:set': () => import('./quota-set.ts'),
  'quota:list': () => import('./quota-list.ts'),
  'quota:rm': () => import('./quota-rm.ts'),
}
