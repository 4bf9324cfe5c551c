// What a daemon's HTTP server accepts from a client that means harm (docs/security-input.md): request body limits
// per endpoint, the idle timeout, the JSON limits, the agent link's message size. Mesos has no such flags
// (libprocess reads whatever comes), so these are meso's, in Mesos' style. The daemon spreads `serveOptions(…)` into
// Bun.serve; that also records the limits under the daemon's process id (`master`, `slave(1)`), where its Router
// (router.ts) and the agent link (src/master/agent-link.ts) find them.

import { formatBytes, parseBytes } from '../flags.ts'
import { configureJsonLimits, DEFAULT_JSON_LIMITS, type JsonLimits } from '../proto/json.ts'

/** A body limit: bytes, or STREAMED (the handler reads the body as a stream, with no total limit). */
export const STREAMED = Infinity

export interface HttpLimits {
  /** Body limits by route path as registered (no delegate prefix); `*` holds the limit of every other route. */
  bodyLimits: ReadonlyMap<string, number>
  /** Seconds a connection may wait for its next request, a body may stall, a plain response may take; 0: never. */
  idleTimeoutSeconds: number
  json: JsonLimits
  /** The largest WebSocket message on the master's agent link. */
  maxAgentMessageBytes: number
}

/** The flags of src/master/flags.ts and src/agent/flags.ts these limits come from (the agent has no agent link). */
export interface LimitFlags {
  http_request_body_limits: string
  http_idle_timeout: number
  json_max_depth: number
  json_max_string_length: number
  json_max_array_length: number
  max_agent_message_size?: number
}

export const MASTER_BODY_LIMITS = '/api/v1/scheduler=16MB,/api/v1=4MB,*=64KB'
export const AGENT_BODY_LIMITS = '/api/v1=4MB,/api/v1/executor=16MB,/api/meso/v1/images/load=unlimited,*=64KB'
const DEFAULT_IDLE_SECONDS = 60

/** Bun.serve refuses an idleTimeout over 255 s. */
export const MAX_IDLE_SECONDS = 255

export class LimitsError extends Error {}

/**
 * Parses `--http_request_body_limits`: comma-separated `PATH=SIZE` (stout bytes, `16MB`; `unlimited` for a
 * streamed body). The daemon's defaults come first, so a flag naming one path keeps the others' defaults.
 */
export function parseBodyLimits(text: string, defaults = ''): Map<string, number> {
  const out = new Map<string, number>()
  for (const part of [...defaults.split(','), ...text.split(',')]) {
    if (!part.trim()) continue
    const eq = part.lastIndexOf('=')
    const path = part.slice(0, eq).trim().replace(/\/+$/, '') || '/'
    const size = part.slice(eq + 1).trim()
    if (eq <= 0 || (path !== '*' && !path.startsWith('/'))) throw new LimitsError(`'${part.trim()}' is not PATH=SIZE (e.g. /api/v1/scheduler=16MB or *=64KB)`)
    const n = size === 'unlimited' ? STREAMED : parseBytes(size)
    if (n === undefined || n <= 0) throw new LimitsError(`'${size}' in '${part.trim()}' is not a byte size (e.g. 512KB, 16MB) or 'unlimited'`)
    out.set(path, n)
  }
  // Form posts and small JSON (teardown, kill_task, image commands): their handlers read the body whole.
  if (!out.has('*')) out.set('*', 64 * 1024)
  return out
}

export const formatBodyLimit = (n: number) => (n === STREAMED ? 'unlimited' : formatBytes(n))

/** `check` for --http_request_body_limits in the flag tables. */
export function bodyLimitsError(v: unknown): string | undefined {
  try { parseBodyLimits(String(v)); return undefined } catch (err) { return (err as Error).message }
}

/** `check` for the JSON limits and --max_agent_message_size. */
export const positiveLimitError = (v: unknown) => ((v as number) > 0 ? undefined : 'must be positive')

/** `check` for --http_idle_timeout (milliseconds once parsed). */
export function idleTimeoutError(v: unknown): string | undefined {
  const ms = v as number
  return ms >= 0 && ms <= MAX_IDLE_SECONDS * 1000 ? undefined : `must be between 0secs (no timeout) and ${MAX_IDLE_SECONDS}secs`
}

export function limitsFromFlags(f: LimitFlags, defaultBodyLimits: string): HttpLimits {
  return {
    bodyLimits: parseBodyLimits(f.http_request_body_limits, defaultBodyLimits),
    // Bun counts whole seconds; a timeout below one second would mean none at all.
    idleTimeoutSeconds: f.http_idle_timeout > 0 ? Math.max(1, Math.ceil(f.http_idle_timeout / 1000)) : 0,
    json: { maxDepth: f.json_max_depth, maxStringLength: f.json_max_string_length, maxEntries: f.json_max_array_length },
    maxAgentMessageBytes: f.max_agent_message_size ?? 16 * 1024 * 1024,
  }
}

export const DEFAULT_LIMITS: HttpLimits = Object.freeze({
  bodyLimits: parseBodyLimits('', MASTER_BODY_LIMITS),
  idleTimeoutSeconds: DEFAULT_IDLE_SECONDS,
  json: DEFAULT_JSON_LIMITS,
  maxAgentMessageBytes: 16 * 1024 * 1024,
})

const byDelegate = new Map<string, HttpLimits>()

/** The limits recorded for a daemon's process id, else the defaults. */
export function limitsFor(delegate: string): HttpLimits {
  return byDelegate.get(delegate) ?? DEFAULT_LIMITS
}

/** Records a daemon's limits (and applies its JSON limits to this process's decoders). */
export function setLimits(delegate: string, limits: HttpLimits): void {
  byDelegate.set(delegate, limits)
  configureJsonLimits(limits.json, byDelegate.size > 1)
}

/**
 * The Bun.serve options of a daemon (`...serveOptions('master', flags)`), recording its limits on the way.
 * - idleTimeout: a connection idle between requests is closed after it; the Router renews or lifts it per request
 *   (a stalled body, a long-poll, an event stream: router.ts).
 * - maxRequestBodySize: out of the way. The Router enforces the limit of each endpoint, before or while reading, so
 *   every refusal is a 413 that says which limit it hit (Bun's own 413 has no body), and streamed bodies (attach
 *   input, image uploads) have no total limit at all.
 */
export function serveOptions(delegate: 'master' | 'slave(1)', flags: LimitFlags): { idleTimeout: number; maxRequestBodySize: number } {
  const limits = limitsFromFlags(flags, delegate === 'master' ? MASTER_BODY_LIMITS : AGENT_BODY_LIMITS)
  setLimits(delegate, limits)
  return { idleTimeout: limits.idleTimeoutSeconds, maxRequestBodySize: Number.MAX_SAFE_INTEGER }
}
