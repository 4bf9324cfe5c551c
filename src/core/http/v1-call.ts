// Reading a v1 Call from a request body with Mesos' check order (method, Content-Type, parse, Accept), shared by
// the master and agent operator APIs and the executor API.

import { decodeBody, ProtoJsonError } from '../v1/codec.ts'
import { requestCodec, responseCodec, type Codec } from './negotiate.ts'
import { requestComplete } from './router.ts'
import { badRequest, methodNotAllowed } from './responses.ts'

export interface ParsedCall<T> { call: T; codec: Codec; recordio: boolean }

export async function readV1Call<T = any>(req: Request, typeName: string, opts: { streamingRecordIO?: boolean } = {}): Promise<ParsedCall<T> | Response> {
  if (req.method !== 'POST') return methodNotAllowed(['POST'])
  const inCodec = requestCodec(req)
  if (inCodec instanceof Response) return inCodec
  if (inCodec === 'recordio') return badRequest('Unexpected recordio body')
  let call: any
  try {
    const body = new Uint8Array(await req.arrayBuffer())
    // The body is in: a long-poll (WAIT_NESTED_CONTAINER) may now take its time (router.ts).
    requestComplete(req)
    call = decodeBody<T>(typeName, inCodec, body)
  } catch (err) {
    if (err instanceof ProtoJsonError) {
      const short = typeName.split('.').slice(-2).join('::')
      return badRequest(err.message.startsWith('Failed to parse') ? err.message : `Failed to convert JSON into ${short} protobuf: ${err.message}`)
    }
    throw err
  }
  if (!call.type) return badRequest(`Failed to validate ${typeName.split('.').slice(-2).join('::')}: Expecting 'type' to be present`)
  const out = responseCodec(req, { streamingRecordIO: opts.streamingRecordIO })
  if (out instanceof Response) return out
  return { call, codec: out.codec, recordio: out.recordio }
}

/** snake_case key of a call/response sub-message: GET_STATE → get_state. */
export const subKey = (type: string) => type.toLowerCase()
