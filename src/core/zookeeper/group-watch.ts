// Keeps an up-to-date view of a group znode's children (upstream src/zookeeper/group.cpp, GroupProcess::cache
// and watch): reads them with a child watch, reads again whenever the watch fires and after every reconnection
// (a read that failed with CONNECTIONLOSS left no watch behind), and, while the group znode does not exist,
// waits for its creation with an exists watch. Readers of the group never write, so a detector works with
// read-only credentials.

import type { Logger } from '../log.ts'
import type { ZooKeeperClient } from './client.ts'
import { isZooKeeperError } from './errors.ts'

export class GroupWatch {
  private stopped = false
  private reading = false
  private again = false
  private readonly offState: () => void
  /** One function for every watch this view sets, so the client keeps one registration per path and kind. */
  private readonly watcher = () => void this.read()

  /** `onChildren` gets the children's names after every change, [] while the group znode does not exist. */
  constructor(
    private readonly client: ZooKeeperClient,
    readonly path: string,
    private readonly onChildren: (children: string[]) => void,
    private readonly log: Logger,
  ) {
    this.offState = client.onState(c => {
      if (c.state === 'CONNECTED') void this.read()
    })
    if (client.state === 'CONNECTED') void this.read()
  }

  stop() {
    this.stopped = true
    this.offState()
  }

  private async read(): Promise<void> {
    if (this.stopped) return
    if (this.reading) {
      this.again = true
      return
    }
    this.reading = true
    try {
      do {
        this.again = false
        const children = await this.readOnce()
        if (children && !this.stopped) this.onChildren(children)
      } while (this.again && !this.stopped)
    } finally {
      this.reading = false
    }
  }

  /** The children, or undefined when this read failed and a later event (reconnection, watch) will retry. */
  private async readOnce(): Promise<string[] | undefined> {
    try {
      return (await this.client.getChildren(this.path, this.watcher)).children
    } catch (e) {
      if (!isZooKeeperError(e, 'NONODE')) return this.failed(e)
    }
    try {
      if (!(await this.client.exists(this.path, this.watcher))) return []
      this.again = true // created between the two requests
      return undefined
    } catch (e) {
      return this.failed(e)
    }
  }

  private failed(e: unknown): undefined {
    // CONNECTIONLOSS: the next CONNECTED reads again; SESSIONEXPIRED / CLOSING: the session's owner takes over.
    if (!isZooKeeperError(e, 'CONNECTIONLOSS') && !isZooKeeperError(e, 'SESSIONEXPIRED') && !isZooKeeperError(e, 'CLOSING')) {
      this.log.error(`reading the ZooKeeper group '${this.path}' failed: ${e instanceof Error ? e.message : e}`)
    }
    return undefined
  }
}
