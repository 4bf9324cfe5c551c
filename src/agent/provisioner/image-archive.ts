// Images from tarballs, for clusters without a registry (`meso image load`, and --docker_registry=/dir holding
// `<repo>:<tag>.tar` files as Mesos' local puller does). Two formats:
//   docker-archive (`docker save`, `skopeo copy … docker-archive:`): manifest.json [{Config, RepoTags, Layers}], layers
//     as tar files whose sha256 is the diff id;
//   OCI image layout (`skopeo copy … oci-archive:`, `umoci`): oci-layout, index.json, blobs/sha256/<hex>.
// Every blob is hashed and checked against its name or descriptor before it reaches the store.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, normalize } from 'node:path'
import { describePlatforms, hostPlatform, MEDIA, parseImageConfig, parseManifest, selectPlatform, type ImageConfig } from '../../core/registry/manifest.ts'
import { sha256Hex } from '../../core/registry/registry-client.ts'

export interface ArchiveImage {
  /** Names found in the archive (RepoTags, or OCI ref.name / containerd name annotations); may be bare tags. */
  names: string[]
  manifestDigest: string
  configDigest: string
  config: ImageConfig
  layers: { digest: string; path: string }[]
}

export class ArchiveError extends Error {}

export async function sha256File(path: string): Promise<string> {
  const h = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(path).stream()) h.update(chunk)
  return `sha256:${h.digest('hex')}`
}

/** Unpacks `tarPath` into `dir` and reads the images it holds. */
export async function readImageArchive(tarPath: string, dir: string): Promise<ArchiveImage[]> {
  const p = Bun.spawn(['tar', '-x', '-f', tarPath, '-C', dir, '--no-same-owner', '--no-same-permissions'], { stdout: 'ignore', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } })
  if ((await p.exited) !== 0) throw new ArchiveError(`cannot unpack the archive: ${(await new Response(p.stderr).text()).trim().split('\n')[0]}`)
  if (existsSync(join(dir, 'oci-layout')) && existsSync(join(dir, 'index.json'))) return readOciLayout(dir)
  if (existsSync(join(dir, 'manifest.json'))) return readDockerArchive(dir)
  throw new ArchiveError('not an image archive: it has neither manifest.json (docker-archive) nor oci-layout and index.json (OCI layout)')
}

function inside(dir: string, rel: string): string {
  const p = normalize(join(dir, rel))
  if (!p.startsWith(`${dir}/`)) throw new ArchiveError(`archive path '${rel}' leaves the archive`)
  return p
}

function readJson(path: string, what: string): any {
  try { return JSON.parse(readFileSync(path, 'utf8')) } catch (err) { throw new ArchiveError(`${what} is not valid JSON (${(err as Error).message})`) }
}

async function readDockerArchive(dir: string): Promise<ArchiveImage[]> {
  const entries = readJson(join(dir, 'manifest.json'), 'manifest.json')
  if (!Array.isArray(entries) || !entries.length) throw new ArchiveError('manifest.json lists no images')
  const out: ArchiveImage[] = []
  for (const e of entries) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e?.Layers)) throw new ArchiveError('manifest.json entry without Config or Layers')
    const configPath = inside(dir, e.Config)
    const configText = readFileSync(configPath, 'utf8')
    const configDigest = `sha256:${sha256Hex(configText)}`
    const config = parseImageConfig(configText)
    const layers: ArchiveImage['layers'] = []
    for (const [i, l] of (e.Layers as string[]).entries()) {
      const path = inside(dir, l)
      const digest = await sha256File(path)
      // The layers of a docker-archive are uncompressed: their digests are the config's diff ids.
      if (config.diffIds[i] && config.diffIds[i] !== digest) throw new ArchiveError(`layer ${l} hashes to ${digest}, but the image config says ${config.diffIds[i]}: the archive is corrupt`)
      layers.push({ digest, path })
    }
    // docker-archive has no manifest; one is synthesized so the image has a stable digest like any other.
    const manifest = JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(configText) },
      layers: layers.map(l => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: statSync(l.path).size })),
    })
    out.push({ names: Array.isArray(e.RepoTags) ? e.RepoTags.filter((t: unknown) => typeof t === 'string') : [], manifestDigest: `sha256:${sha256Hex(manifest)}`, configDigest, config, layers })
  }
  return out
}

async function readOciLayout(dir: string): Promise<ArchiveImage[]> {
  const blob = async (digest: string, what: string) => {
    const m = /^sha256:([a-f0-9]{64})$/.exec(digest)
    if (!m) throw new ArchiveError(`${what} has unsupported digest ${digest}`)
    const path = join(dir, 'blobs', 'sha256', m[1]!)
    if (!existsSync(path)) throw new ArchiveError(`${what} ${digest} is missing from the archive`)
    const got = await sha256File(path)
    if (got !== digest) throw new ArchiveError(`${what} ${digest} hashes to ${got}: the archive is corrupt`)
    return path
  }
  const index = readJson(join(dir, 'index.json'), 'index.json')
  const out: ArchiveImage[] = []
  for (const top of index?.manifests ?? []) {
    const ann = top.annotations ?? {}
    const names = [ann['io.containerd.image.name'], ann['org.opencontainers.image.ref.name']].filter((n: unknown) => typeof n === 'string' && n)
    let desc = top
    let text = readFileSync(await blob(desc.digest, 'manifest'), 'utf8')
    let manifest = parseManifest(text, desc.mediaType)
    if (manifest.kind === 'index') {
      const pick = selectPlatform(manifest.manifests, hostPlatform())
      if (!pick) throw new ArchiveError(`the archive has no ${hostPlatform().architecture} image (it has: ${describePlatforms(manifest.manifests)})`)
      desc = pick
      text = readFileSync(await blob(desc.digest, 'manifest'), 'utf8')
      manifest = parseManifest(text, desc.mediaType)
    }
    if (manifest.kind !== 'image') throw new ArchiveError('nested image indexes are not supported')
    const configText = readFileSync(await blob(manifest.config.digest, 'config'), 'utf8')
    const layers: ArchiveImage['layers'] = []
    for (const l of manifest.layers) layers.push({ digest: l.digest, path: await blob(l.digest, 'layer') })
    out.push({ names: [...new Set(names as string[])], manifestDigest: desc.digest, configDigest: manifest.config.digest, config: parseImageConfig(configText), layers })
  }
  if (!out.length) throw new ArchiveError('index.json lists no images')
  return out
}
