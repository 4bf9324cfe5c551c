// The web UI's way to a task's sandbox (docs/ui.md): the page may only talk to the master that served it (its
// Content-Security-Policy says connect-src 'self'), and agents serve sandboxes on their own ports, so the master
// relays two read-only calls of an agent's files API: GET /api/meso/v1/agent_files/{browse,read}?agent_id=…&path=…
// (meso extension; Mesos' UI talked to each agent directly, with JSONP).
//
// The relay holds no authority of its own: the caller's Authorization header goes to the agent, which authenticates
// and authorizes the read (access_sandboxes) exactly as if asked directly; the master sends nothing of its own.
// Only agents the master has registered are reached, at the address they registered with.

import { clientTls, httpScheme } from '../core/tls.ts'
import { badRequest, text } from '../core/http/responses.ts'
import type { Master } from './master.ts'

export const AGENT_FILES_OPS = ['browse', 'read'] as const
export type AgentFilesOp = (typeof AGENT_FILES_OPS)[number]

/** The query parameters the agent's /files/browse and /files/read take; nothing else is passed on. */
const PASSED = ['path', 'offset', 'length']
/** A listing of a huge directory is the largest answer; more than this is refused rather than buffered. */
export const MAX_RELAYED_BYTES = 8 * 1024 * 1024
const TIMEOUT_MS = 15_000

export async function relayAgentFiles(master: Master, op: AgentFilesOp, req: Request, url: URL): Promise<Response> {
  const agentId = url.searchParams.get('agent_id')
  if (!agentId) return badRequest("Missing 'agent_id' query parameter")
  if (!url.searchParams.get('path')) return badRequest("Missing 'path' query parameter")
  const agent = master.state.agents.get(agentId)
  if (!agent || agent.state === 'recovered' || agent.state === 'unreachable') return text(404, `No registered agent with id '${agentId}'`)
  if (!agent.connected) return text(503, `Agent ${agentId} (${agent.hostname}) is disconnected`)
  const q = new URLSearchParams()
  for (const k of PASSED) { const v = url.searchParams.get(k); if (v !== null) q.set(k, v) }
  const target = `${httpScheme()}://${agent.address}/files/${op}?${q}`
  const headers: Record<string, string> = {}
  const auth = req.headers.get('authorization')
  if (auth) headers.Authorization = auth
  let res: Response
  try {
    res = await fetch(target, { headers, tls: clientTls(), signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' } as RequestInit)
  } catch (err) {
    return text(502, `Agent ${agentId} (${agent.address}) did not answer /files/${op}: ${(err as Error).message}`)
  }
  const body = await boundedBody(res)
  if (!body) return text(502, `Agent ${agentId} answered /files/${op} with more than ${MAX_RELAYED_BYTES} bytes`)
  // WWW-Authenticate is dropped: the UI asks for credentials in its own form, and a browser seeing the header could
  // pop its native dialog for the master's origin with the agent's realm.
  const out: Record<string, string> = { 'Content-Type': res.headers.get('content-type') ?? 'application/octet-stream', 'Cache-Control': 'no-store' }
  return new Response(body, { status: res.status, headers: out })
}

async function boundedBody(res: Response): Promise<Uint8Array | undefined> {
  if (!res.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX_RELAYED_BYTES) { await reader.cancel(); return undefined }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}
