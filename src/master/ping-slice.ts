// Agent pings spread over the ping interval (agents.ts, pingAgents): which tick pings which agent.

/**
 * The agents are pinged in this many slices, one slice a tick (every --agent_ping_timeout / PING_SLICES), so each
 * still gets a ping every --agent_ping_timeout. Pinging all at once sent 10,000 pings in one turn of the event loop
 * and took 10,000 pongs right after: a 170–400 ms stall every 15 s at 10k agents (profiled), which every scheduler
 * call arriving then waited out. Mesos pings each agent on its own timer, started when it registered.
 */
export const PING_SLICES = 16

/** A stable slice for an agent: its id's characters folded (FNV-1a), so slices stay even as agents come and go. */
export function pingSlice(agentId: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < agentId.length; i++) h = Math.imul(h ^ agentId.charCodeAt(i), 0x01000193)
  return (h >>> 0) % PING_SLICES
}
