// Unpacking a fetched archive into the sandbox, as Mesos' fetcher does (libarchive for tar and zip, `gunzip -d -c`
// for a bare .gz). Here GNU tar and Info-ZIP unzip run, as the task's user when the agent switches users, into a
// fresh, empty staging directory inside the sandbox: no symlink an earlier archive left can redirect them, tar
// refuses `..` and absolute member names and creates symlinks that point outside only after every file is written,
// unzip strips `..` and leading `/`, neither restores owners or set-id bits. The staged tree is then moved into the
// sandbox without following any symlink (sandbox-placement.ts). A bare .gz is decompressed in process.

import { randomBytes } from 'node:crypto'
import { chownSync, copyFileSync, createReadStream, linkSync, mkdirSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { moveInto, placeFile, type Owner } from './sandbox-placement.ts'
import type { Extraction } from './uri-plan.ts'

export interface ExtractOptions {
  owner?: Owner
  /** argv prefix that runs a program as the task's user (setpriv …); empty: as the agent. */
  runAsPrefix: string[]
  signal?: AbortSignal
}

const TAR_COMPRESSION = { gzip: '-z', bzip2: '-j', xz: '-J' } as const

/** Unpacks `archive` into `sandbox`; throws with the extractor's own words when it fails. */
export async function extractInto(archive: string, extraction: Extraction, sandbox: string, o: ExtractOptions): Promise<void> {
  if (extraction.kind === 'gunzip') return gunzipInto(archive, extraction.filename, sandbox, o)
  const staging = join(sandbox, `.fetch-${randomBytes(6).toString('hex')}`)
  mkdirSync(staging, { mode: 0o700 })
  try {
    mkdirSync(join(staging, 'out'), { mode: 0o755 })
    if (o.owner) {
      chownSync(staging, o.owner.uid, o.owner.gid)
      chownSync(join(staging, 'out'), o.owner.uid, o.owner.gid)
    }
    // Relative paths from the staging directory: the task's user needs no access to the sandbox's ancestors.
    let argv: string[]
    let stdin: 'ignore' | ReturnType<typeof Bun.file> = 'ignore'
    if (extraction.kind === 'tar') {
      argv = ['tar', '-x', ...(extraction.compression ? [TAR_COMPRESSION[extraction.compression]] : []), '-f', '-', '-C', 'out', '--no-same-owner', '--no-same-permissions']
      stdin = Bun.file(archive)
    } else {
      // unzip needs a file it can seek in, readable by the user: a hard link (a copy across file systems).
      const link = join(staging, 'archive.zip')
      try { linkSync(archive, link) } catch { copyFileSync(archive, link) }
      argv = ['unzip', '-q', '-o', 'archive.zip', '-d', 'out']
    }
    const proc = Bun.spawn([...o.runAsPrefix, ...argv], { cwd: staging, stdin, stdout: 'ignore', stderr: 'pipe' })
    const onAbort = () => proc.kill('SIGKILL')
    o.signal?.addEventListener('abort', onAbort, { once: true })
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]).finally(() => o.signal?.removeEventListener('abort', onAbort))
    o.signal?.throwIfAborted()
    if (code !== 0) {
      const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ')
      throw new Error(`Failed to extract archive '${archive}' to '${sandbox}': '${argv[0]}' exited with status ${code}${said ? `: ${said}` : ''}`)
    }
    moveInto(join(staging, 'out'), sandbox)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

async function gunzipInto(archive: string, filename: string, sandbox: string, o: ExtractOptions): Promise<void> {
  await placeFile(sandbox, filename, async tmp => {
    const out = await open(tmp, 'wx', 0o644)
    try {
      const gunzip = createReadStream(archive).pipe(createGunzip())
      for await (const chunk of gunzip) {
        o.signal?.throwIfAborted()
        await out.write(chunk as Buffer)
      }
    } catch (err) {
      throw new Error(`Failed to extract '${archive}': 'gunzip -d -c' failed: ${(err as Error).message}`)
    } finally {
      await out.close()
    }
  }, { owner: o.owner, mode: 0o644 })
}
