// `/api/meso/v1/secrets`: meso's secret store over HTTP (docs/security-secrets.md). Mesos has no such endpoint; the
// shapes follow meso's other extensions (JSON in, JSON out). POST creates or replaces `{path, value | data}`
// (`value` UTF-8 text, `data` base64 bytes), GET lists paths and times (never values, nor their lengths), DELETE
// `?path=` removes. Each is authorized per path: create_secrets, view_secrets (a filter, as state answers are),
// delete_secrets. A value is never echoed: not in answers, not in errors, not in logs.

import { badRequest, json, text } from '../core/http/responses.ts'
import type { RequestAuthz } from '../core/authz/request.ts'
import { logger } from '../core/log.ts'
import { MAX_SECRET_BYTES, secretPathError, type SecretStore } from './secret-store.ts'

const log = logger('master')

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export async function handleSecretsCall(store: SecretStore, authz: RequestAuthz, req: Request, url: URL): Promise<Response> {
  const who = authz.subject?.value
  if (req.method === 'GET') {
    const shown = store.list().filter(m => authz.can('VIEW_SECRET', { value: m.path }))
    return json({ secrets: shown }, req)
  }
  if (req.method === 'DELETE') {
    const path = url.searchParams.get('path')
    const bad = secretPathError(path)
    if (bad) return badRequest(bad)
    const denied = authz.check('DELETE_SECRET', { value: path! }, `delete secret '${path}'`)
    if (denied) return denied
    if (!store.remove(path!)) return text(404, `No secret '${path}'`)
    log.info(`Secret '${path}' removed${who !== undefined ? ` by '${who}'` : ''}`)
    return json({ path, removed: true }, req)
  }
  // POST. The body's parse error is not repeated: a JSON parser quotes the text it choked on, which may be the value.
  let body: unknown
  try { body = await req.json() } catch { return badRequest('Expecting a JSON body {"path": "team/db/password", "value": "…"} (or "data": base64)') }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return badRequest('Expecting a JSON object {"path": …, "value" | "data": …}')
  const b = body as Record<string, unknown>
  const bad = secretPathError(b.path)
  if (bad) return badRequest(bad)
  const path = b.path as string
  for (const k of Object.keys(b)) if (k !== 'path' && k !== 'value' && k !== 'data') return badRequest(`Unknown field '${k}' (expected 'path' and one of 'value', 'data')`)
  if ((b.value === undefined) === (b.data === undefined)) return badRequest(`Secret '${path}': give exactly one of 'value' (text) or 'data' (base64)`)
  let bytes: Uint8Array
  if (b.value !== undefined) {
    if (typeof b.value !== 'string') return badRequest(`Secret '${path}': 'value' must be a string`)
    bytes = new TextEncoder().encode(b.value)
  } else {
    if (typeof b.data !== 'string' || !BASE64.test(b.data)) return badRequest(`Secret '${path}': 'data' must be base64`)
    bytes = new Uint8Array(Buffer.from(b.data, 'base64'))
  }
  if (bytes.length > MAX_SECRET_BYTES) return text(413, `Secret '${path}' is ${bytes.length} bytes; at most ${MAX_SECRET_BYTES}`)
  const denied = authz.check('CREATE_SECRET', { value: path }, `create secret '${path}'`)
  if (denied) return denied
  const outcome = store.put(path, bytes, who)
  log.info(`Secret '${path}' ${outcome}${who !== undefined ? ` by '${who}'` : ''}`)
  return json({ path, [outcome]: true }, req, outcome === 'created' ? 201 : 200)
}
