// The scheduler call a busy framework makes most: ACKNOWLEDGE, three per task (STARTING, RUNNING, the end). The
// schema-driven reader (src/core/proto/json.ts) costs about ten times `JSON.parse` on it, so a JSON body in exactly
// the shape every client library writes is read with `JSON.parse` instead; anything else, and anything this cannot
// vouch for, goes to the full reader, whose answer (and whose error messages) stay the reference.
//
// What "vouch for" means: `JSON.stringify` of the parsed value gives back the text byte for byte (so there were no
// duplicate keys, no whitespace, no escapes the full reader could read differently), the value has exactly the
// fields of an ACKNOWLEDGE and nothing else, every id is a string, and the uuid is 24 characters of base64 holding 16
// bytes (what the reader accepts as `bytes` and validateSchedulerCall as a UUID). For such a text the full reader
// returns an equal value: the same fields and strings, nothing to fill in (test/master/acknowledge-call.test.ts
// holds the two side by side). The JSON limits are those of the full reader; a body they could refuse is not read
// here.

import type { JsonLimits } from '../core/proto/json.ts'

/** An ACKNOWLEDGE call as the full reader returns it. */
export interface AcknowledgeCall {
  type: 'ACKNOWLEDGE'
  framework_id: { value: string }
  acknowledge: { agent_id: { value: string }; task_id: { value: string }; uuid: string }
}

/** Longer bodies are not worth the try: real ACKNOWLEDGEs are about 250 bytes. */
const MAX_TEXT = 2048

const UUID_BASE64 = /^[A-Za-z0-9+/]{22}==$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `{ "value": "…" }` and nothing else. */
function isWireId(v: unknown): v is { value: string } {
  if (!isObject(v)) return false
  let n = 0
  for (const k in v) if (k !== 'value' || ++n > 1) return false
  return typeof v.value === 'string'
}

function hasOnly(o: Record<string, unknown>, keys: readonly string[]): boolean {
  let n = 0
  for (const k in o) {
    if (!keys.includes(k)) return false
    n++
  }
  return n === keys.length
}

const CALL_KEYS = ['type', 'framework_id', 'acknowledge'] as const
const ACK_KEYS = ['agent_id', 'task_id', 'uuid'] as const

/**
 * The call in `text` when it is an ACKNOWLEDGE this can read exactly as the full reader would (see the top of the
 * file); undefined otherwise, and then the caller reads it the full way.
 */
export function readAcknowledgeCall(text: string, limits: Readonly<JsonLimits>): AcknowledgeCall | undefined {
  // Depth 3 (call → acknowledge → agent_id), at most 3 entries an object, no string longer than the text.
  if (text.length > MAX_TEXT || limits.maxDepth < 3 || limits.maxEntries < 3 || limits.maxStringLength < text.length) return undefined
  // A cheap look before parsing: other calls leave at once.
  if (!text.includes('"ACKNOWLEDGE"')) return undefined
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(v) || v.type !== 'ACKNOWLEDGE' || !hasOnly(v, CALL_KEYS) || !isWireId(v.framework_id)) return undefined
  const ack = v.acknowledge
  if (!isObject(ack) || !hasOnly(ack, ACK_KEYS) || !isWireId(ack.agent_id) || !isWireId(ack.task_id)) return undefined
  if (typeof ack.uuid !== 'string' || !UUID_BASE64.test(ack.uuid)) return undefined
  if (JSON.stringify(v) !== text) return undefined
  return v as unknown as AcknowledgeCall
}
