// What the fetcher does with one CommandInfo.URI, decided without I/O: where it comes from (a local path or http(s)),
// what it is called in the sandbox (output_file, else the URI's basename), whether it is unpacked and how (by file
// extension), and its cache key and cache file name. The rules and error words are those of Mesos'
// src/slave/containerizer/fetcher.cpp (Fetcher::basename, validateOutputFile, uriToLocalPath) and
// src/launcher/fetcher.cpp (extract, fetchBypassingCache, fetchFromCache), with one addition: an output_file may
// not climb out of the sandbox with `..` (upstream only refuses absolute paths and leaves a TODO).

import { posix } from 'node:path'

export interface CommandUri { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }

/** How an archive is unpacked: tar (with the compression its extension names), zip, or a bare gzip file. */
export type Extraction =
  | { kind: 'tar'; compression?: 'gzip' | 'bzip2' | 'xz' }
  | { kind: 'zip' }
  | { kind: 'gunzip'; filename: string }

export type UriSource = { kind: 'local'; path: string } | { kind: 'net'; url: string }

/** The URI as it may appear in messages and logs: user information (`user:password@`) is replaced. */
export function redactUri(uri: string): string {
  return uri.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*)@/, '$1REDACTED@')
}

/** Mesos' Fetcher::basename: URIs are treated like file paths (`?` and `=` are not separators, as upstream). */
export function uriBasename(uri: string): string {
  if (/[\\'\0]/.test(uri)) throw new Error('Illegal characters in URI')
  const index = uri.indexOf('://')
  if (index > 1) {
    const path = uri.slice(index + 3)
    const slash = path.indexOf('/')
    if (slash < 0 || path.length <= slash + 1) throw new Error(`Malformed URI (missing path): ${redactUri(uri)}`)
    return path.slice(path.lastIndexOf('/') + 1)
  }
  return posix.basename(uri)
}

/** The output_file, normalized; it must name a file inside the sandbox. */
export function validateOutputFile(path: string): string {
  if (path.length === 0) throw new Error('URI output file path is empty')
  if (path.includes('\0')) throw new Error('Illegal characters in URI output file')
  const normalized = posix.normalize(path)
  if (path.startsWith('/') || normalized === '..' || normalized.startsWith('../') || normalized === '.' || normalized.endsWith('/')) {
    throw new Error('URI output file must be within the sandbox directory')
  }
  return normalized
}

/** Where the URI is read from. `frameworksHome` is --frameworks_home, which relative paths are resolved against. */
export function uriSource(rawUri: string, frameworksHome?: string): UriSource {
  const uri = rawUri.trimStart()
  if (/^https?:\/\//i.test(uri)) return { kind: 'net', url: uri }
  const fileUri = uri.startsWith('file://')
  if (!fileUri && uri.includes('://')) {
    const scheme = uri.slice(0, uri.indexOf('://'))
    throw new Error(`Unsupported URI scheme '${scheme}': this agent fetches http://, https://, file:// and absolute paths`)
  }
  // As upstream: file://localhost/p and file:///p are the same path.
  let path = fileUri ? uri.slice('file://'.length) : uri
  if (fileUri && path.startsWith('localhost')) path = path.slice('localhost'.length)
  if (!path.startsWith('/')) {
    if (fileUri) throw new Error('File URI only supports absolute paths')
    if (!frameworksHome) {
      throw new Error('A relative path was passed for the resource but the Mesos framework home was not specified. ' +
        'Please either provide this config option or avoid using a relative path')
    }
    path = posix.join(frameworksHome, path)
  }
  return { kind: 'local', path: fileUri ? decodeURIComponentSafe(path) : path }
}

const decodeURIComponentSafe = (s: string) => { try { return decodeURIComponent(s) } catch { return s } }

/** How a file of this name is unpacked (Mesos' extract(): by extension only), or undefined: not an archive. */
export function extractionOf(filename: string): Extraction | undefined {
  const f = filename
  if (f.endsWith('.tar')) return { kind: 'tar' }
  if (f.endsWith('.tgz') || f.endsWith('.tar.gz')) return { kind: 'tar', compression: 'gzip' }
  if (f.endsWith('.tbz2') || f.endsWith('.tar.bz2')) return { kind: 'tar', compression: 'bzip2' }
  if (f.endsWith('.txz') || f.endsWith('.tar.xz')) return { kind: 'tar', compression: 'xz' }
  if (f.endsWith('.zip')) return { kind: 'zip' }
  // A bare .gz file becomes the file without the extension, in the sandbox's top directory.
  if (f.endsWith('.gz')) return { kind: 'gunzip', filename: posix.basename(f.slice(0, -3)) }
  return undefined
}

/** What to do with one URI. */
export interface UriPlan {
  uri: CommandUri
  /** The URI with user information redacted, for every message. */
  shown: string
  source: UriSource
  /** Path of the file in the sandbox, relative to it (output_file, else the URI's basename). */
  outputFile: string
  /** Unpack into the sandbox (`extract`, unless `executable`, which wins as upstream), if the name says archive. */
  extraction?: Extraction
  /** True when `extract` was asked for a file whose name is no archive: it is copied, with a warning. */
  notAnArchive: boolean
  executable: boolean
  cache: boolean
}

/**
 * The plan for a URI; throws with Mesos' words when the URI or output_file is invalid. `viaCache` decides whether
 * the extension of the output file (direct download) or of the URI (from the cache) picks the extraction, as
 * upstream: the cache file keeps the URI's extension.
 */
export function planUri(uri: CommandUri, frameworksHome?: string): UriPlan {
  const basename = uriBasename(uri.value)
  const outputFile = uri.output_file !== undefined ? validateOutputFile(uri.output_file) : basename
  if (uri.output_file === undefined && (basename === '' || basename === '.' || basename === '..')) {
    throw new Error(`Malformed URI (missing file name): ${redactUri(uri.value)}`)
  }
  const source = uriSource(uri.value, frameworksHome)
  const executable = !!uri.executable
  const extract = uri.extract ?? true
  const cache = !!uri.cache
  // Upstream decides on the downloaded file's path (output_file) when bypassing the cache, on the cache file
  // (the URI's basename) when going through it.
  const named = cache ? basename : outputFile
  const extraction = !executable && extract ? extractionOf(named) : undefined
  return { uri, shown: redactUri(uri.value), source, outputFile, extraction, notAnArchive: !executable && extract && !extraction, executable, cache }
}

/** The cache key: per user, as upstream (`user@uri`, or the URI alone when the task names no user). */
export function cacheKey(user: string | undefined, uri: string): string {
  return user === undefined ? uri : `${user}@${uri}`
}

/**
 * A cache file's name: `c<serial>-<basename>`, the basename shortened to its first and last 10 characters (so the
 * extension, which extraction looks at, survives) and made safe as one path component.
 */
export function cacheFilename(serial: number, uri: string): string {
  let base = uriBasename(uri).replace(/[^A-Za-z0-9._-]/g, '_')
  if (base.length > 20) base = `${base.slice(0, 10)}_${base.slice(-10)}`
  return `c${serial}-${base}`
}
