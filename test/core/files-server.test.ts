// The files API's FileServer over a real sandbox directory (docs/security-files.md): legitimate reads, listings and
// downloads answer as before; symlinks, FIFOs and device nodes in a sandbox are refused without following or
// blocking; and while a separate process swaps a sandbox file (and a directory) for symlinks to a mode-600 host
// file in a tight loop, 10,000 reads, listings and downloads never return a byte of it — with openat2 and with the
// component walk. The e2e version through a real agent and task is test/e2e/security-files.test.ts.

import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ResolveVia } from '../../src/core/fs/beneath.ts'
import { openat2Supported } from '../../src/core/fs/openat2.ts'
import { FileError, FileServer } from '../../src/core/files.ts'
import { startSwapper, SWAP_DECOY } from '../helpers/symlink-swapper.ts'

const dir = mkdtempSync(join(tmpdir(), 'meso-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const vias: ResolveVia[] = openat2Supported() ? ['openat2', 'walk'] : ['walk']
/** This process's fds open on something under the test's directory (bun runs other test files in this process too). */
const fdsUnder = (path: string) => readdirSync('/proc/self/fd').filter(fd => { try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path) } catch { return false } })

function sandbox(name: string) {
  const root = join(dir, name)
  mkdirSync(join(root, 'sub'), { recursive: true })
  writeFileSync(join(root, 'stdout'), 'hello, world\n')
  writeFileSync(join(root, 'sub', 'x.bin'), new Uint8Array(200_000).map((_, i) => i % 251))
  return root
}

function status(fn: () => unknown): number {
  try { fn(); return 200 } catch (err) {
    if (err instanceof FileError) return err.status
    throw err
  }
}

