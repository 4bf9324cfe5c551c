// Fenced writes: a leader's writes go through only while it still is the leader. The writes and a check on the
// leader's own membership znode (CheckVersionRequest: that path exists with that version) travel in one multi,
// which ZooKeeper applies atomically (upstream ZooKeeper.java, multi; MultiOperationRecord.java). A master that
// lost its znode — session expired, znode deleted — can no longer write, even if it has not noticed yet.

import type { ZooKeeperClient } from './client.ts'
import { isZooKeeperError, type ZooKeeperError } from './errors.ts'
import type { Op, OpResult } from './records.ts'

/** The znode that proves leadership and the version it must still have (0 for a member znode nobody sets). */
export interface Fence {
  path: string
  version: number
}

export class FencedOutError extends Error {
  constructor(readonly fence: Fence, readonly cause: ZooKeeperError) {
    super(`fenced out: leader znode '${fence.path}' is not at version ${fence.version} any more (${cause.code}); this master must step down`)
    this.name = 'FencedOutError'
  }
}

/** Applies `ops` only if `fence` holds; returns their results (the check's own result left out). Throws
 * FencedOutError when the fence failed or the session expired, the op's ZooKeeperError (with `opIndex` counting `ops` from 0) when
 * one of the writes did — in both cases nothing was written. */
export async function fencedWrite(client: ZooKeeperClient, fence: Fence, ops: readonly Op[]): Promise<OpResult[]> {
  try {
    const results = await client.multi([{ type: 'check', path: fence.path, version: fence.version }, ...ops])
    return results.slice(1)
  } catch (e) {
    // An ended session has lost its ephemeral membership znode (or is about to): fenced out just the same.
    if (isZooKeeperError(e, 'SESSIONEXPIRED')) throw new FencedOutError(fence, e)
    if (isZooKeeperError(e) && e.opIndex !== undefined) {
      if (e.opIndex === 0) throw new FencedOutError(fence, e)
      e.opIndex -= 1
    }
    throw e
  }
}
