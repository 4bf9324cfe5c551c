// What a master that does not lead answers (Mesos' hot standby, upstream src/master/http.cpp: Master::Http::redirect
// and the `redirect(request)` of every leader-only endpoint): the scheduler and operator APIs and the state
// endpoints are a 307 to the leader, so clients that follow redirects reach it without knowing which master they
// asked; /health, /version and /flags answer here; /metrics/snapshot says `master/elected` 0; GET_MASTER names the
// leader. Pure: a function of the request and what the detector last saw.

import { MEDIA, type Codec } from '../../core/http/negotiate.ts'
import { json, text } from '../../core/http/responses.ts'
import { messageResponse } from '../../core/v1/codec.ts'
import type { MasterInfo } from '../../core/v1/messages.ts'
import { leaderAddress } from '../../core/master-address.ts'

/** Endpoints a standby answers itself (the rest go to the leader). */
const LOCAL = new Set(['/health', '/version', '/flags', '/master/health', '/master/version', '/master/flags'])

/**
 * The leader's base URL for a Location header: scheme-relative, as Mesos writes it. meso names the leader by its
 * advertised IP rather than its hostname, so the redirect works where master hostnames do not resolve.
 */
export function leaderLocation(leader: MasterInfo): string {
  return `//${leaderAddress(leader)}`
}

/** A standby's answer, or undefined for the endpoints it serves like any master (LOCAL). */
export function standbyAnswer(req: Request, url: URL, leader: MasterInfo | undefined, since: number, callType: string, now = Date.now()): Response | undefined {
  const path = url.pathname
  if (LOCAL.has(path)) return undefined
  if (path === '/metrics/snapshot' || path === '/master/metrics/snapshot') {
    return json({ 'master/elected': 0, 'master/uptime_secs': (now - since) / 1000 }, req)
  }
  if ((path === '/api/v1' || path === '/master/api/v1') && callType === 'GET_MASTER' && leader) {
    return messageResponse('mesos.v1.master.Response', acceptedCodec(req), { type: 'GET_MASTER', get_master: { master_info: leader } })
  }
  if (!leader) return text(503, 'No leader elected')
  const base = path === '/redirect' || path === '/master/redirect' ? '' : `${path}${url.search}`
  return new Response(null, { status: 307, headers: { Location: `${leaderLocation(leader)}${base}` } })
}

function acceptedCodec(req: Request): Codec {
  return (req.headers.get('accept') ?? '').includes(MEDIA.protobuf) ? 'protobuf' : 'json'
}
