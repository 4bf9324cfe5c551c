// Test images built from scratch: a busybox-static root filesystem (and any extra layers, whiteouts included) turned
// into gzipped layer tarballs, an image config and a Docker schema 2 or OCI manifest; pushed to a registry with the
// v2 upload API, or written as docker-archive / OCI-layout tarballs. No bun:test imports: benchmarks use it too.

import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface BuiltLayer { digest: string; diffId: string; size: number; gz: Uint8Array; tar: Uint8Array }
export interface BuiltImage {
  layers: BuiltLayer[]
  config: string
  configDigest: string
  manifest: string
  manifestDigest: string
  mediaType: string
}

export interface ImageConfigInput { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string }

export const sha256 = (data: string | Uint8Array) => `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`

/** A busybox-static root: /bin/busybox, its applets as symlinks, passwd/group, an os-release. */
export function busyboxRootfs(dir: string): string {
  const busybox = Bun.which('busybox') ?? '/bin/busybox'
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'var/log']) mkdirSync(join(dir, d), { recursive: true })
  writeFileSync(join(dir, 'bin/busybox'), readFileSync(busybox))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  const applets = Bun.spawnSync([busybox, '--list-full']).stdout.toString().split('\n').filter(Boolean)
  for (const a of applets) {
    if (a === 'bin/busybox' || existsSync(join(dir, a))) continue
    mkdirSync(dirname(join(dir, a)), { recursive: true })
    symlinkSync('/bin/busybox', join(dir, a))
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n')
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
  writeFileSync(join(dir, 'etc/os-release'), 'NAME="meso test busybox"\nID=busybox\n')
  return dir
}

/** Writes `files` (path → content; a trailing '/' makes a directory) under `dir`. */
export function writeTree(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    const p = join(dir, path)
    if (path.endsWith('/')) { mkdirSync(p, { recursive: true }); continue }
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, content)
  }
  return dir
}

export function tarDirectory(dir: string): Uint8Array {
  const p = Bun.spawnSync(['tar', '-C', dir, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-cf', '-', '.'], { stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`tar of ${dir} failed: ${p.stderr.toString()}`)
  return p.stdout
}

export function layerFromTar(tar: Uint8Array): BuiltLayer {
  const gz = Bun.gzipSync(tar as Uint8Array<ArrayBuffer>)
  return { digest: sha256(gz), diffId: sha256(tar), size: gz.length, gz, tar }
}

export function buildImage(layerDirs: string[], opts: { format?: 'docker' | 'oci'; config?: ImageConfigInput } = {}): BuiltImage {
  const layers = layerDirs.map(d => layerFromTar(tarDirectory(d)))
  return imageFromLayers(layers, opts)
}

export function imageFromLayers(layers: BuiltLayer[], opts: { format?: 'docker' | 'oci'; config?: ImageConfigInput } = {}): BuiltImage {
  const oci = opts.format === 'oci'
  const config = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], ...opts.config },
    rootfs: { type: 'layers', diff_ids: layers.map(l => l.diffId) },
  })
  const mediaType = oci ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json'
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType,
    config: { mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: Buffer.byteLength(config) },
    layers: layers.map(l => ({ mediaType: oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: l.digest, size: l.size })),
  })
  return { layers, config, configDigest: sha256(config), manifest, manifestDigest: sha256(manifest), mediaType }
}

/** A manifest list / OCI index pointing at images by platform. */
export function buildIndex(entries: { image: BuiltImage; architecture: string; os?: string }[], oci = false): { body: string; digest: string; mediaType: string } {
  const mediaType = oci ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json'
  const body = JSON.stringify({
    schemaVersion: 2, mediaType,
    manifests: entries.map(e => ({ mediaType: e.image.mediaType, digest: e.image.manifestDigest, size: Buffer.byteLength(e.image.manifest), platform: { os: e.os ?? 'linux', architecture: e.architecture } })),
  })
  return { body, digest: sha256(body), mediaType }
}

/** Pushes blobs (monolithic uploads) and the manifest with the registry's v2 API; `auth` is an Authorization value. */
export async function pushImage(registryUrl: string, repo: string, tag: string, image: BuiltImage, auth?: string) {
  const h = (extra: Record<string, string> = {}) => ({ ...(auth ? { Authorization: auth } : {}), ...extra })
  const blobs: [string, Uint8Array | string][] = [[image.configDigest, image.config], ...image.layers.map(l => [l.digest, l.gz] as [string, Uint8Array])]
  for (const [digest, body] of blobs) {
    const head = await fetch(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: h() })
    if (head.ok) continue
    const start = await fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: h() })
    if (start.status !== 202) throw new Error(`upload start for ${repo} failed: ${start.status} ${await start.text()}`)
    const loc = new URL(start.headers.get('location')!, registryUrl)
    loc.searchParams.set('digest', digest)
    const put = await fetch(loc, { method: 'PUT', body, headers: h({ 'Content-Type': 'application/octet-stream' }) })
    if (put.status !== 201) throw new Error(`blob upload ${digest} failed: ${put.status} ${await put.text()}`)
  }
  await putManifest(registryUrl, repo, tag, image.manifest, image.mediaType, auth)
}

export async function putManifest(registryUrl: string, repo: string, tag: string, body: string, mediaType: string, auth?: string) {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType, ...(auth ? { Authorization: auth } : {}) } })
  if (res.status !== 201) throw new Error(`manifest put ${repo}:${tag} failed: ${res.status} ${await res.text()}`)
}

/** A `docker save`-style tarball: manifest.json, <config>.json, <n>/layer.tar (uncompressed). */
export function writeDockerArchive(path: string, image: BuiltImage, repoTags: string[]) {
  const dir = `${path}.d`
  mkdirSync(dir, { recursive: true })
  const cfgName = `${image.configDigest.slice(7)}.json`
  writeFileSync(join(dir, cfgName), image.config)
  const layerPaths = image.layers.map((l, i) => {
    mkdirSync(join(dir, String(i)), { recursive: true })
    writeFileSync(join(dir, String(i), 'layer.tar'), l.tar)
    return `${i}/layer.tar`
  })
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: repoTags, Layers: layerPaths }]))
  tarInto(dir, path)
}

/** An OCI image layout tarball: oci-layout, index.json (ref.name annotation), blobs/sha256/*. */
export function writeOciArchive(path: string, image: BuiltImage, refName?: string) {
  const dir = `${path}.d`
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  const blob = (digest: string, data: string | Uint8Array) => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data)
  blob(image.configDigest, image.config)
  blob(image.manifestDigest, image.manifest)
  for (const l of image.layers) blob(l.digest, l.gz)
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: Buffer.byteLength(image.manifest), ...(refName ? { annotations: { 'org.opencontainers.image.ref.name': refName } } : {}) }],
  }))
  tarInto(dir, path)
}

function tarInto(dir: string, path: string) {
  const p = Bun.spawnSync(['tar', '-C', dir, '-cf', path, '.'])
  if (p.exitCode !== 0) throw new Error(`tar of ${dir} failed`)
}
