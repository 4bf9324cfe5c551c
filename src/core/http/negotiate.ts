// Content negotiation for the v1 APIs (Content-Type, Accept, Message-Content-Type, Message-Accept), with the status
// codes Mesos uses: missing Content-Type → 400, unsupported → 415, nothing acceptable → 406.

import { badRequest, notAcceptable, unsupportedMediaType } from './responses.ts'

export type Codec = 'json' | 'protobuf'
export const MEDIA: Record<Codec, string> = { json: 'application/json', protobuf: 'application/x-protobuf' }
export const RECORDIO = 'application/recordio'

const mediaOf = (header: string) => header.split(';')[0]!.trim().toLowerCase()

function codecFor(media: string): Codec | undefined {
  if (media === MEDIA.json) return 'json'
  if (media === MEDIA.protobuf) return 'protobuf'
  return undefined
}

/** The encoding of the request body, or the error response to send. */
export function requestCodec(req: Request, opts: { allowRecordIO?: boolean } = {}): Codec | 'recordio' | Response {
  const ct = req.headers.get('content-type')
  if (!ct) return badRequest("Expecting 'Content-Type' to be present")
  const media = mediaOf(ct)
  if (media === RECORDIO) {
    if (!opts.allowRecordIO) return unsupportedMediaType(`Expecting 'Content-Type' of ${MEDIA.json} or ${MEDIA.protobuf}`)
    return 'recordio'
  }
  const c = codecFor(media)
  if (!c) return unsupportedMediaType(`Expecting 'Content-Type' of ${MEDIA.json} or ${MEDIA.protobuf}`)
  if (req.headers.has('message-content-type')) {
    return unsupportedMediaType("Expecting 'Message-Content-Type' header only with streaming requests")
  }
  return c
}

/** Codec of the records inside a recordio request body (Message-Content-Type). */
export function messageContentCodec(req: Request): Codec | Response {
  const mct = req.headers.get('message-content-type')
  if (!mct) return badRequest("Expecting 'Message-Content-Type' to be set for a streaming request")
  return codecFor(mediaOf(mct)) ?? unsupportedMediaType(`Expecting 'Message-Content-Type' of ${MEDIA.json} or ${MEDIA.protobuf}`)
}

interface AcceptRange { type: string; sub: string; q: number }

function parseAccept(header: string): AcceptRange[] {
  return header.split(',').map(part => {
    const [media, ...params] = part.split(';').map(s => s.trim())
    const [type = '*', sub = '*'] = (media || '*/*').toLowerCase().split('/')
    let q = 1
    for (const p of params) {
      const [k, v] = p.split('=').map(s => s.trim())
      if (k === 'q' && v !== undefined) q = Number(v)
    }
    return { type, sub, q: Number.isFinite(q) ? q : 0 }
  })
}

/** Quality for a media type under an Accept header (exact match beats type/* beats star/star). */
function quality(ranges: AcceptRange[], media: string): number {
  const [type, sub] = media.split('/')
  let best: AcceptRange | undefined
  let rank = -1
  for (const r of ranges) {
    const rk = r.type === type && r.sub === sub ? 3 : r.type === type && r.sub === '*' ? 2 : r.type === '*' && r.sub === '*' ? 1 : 0
    if (rk > rank && rk > 0) { rank = rk; best = r }
  }
  return best ? best.q : 0
}

function exactQuality(ranges: AcceptRange[], media: string): number {
  const [type, sub] = media.split('/')
  return ranges.find(r => r.type === type && r.sub === sub)?.q ?? 0
}

export function accepts(req: Request, media: string): boolean {
  const header = req.headers.get('accept')
  if (!header) return true
  return quality(parseAccept(header), media) > 0
}

/**
 * The encoding of a response. With `streamingRecordIO` the caller may answer `application/recordio`
 * (agent container IO calls); Message-Accept then picks the record encoding.
 */
export function responseCodec(req: Request, opts: { streamingRecordIO?: boolean } = {}): { codec: Codec; recordio: boolean } | Response {
  const header = req.headers.get('accept')
  const ranges = header ? parseAccept(header) : undefined
  const ok = (media: string) => !ranges || quality(ranges, media) > 0
  const hasMessageAccept = req.headers.has('message-accept')
  // RecordIO only when asked for by name: `*/*` (fetch's default) means the plain encoding.
  const namesRecordIO = ranges?.some(r => r.type === 'application' && r.sub === 'recordio' && r.q > 0)
  if (opts.streamingRecordIO && ranges && namesRecordIO && quality(ranges, RECORDIO) >= exactQuality(ranges, MEDIA.json)) {
    const ma = req.headers.get('message-accept')
    if (!ma) return { codec: 'json', recordio: true }
    const mr = parseAccept(ma)
    if (quality(mr, MEDIA.json) > 0) return { codec: 'json', recordio: true }
    if (quality(mr, MEDIA.protobuf) > 0) return { codec: 'protobuf', recordio: true }
    return notAcceptable(`Expecting 'Message-Accept' to allow ${MEDIA.json} or ${MEDIA.protobuf}`)
  }
  if (hasMessageAccept) return notAcceptable("Expecting 'Message-Accept' header only with streaming responses")
  if (ok(MEDIA.json)) return { codec: 'json', recordio: false }
  if (ok(MEDIA.protobuf)) return { codec: 'protobuf', recordio: false }
  return notAcceptable(`Expecting 'Accept' to allow ${MEDIA.json} or ${MEDIA.protobuf}`)
}