describe.each(vias)('FileServer via %s', via => {
  test('read, browse, stat and download of a plain sandbox answer as Mesos does', async () => {
    const root = sandbox(`plain-${via}`)
    const files = new FileServer({ via })
    files.attach(root, root)
    files.attach('/frameworks/f/executors/e/runs/latest', root)
    expect(files.read(`${root}/stdout`, 0, undefined)).toEqual({ offset: 0, data: new TextEncoder().encode('hello, world\n'), size: 13 })
    expect(files.read('/frameworks/f/executors/e/runs/latest/stdout', -1, undefined)).toEqual({ offset: 13, data: new Uint8Array(0), size: 13 })
    expect(files.read(`${root}/stdout`, 7, 5).data).toEqual(new TextEncoder().encode('world'))
    expect(files.read(`${root}/stdout`, 100, 5)).toEqual({ offset: 100, data: new Uint8Array(0), size: 13 })
    expect(files.read(`${root}/sub/x.bin`, 0, 1 << 20).data.length).toBe(16 * 4096)
    const st = statSync(join(root, 'stdout'))
    expect(files.browse(root)).toEqual([
      { path: `${root}/stdout`, nlink: 1, size: 13, mtime: { nanoseconds: Math.round(st.mtimeMs * 1e6) }, mode: st.mode, uid: String(st.uid), gid: String(st.gid) },
      expect.objectContaining({ path: `${root}/sub`, mode: statSync(join(root, 'sub')).mode }),
    ])
    expect(files.stat(`${root}/sub/x.bin`)).toMatchObject({ path: `${root}/sub/x.bin`, size: 200_000 })
    const res = files.download(`${root}/sub/x.bin`)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=x.bin')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(200_000).map((_, i) => i % 251))
    expect(status(() => files.read(`${root}/nope`, 0, undefined))).toBe(404)
    expect(status(() => files.read(`${root}/../../etc/passwd`, 0, undefined))).toBe(404)
    expect(status(() => files.read(root, 0, undefined))).toBe(400)
    // A file lists as nothing: 200 [] (upstream FilesProcess::browse, where os::ls fails on a file).
    expect(files.browse(`${root}/stdout`)).toEqual([])
  })

  test('a download over 8 MiB streams through the fd, which is closed at the end and when the client goes away', async () => {
    const root = sandbox(`big-${via}`)
    const big = new Uint8Array(9 * 1024 * 1024 + 123).map((_, i) => (i * 31) % 256)
    writeFileSync(join(root, 'big'), big)
    const files = new FileServer({ via })
    files.attach(root, root)
    expect(new Uint8Array(await files.download(`${root}/big`).arrayBuffer())).toEqual(big)
    const reader = files.download(`${root}/big`).body!.getReader()
    await reader.read()
    expect(fdsUnder(root)).toHaveLength(1)
    await reader.cancel()
    expect(fdsUnder(dir)).toEqual([])
  })

  test('symlinks in a sandbox are listed as links but never followed: 403, inside or out', () => {
    const root = sandbox(`links-${via}`)
    const secret = join(dir, `secret-${via}`)
    writeFileSync(secret, 'TOPSECRET', { mode: 0o600 })
    symlinkSync(secret, join(root, 'leak'))
    symlinkSync('stdout', join(root, 'alias'))
    symlinkSync(dir, join(root, 'up'))
    const files = new FileServer({ via })
    files.attach(root, root)
    for (const p of ['leak', 'alias', 'up', `up/secret-${via}`]) {
      expect(status(() => files.read(`${root}/${p}`, 0, undefined))).toBe(403)
      expect(status(() => files.download(`${root}/${p}`))).toBe(403)
      expect(status(() => files.stat(`${root}/${p}`))).toBe(403)
    }
    expect(status(() => files.browse(`${root}/up`))).toBe(403)
    expect(files.browse(root).find(f => f.path === `${root}/leak`)?.mode! & 0o170000).toBe(0o120000)
  })

  test('a FIFO or a device node in a sandbox is refused without opening it (no hang)', () => {
    const root = sandbox(`special-${via}`)
    expect(Bun.spawnSync(['mkfifo', join(root, 'fifo')]).exitCode).toBe(0)
    expect(Bun.spawnSync(['mknod', join(root, 'null'), 'c', '1', '3']).exitCode).toBe(0)
    const files = new FileServer({ via })
    files.attach(root, root)
    for (const p of ['fifo', 'null']) {
      expect(status(() => files.read(`${root}/${p}`, 0, 10))).toBe(403)
      expect(status(() => files.download(`${root}/${p}`))).toBe(403)
    }
    expect(files.browse(root).map(f => f.path.slice(root.length + 1))).toEqual(['fifo', 'null', 'stdout', 'sub'])
  })

  test('10,000 requests while another process swaps a file and a directory for symlinks to a mode-600 host file: no leak, no fd left open', async () => {
    const root = sandbox(`race-${via}`)
    const secretDir = join(dir, `secret-dir-${via}`)
    mkdirSync(secretDir, { recursive: true })
    writeFileSync(join(secretDir, 'f'), `TOPSECRET-${crypto.randomUUID()}`, { mode: 0o600 })
    writeFileSync(join(secretDir, 'TOPSECRET-name'), '', { mode: 0o600 })
    chmodSync(secretDir, 0o700)
    const files = new FileServer({ via })
    files.attach(root, root)
    const swapper = await startSwapper(root, secretDir)
    const seen = { leaks: 0, decoy: 0, refused: 0 }
    const look = (text: string) => { if (text.includes('TOPSECRET')) seen.leaks++; else if (text.includes(SWAP_DECOY)) seen.decoy++ }
    try {
      for (let i = 0; i < 10_000; i++) {
        const which = i % 10
        try {
          if (which < 7) look(new TextDecoder().decode(files.read(`${root}/${which < 5 ? 'f' : 'd/f'}`, 0, undefined).data))
          else if (which < 9) look(JSON.stringify(files.browse(`${root}/d`)))
          else look(await files.download(`${root}/f`).text())
        } catch (err) {
          if (!(err instanceof FileError)) throw err
          seen.refused++
        }
        if (i % 500 === 0) await Bun.sleep(0)
      }
    } finally {
      await swapper.stop()
    }
    console.log(`via ${via}: ${JSON.stringify(seen)}, ${swapper.swaps()} swaps`)
    expect(seen.leaks).toBe(0)
    // The race was real: the file was there for some requests and a symlink for others.
    expect(seen.decoy).toBeGreaterThan(100)
    expect(seen.refused).toBeGreaterThan(100)
    expect(fdsUnder(dir)).toEqual([])
  }, 60_000)
})
