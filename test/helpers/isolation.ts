// Isolation contexts and agent flags for isolator and containerizer tests: the flags are the table's defaults
// (src/agent/flags.ts) with the test's overrides, resolved as the agent resolves them.

import { resolveFlags } from '../../src/core/flags.ts'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'
import { AGENT_FLAGS, type AgentFlags } from '../../src/agent/flags.ts'
import type { IsolationContext } from '../../src/agent/isolators/isolator.ts'

export const agentFlags = (over: Record<string, unknown> = {}): AgentFlags => resolveFlags(AGENT_FLAGS, over)

export const res = (text: string) => Resources.of(parseResourcesFlag(text))

export function isolationContext(over: Partial<Omit<IsolationContext, 'flags'>> & { flags?: Record<string, unknown> } = {}): IsolationContext {
  const { flags, ...rest } = over
  return {
    containerId: 'c', resources: res('cpus:0.5;mem:64'), flags: agentFlags(flags),
    sandbox: { host: '/h/sandbox', container: '/mnt/mesos/sandbox' }, env: {}, ...rest,
  }
}
