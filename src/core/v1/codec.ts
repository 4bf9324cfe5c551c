// Reading and writing v1 messages in either wire encoding chosen by content negotiation. JSON is read in one pass
// under the process's JSON limits (src/core/proto/json.ts, docs/security-input.md); the body itself was read under
// its endpoint's limit by the router (src/core/http/router.ts). JSON is written as Mesos writes it
// (src/core/proto/json-writer.ts: doubles keep a fraction, empty repeated fields are left out).

import { decodeMessage, encodeMessage } from '../proto/binary.ts'
import { message } from '../proto/index.ts'
import { parseJsonText, type JsonLimits } from '../proto/json.ts'
import { toJsonText } from '../proto/json-writer.ts'
import type { Codec } from '../http/negotiate.ts'
import { MEDIA } from '../http/negotiate.ts'

export { ProtoJsonError } from '../proto/json.ts'

const utf8 = new TextDecoder()

export function decodeBody<T>(typeName: string, codec: Codec, body: Uint8Array, limits?: JsonLimits): T {
  const type = message(typeName)
  if (codec === 'protobuf') return decodeMessage<T>(type, body)
  return parseJsonText<T>(type, utf8.decode(body), limits)
}

export function encodeBody(typeName: string, codec: Codec, value: unknown): string | Uint8Array {
  if (codec === 'json') return toJsonText(message(typeName), value)
  return encodeMessage(message(typeName), value as Record<string, unknown>)
}

export function messageResponse(typeName: string, codec: Codec, value: unknown, status = 200): Response {
  return new Response(encodeBody(typeName, codec, value), { status, headers: { 'Content-Type': MEDIA[codec] } })
}
