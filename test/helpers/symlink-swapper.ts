// A hostile sandbox for files API tests (docs/security-files.md): a separate process that, in a tight loop, swaps
// `<root>/f` between a regular file holding SWAP_DECOY and a symlink to `<secretDir>/f`, and `<root>/d` between a
// directory (holding such an `f`) and a symlink to `<secretDir>`. Run by the test itself, or as a task's command.

import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const SWAP_DECOY = `decoy-${'x'.repeat(100)}`

/** The swapper program (CommonJS for `bun <file> <root> <secretDir>`); SIGTERM makes it write its count to <root>/.swaps. */
export const SWAPPER_SOURCE = `
const fs = require('fs'), path = require('path')
const [root, secretDir] = process.argv.slice(2)
const DECOY = ${JSON.stringify(SWAP_DECOY)}
const f = path.join(root, 'f'), d = path.join(root, 'd'), dReal = d + '.real'
let swaps = 0
fs.mkdirSync(dReal, { recursive: true })
fs.writeFileSync(path.join(dReal, 'f'), DECOY)
fs.renameSync(dReal, d)
fs.writeFileSync(f, DECOY)
process.on('SIGTERM', () => { fs.writeFileSync(path.join(root, '.swaps'), String(swaps)); process.exit(0) })
const batch = () => {
  for (let i = 0; i < 100; i++) {
    fs.symlinkSync(path.join(secretDir, 'f'), f + '.lnk'); fs.renameSync(f + '.lnk', f)
    fs.writeFileSync(f + '.tmp', DECOY); fs.renameSync(f + '.tmp', f)
    fs.symlinkSync(secretDir, d + '.lnk'); fs.renameSync(d, dReal); fs.renameSync(d + '.lnk', d)
    fs.renameSync(d, d + '.lnk'); fs.unlinkSync(d + '.lnk'); fs.renameSync(dReal, d)
    swaps++
  }
  setImmediate(batch)
}
batch()
`

/**
 * The same swapper in Python, for a task's command: a container on the host's root gets a fresh /tmp, so a bun
 * binary under a checkout in /tmp (where CI clones) is not there, while /usr/bin/python3 is.
 */
export const SWAPPER_PY = `
import os, signal, sys
root, secret_dir = sys.argv[1], sys.argv[2]
DECOY = ${JSON.stringify(SWAP_DECOY)}
f, d = os.path.join(root, 'f'), os.path.join(root, 'd')
d_real = d + '.real'
swaps = 0
os.makedirs(d_real, exist_ok=True)
open(os.path.join(d_real, 'f'), 'w').write(DECOY)
os.rename(d_real, d)
open(f, 'w').write(DECOY)
def stop(*_):
    open(os.path.join(root, '.swaps'), 'w').write(str(swaps))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    os.symlink(os.path.join(secret_dir, 'f'), f + '.lnk'); os.rename(f + '.lnk', f)
    open(f + '.tmp', 'w').write(DECOY); os.rename(f + '.tmp', f)
    os.symlink(secret_dir, d + '.lnk'); os.rename(d, d_real); os.rename(d + '.lnk', d)
    os.rename(d, d + '.lnk'); os.unlink(d + '.lnk'); os.rename(d_real, d)
    swaps += 1
`

export function writeSwapper(path: string): string {
  writeFileSync(path, SWAPPER_SOURCE)
  return path
}

/** Starts the swapper on `root` as a child of this process; resolves once the loop runs. */
export async function startSwapper(root: string, secretDir: string): Promise<{ stop(): Promise<void>; swaps(): number }> {
  const script = writeSwapper(join(root, '..', `swapper-${crypto.randomUUID()}.cjs`))
  const proc = Bun.spawn([process.execPath, script, root, secretDir], { stdio: ['ignore', 'inherit', 'inherit'] })
  const deadline = Date.now() + 10_000
  while (!existsSync(join(root, 'f')) || !lstatSync(join(root, 'd'), { throwIfNoEntry: false })) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the symlink swapper did not start (exit ${proc.exitCode})`)
    await Bun.sleep(5)
  }
  return {
    async stop() { proc.kill('SIGTERM'); await proc.exited },
    swaps: () => Number(readFileSync(join(root, '.swaps'), 'utf8')),
  }
}
