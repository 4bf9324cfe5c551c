// Where the linux launcher keeps each container's runtime state under --runtime_dir: the OCI bundle (config.json,
// rootfs, conmon's pid files and ctl fifo), conmon's exit file and persist dir (its `oom` marker), and the attach
// sockets. All of it goes when the container is destroyed; the sandbox stays.

import { rmSync } from 'node:fs'
import { join } from 'node:path'

export class RuntimeDirs {
  constructor(readonly root: string) {}

  get bundles() { return join(this.root, 'containers') }
  get exits() { return join(this.root, 'exits') }
  get persistRoot() { return join(this.root, 'persist') }
  get sockets() { return join(this.root, 's') }

  bundle(id: string) { return join(this.bundles, id) }
  exitFile(id: string) { return join(this.exits, id) }
  persist(id: string) { return join(this.persistRoot, id) }

  /** Removes the container's bundle, exit file and persist dir. */
  remove(id: string) {
    rmSync(this.bundle(id), { recursive: true, force: true })
    rmSync(this.exitFile(id), { force: true })
    rmSync(this.persist(id), { recursive: true, force: true })
  }
}
