// Image manifests and configs as registries serve them: Docker schema 2 and OCI image manifests, manifest lists and
// OCI indexes (one platform is picked), and the image config (Entrypoint, Cmd, Env, WorkingDir, User). Schema 1 is
// refused: it is deprecated, signed with keys nobody checks any more, and registries only down-convert to it for
// clients that send no Accept header. Pure.

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

/** Every manifest type meso understands; without this header registries fall back to schema 1. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.ociIndex].join(', ')

export interface Descriptor { mediaType?: string; digest: string; size?: number; urls?: string[]; annotations?: Record<string, string> }
export interface Platform { os?: string; architecture?: string; variant?: string }
export interface PlatformDescriptor extends Descriptor { platform?: Platform }

export type Manifest =
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] }
  | { kind: 'index'; mediaType: string; manifests: PlatformDescriptor[] }

export class ManifestError extends Error {}

const LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
])
const FOREIGN_TYPES = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
])

/** Parses a manifest body; `contentType` is the registry's Content-Type (the body's mediaType wins when present). */
export function parseManifest(body: string, contentType?: string): Manifest {
  let m: any
  try { m = JSON.parse(body) } catch { throw new ManifestError('the manifest is not valid JSON') }
  const ct = (contentType ?? '').split(';')[0]!.trim()
  const mediaType: string = m?.mediaType || ct || (m?.manifests ? MEDIA.ociIndex : MEDIA.ociManifest)
  if (m?.schemaVersion === 1 || mediaType === MEDIA.schema1 || mediaType === MEDIA.schema1Signed) {
    throw new ManifestError('the registry only offers a Docker schema 1 manifest, which meso does not support; push the image again with a current Docker, podman or skopeo (schema 2 or OCI)')
  }
  if (m?.schemaVersion !== 2) throw new ManifestError(`unsupported manifest schemaVersion ${JSON.stringify(m?.schemaVersion)}`)
  if (Array.isArray(m.manifests) && (mediaType === MEDIA.dockerList || mediaType === MEDIA.ociIndex)) {
    return { kind: 'index', mediaType, manifests: m.manifests.map(checkDescriptor) }
  }
  if (mediaType !== MEDIA.dockerManifest && mediaType !== MEDIA.ociManifest) throw new ManifestError(`unsupported manifest media type '${mediaType}'`)
  if (!m.config || !Array.isArray(m.layers)) throw new ManifestError('the manifest has no config or layers')
  const layers = (m.layers as any[]).map(checkDescriptor)
  for (const l of layers) {
    if (l.mediaType && FOREIGN_TYPES.has(l.mediaType)) throw new ManifestError(`layer ${l.digest} is a foreign (non-distributable) layer, which meso cannot fetch`)
    if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) throw new ManifestError(`layer ${l.digest} has unsupported media type '${l.mediaType}'`)
  }
  return { kind: 'image', mediaType, config: checkDescriptor(m.config), layers }
}

function checkDescriptor(d: any): PlatformDescriptor {
  if (!d || typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) {
    throw new ManifestError(`descriptor with unsupported digest ${JSON.stringify(d?.digest)} (only sha256 is supported)`)
  }
  return d
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }

/** The platform this agent runs containers for. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ARCH[process.arch] ?? process.arch }
}

/** Picks the entry of a manifest list / OCI index for `want` (variant only checked when both sides give one). */
export function selectPlatform(manifests: PlatformDescriptor[], want: Platform = hostPlatform()): PlatformDescriptor | undefined {
  const matches = manifests.filter(m => m.platform?.os === want.os && m.platform?.architecture === want.architecture)
  if (want.variant) return matches.find(m => m.platform?.variant === want.variant) ?? matches.find(m => !m.platform?.variant)
  // Without a wanted variant, prefer entries without one, then the newest (arm v8 over v7 etc. is not guessed).
  return matches.find(m => !m.platform?.variant) ?? matches[0]
}

export function describePlatforms(manifests: PlatformDescriptor[]): string {
  const names = manifests.map(m => [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/') || 'unknown')
  return names.length ? names.join(', ') : 'none'
}

/** The runtime part of an image config that containers use. */
export interface ImageRuntimeConfig {
  entrypoint?: string[]
  cmd?: string[]
  env?: string[]
  workingDir?: string
  user?: string
}

export interface ImageConfig extends ImageRuntimeConfig {
  os?: string
  architecture?: string
  diffIds: string[]
}

export function parseImageConfig(body: string): ImageConfig {
  let c: any
  try { c = JSON.parse(body) } catch { throw new ManifestError('the image config is not valid JSON') }
  const cfg = c?.config ?? {}
  const strings = (v: unknown) => (Array.isArray(v) && v.every(x => typeof x === 'string') ? (v as string[]) : undefined)
  const out: ImageConfig = { os: c?.os, architecture: c?.architecture, diffIds: strings(c?.rootfs?.diff_ids) ?? [] }
  const entrypoint = strings(cfg.Entrypoint)
  const cmd = strings(cfg.Cmd)
  const env = strings(cfg.Env)
  if (entrypoint?.length) out.entrypoint = entrypoint
  if (cmd?.length) out.cmd = cmd
  if (env?.length) out.env = env
  if (typeof cfg.WorkingDir === 'string' && cfg.WorkingDir) out.workingDir = cfg.WorkingDir
  if (typeof cfg.User === 'string' && cfg.User) out.user = cfg.User
  return out
}

/** The part of a parsed config a container needs. */
export function runtimeConfig(c: ImageConfig): ImageRuntimeConfig {
  const { os: _os, architecture: _arch, diffIds: _ids, ...rest } = c
  return rest
}
