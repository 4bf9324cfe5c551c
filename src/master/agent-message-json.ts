// Reading a message of the agent link under the JSON limits (docs/security-input.md). `parseJson`
// (src/core/proto/json.ts) checks the text with its reader before `JSON.parse` builds it, which is what keeps a
// hostile 16 MB frame of `[` from building millions of arrays; for the small messages a busy link carries (status
// updates: about 600 bytes, four per task) the check cost three times the parse. A message shorter than the string
// and entry limits cannot break either of them, so it is parsed first and then walked for the one limit left,
// nesting depth, and for numbers the reader refuses (out of a double's range, which JSON.parse turns into
// Infinity). Anything that fails, or that JSON.parse refuses, is read again by parseJson, so what is dropped and the
// message saying why are the same as before.

import { parseJson, type JsonLimits } from '../core/proto/json.ts'

/** Whether `v` nests at most `levels` arrays and objects deep and holds only finite numbers. */
function withinDepth(v: unknown, levels: number): boolean {
  if (typeof v === 'number') return Number.isFinite(v)
  if (typeof v !== 'object' || v === null) return true
  if (levels <= 0) return false
  if (Array.isArray(v)) {
    for (const item of v) if (!withinDepth(item, levels - 1)) return false
    return true
  }
  for (const k in v) if (!withinDepth((v as Record<string, unknown>)[k], levels - 1)) return false
  return true
}

/**
 * The parsed message; throws parseJson's ProtoJsonError when the text is not JSON or breaks a limit. `limits` are
 * the master's own; parseJson reads under the process's, which are the same or (`meso up`, where the agent's are
 * merged in) more permissive, so whatever passes here passes there.
 */
export function parseAgentJson(text: string, limits: Readonly<JsonLimits>): unknown {
  if (text.length <= limits.maxStringLength && text.length <= limits.maxEntries) {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      return parseJson(text)
    }
    try {
      if (withinDepth(v, limits.maxDepth)) return v
    } catch {
      // Deeper than the stack allows a walk (only with a --json_max_depth far above the default): parseJson decides.
    }
  }
  return parseJson(text)
}
