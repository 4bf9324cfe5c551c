// The agent's image endpoints (meso extension; Mesos has no API to pull, list, remove or load images), and the
// v1 operator call PRUNE_IMAGES:
//
//   GET  /api/meso/v1/images          → {"images": [ImageSummary]}
//   POST /api/meso/v1/images/pull     {"reference", "docker_config"?} → RecordIO of JSON PullEvents, ending in
//                                     {"type":"done",…} or {"type":"error","message"}
//   POST /api/meso/v1/images/remove   {"reference"} → {"removed", "freed_bytes"}; 404 unknown, 409 in use
//   POST /api/meso/v1/images/load     body: a docker-archive or OCI-layout tarball (?name=REF names an unnamed
//                                     image), or JSON {"path", "name"?} for a file on the agent → {"images": […]}
//   POST /api/meso/v1/images/gc       {"all"?: bool} → {"removed", "freed_bytes"}

import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { badRequest, conflict, json, notFound, text } from '../../core/http/responses.ts'
import type { Router } from '../../core/http/router.ts'
import { frame } from '../../core/recordio.ts'
import { DockerConfigError, parseDockerConfig } from '../../core/registry/docker-config.ts'
import { ReferenceError } from '../../core/registry/reference.ts'
import type { ContainerCallHandler } from '../operator-api.ts'
import { ArchiveError } from './image-archive.ts'
import { ImageInUse, ImageNotFound, type DockerImageProvisioner } from './docker-provisioner.ts'
import type { PullEvent } from './image-puller.ts'

export const IMAGES_PATH = '/api/meso/v1/images'

type Authorize = (req: Request, readwrite: boolean) => Response | undefined

export function registerImageEndpoints(router: Router, p: DockerImageProvisioner, authorize: Authorize) {
  const guard = (readwrite: boolean, h: (req: Request, url: URL) => Promise<Response> | Response) =>
    (req: Request, url: URL) => authorize(req, readwrite) ?? run(() => h(req, url))
  router.on(['GET', 'HEAD'], IMAGES_PATH, guard(false, req => json({ images: p.list() }, req)))
  router.post(`${IMAGES_PATH}/pull`, guard(true, req => pull(p, req)))
  router.post(`${IMAGES_PATH}/remove`, guard(true, async req => {
    const body = await jsonBody(req)
    if (typeof body.reference !== 'string') return badRequest("expected {\"reference\": \"…\"}")
    return json(p.remove(body.reference))
  }))
  router.post(`${IMAGES_PATH}/load`, guard(true, (req, url) => load(p, req, url)))
  router.post(`${IMAGES_PATH}/gc`, guard(true, async req => json(p.gc({ all: !!(await jsonBody(req)).all }))))
}

/** Answers PRUNE_IMAGES (v1 agent operator API) before handing other calls on. */
export function withPruneImages(next: ContainerCallHandler | undefined, p: DockerImageProvisioner): ContainerCallHandler {
  return async (agent, call, req, codec, recordio) => {
    if (call?.type === 'PRUNE_IMAGES') {
      p.prune(call.prune_images?.excluded_images ?? [])
      return new Response(null, { status: 200 })
    }
    return next?.(agent, call, req, codec, recordio)
  }
}

async function run(h: () => Promise<Response> | Response): Promise<Response> {
  try { return await h() } catch (err) {
    const msg = (err as Error).message
    if (err instanceof ImageNotFound) return notFound(msg)
    if (err instanceof ImageInUse) return conflict(msg)
    if (err instanceof ReferenceError || err instanceof ArchiveError || err instanceof DockerConfigError || err instanceof SyntaxError) return badRequest(msg)
    return text(500, msg)
  }
}

async function jsonBody(req: Request): Promise<any> {
  const t = await req.text()
  return t.trim() ? JSON.parse(t) : {}
}

async function pull(p: DockerImageProvisioner, req: Request): Promise<Response> {
  const body = await jsonBody(req)
  if (typeof body.reference !== 'string') return badRequest('expected {"reference": "…", "docker_config"?: "…"}')
  const ref = p.parse(body.reference)
  const cfg = body.docker_config
  const creds = cfg ? parseDockerConfig(typeof cfg === 'string' ? cfg : JSON.stringify(cfg), 'docker_config') : undefined
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let open = true
  const send = (e: PullEvent | Record<string, unknown>) => {
    if (!open) return
    try { controller.enqueue(frame(JSON.stringify(e))) } catch { open = false }
  }
  const stream = new ReadableStream<Uint8Array>({
    start(c) { controller = c },
    cancel() { open = false },
  })
  // The pull goes on if the client disconnects: its layers are worth having. The last record is ours (done/error).
  void p.pull(ref, creds, e => { if (e.type !== 'done') send(e) }).then(
    record => send({ type: 'done', reference: record.reference, digest: record.manifest_digest, size: record.size }),
    err => send({ type: 'error', message: (err as Error).message }),
  ).finally(() => { if (open) { open = false; try { controller.close() } catch { /* closed */ } } })
  return new Response(stream, { status: 200, headers: { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json' } })
}

async function load(p: DockerImageProvisioner, req: Request, url: URL): Promise<Response> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim()
  if (type === 'application/json') {
    const body = await jsonBody(req)
    if (typeof body.path !== 'string') return badRequest('expected {"path": "/file/on/the/agent.tar", "name"?: "…"}')
    return json({ images: summaries(await p.load(body.path, body.name)) })
  }
  mkdirSync(p.store.tmpDir, { recursive: true })
  const tmp = join(p.store.tmpDir, `upload-${Date.now()}-${Math.random().toString(36).slice(2)}.tar`)
  try {
    if (!req.body) return badRequest('send the image tarball as the request body')
    await Bun.write(tmp, new Response(req.body))
    return json({ images: summaries(await p.load(tmp, url.searchParams.get('name') ?? undefined)) })
  } finally {
    rmSync(tmp, { force: true })
  }
}

function summaries(records: { reference: string; manifest_digest: string; size: number; layers: string[] }[]) {
  return records.map(r => ({ reference: r.reference, digest: r.manifest_digest, size: r.size, layers: r.layers.length }))
}
