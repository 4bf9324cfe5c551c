// install.sh's PATH linking (`--link-only`, into MESO_BIN_DIR or the default per user): it links this checkout's
// bin/meso, re-runs quietly, and never repoints a `meso` that belongs to another checkout unless told --force.

import { describe, expect, test } from 'bun:test'
import { chmodSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../helpers/processes.ts'

const ROOT = resolve(import.meta.dir, '../..')
const OURS = join(ROOT, 'bin', 'meso')

function install(args: string[], env: Record<string, string>, as?: { uid: number; gid: number }) {
  const cmd = ['bash', join(ROOT, 'install.sh'), ...args]
  const argv = as ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', ...cmd] : cmd
  const r = Bun.spawnSync(argv, { env: { PATH: '/usr/bin:/bin', ...env }, stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() }
}

describe('install.sh --link-only', () => {
  test('links meso, then says it is already there', () => {
    const bin = join(tempDir(), 'bin')
    const first = install(['--link-only'], { MESO_BIN_DIR: bin, HOME: tempDir() })
    expect(first.code).toBe(0)
    expect(readlinkSync(join(bin, 'meso'))).toBe(OURS)
    expect(first.out).toContain(`meso is at ${bin}/meso`)
    const again = install(['--link-only'], { MESO_BIN_DIR: bin, HOME: tempDir() })
    expect(again.code).toBe(0)
    expect(again.out).toContain('already this checkout')
    expect(readlinkSync(join(bin, 'meso'))).toBe(OURS)
  })

  test("leaves another checkout's meso alone and says so; --force replaces it", () => {
    const dir = tempDir()
    const other = join(dir, 'other-checkout', 'bin', 'meso')
    mkdirSync(join(dir, 'other-checkout', 'bin'), { recursive: true })
    writeFileSync(other, '#!/bin/sh\necho other\n')
    chmodSync(other, 0o755)
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    symlinkSync(other, join(bin, 'meso'))
    const skipped = install(['--link-only'], { MESO_BIN_DIR: bin, HOME: dir })
    expect(skipped.code).toBe(0)
    expect(skipped.out).toContain(`leaving ${bin}/meso alone: it is a link to ${other}, not this checkout's ${OURS}; run ./install.sh --force to replace it`)
    expect(readlinkSync(join(bin, 'meso'))).toBe(other)
    const forced = install(['--link-only', '--force'], { MESO_BIN_DIR: bin, HOME: dir })
    expect(forced.code).toBe(0)
    expect(forced.out).toContain(`replacing ${bin}/meso (was ${other})`)
    expect(readlinkSync(join(bin, 'meso'))).toBe(OURS)
  })

  test('a plain file named meso is left alone too; a dangling link is replaced', () => {
    const dir = tempDir()
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'meso'), 'not ours')
    const skipped = install(['--link-only'], { MESO_BIN_DIR: bin, HOME: dir })
    expect(skipped.out).toContain('it is a file of its own')
    expect(lstatSync(join(bin, 'meso')).isSymbolicLink()).toBe(false)
    const bin2 = join(dir, 'bin2')
    mkdirSync(bin2)
    symlinkSync(join(dir, 'gone', 'meso'), join(bin2, 'meso'))
    const replaced = install(['--link-only'], { MESO_BIN_DIR: bin2, HOME: dir })
    expect(replaced.out).toContain('no longer exists')
    expect(readlinkSync(join(bin2, 'meso'))).toBe(OURS)
  })

  test('as a non-root user it links into ~/.local/bin and says to add it to PATH', () => {
    if (process.getuid?.() !== 0) {
      const home = tempDir()
      const r = install(['--link-only'], { HOME: home })
      expect(r.code).toBe(0)
      expect(readlinkSync(join(home, '.local', 'bin', 'meso'))).toBe(OURS)
      return
    }
    const home = tempDir()
    chmodSync(home, 0o777)
    const r = install(['--link-only'], { HOME: home }, { uid: 65534, gid: 65534 })
    expect(r.code).toBe(0)
    expect(readlinkSync(join(home, '.local', 'bin', 'meso'))).toBe(OURS)
    expect(r.out).toContain(`add ${home}/.local/bin to your PATH`)
  })

  test('an unknown option is a usage error', () => {
    const r = install(['--bogus'], {})
    expect(r.code).toBe(2)
    expect(r.out).toContain('unknown option --bogus')
  })
})
