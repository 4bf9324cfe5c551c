// What the service commands that change something share (deploy, scale, restart, rollback, rm): the flags that
// say whether and how long to follow the deployment, the event stream opened before the change, and following it —
// a block redrawn on stderr when stderr is a terminal, plain lines otherwise — to exit 0 when it succeeded and 1
// when it failed or the timeout passed (with the reason). Ctrl-C stops following, not the deployment.

import { CliError } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { EventSubscription, followDeployments } from '../../client/service-deploy-follow.ts'
import { ServiceApiError as ServiceApiErrorClass, type ServiceApiError, type ServicesClient } from '../../client/services.ts'
import { printJson } from '../../client/output.ts'
import { exitCodeOfSignal } from '../../core/exit-status.ts'
import { DurationError, parseDuration } from '../../core/duration.ts'
import { PlainProgress, progressBlock, stuckReason, type FollowSnapshot } from '../service-progress.ts'

export interface FollowFlags { wait?: boolean; timeout?: string }

/** The --timeout in milliseconds (undefined: no limit); a value that is no duration is a usage error. */
export function timeoutMs(flags: FollowFlags): number | undefined {
  if (flags.timeout === undefined) return undefined
  if (flags.wait === false) throw new CliError('--timeout limits how long the deployment is followed, and --no-wait does not follow it: use one of them', EXIT.USAGE)
  let ms: number
  try { ms = parseDuration(flags.timeout) } catch (err) {
    if (err instanceof DurationError) throw new CliError(`--timeout: ${err.message}`, EXIT.USAGE)
    throw err
  }
  if (!(ms > 0)) throw new CliError(`--timeout must be positive, got ${flags.timeout}`, EXIT.USAGE)
  return ms
}

/** Opens the event stream before the change when the command will follow it (so no outcome event is missed). */
export async function subscribeIfFollowing(client: ServicesClient, flags: FollowFlags): Promise<EventSubscription | undefined> {
  return flags.wait === false ? undefined : EventSubscription.open(client)
}

/** A block redrawn in place on a terminal: the previous frame's lines are erased before the next is written. */
export class Redrawn {
  private lines = 0
  constructor(private out: Pick<NodeJS.WriteStream, 'write' | 'columns'>) {}

  draw(lines: string[]) {
    const width = Math.max(20, (this.out.columns || Number(process.env.COLUMNS) || 80) - 1)
    const fitted = lines.map(l => (l.length > width ? `${l.slice(0, width - 1)}…` : l))
    const erase = this.lines ? `\x1b[${this.lines}A\r\x1b[J` : ''
    this.out.write(`${erase}${fitted.join('\n')}\n`)
    this.lines = fitted.length
  }
}

/**
 * Follows deployments `ids` of the apps `appIds` to their end; returns the exit code. `what` names the change for
 * messages (`deployment 1c2d… of /web`), `undo` is the command that would revert it.
 */
export async function follow(client: ServicesClient, sub: EventSubscription, ids: string[], appIds: string[], flags: FollowFlags, hint: { what: string; undo?: string }): Promise<number> {
  const limit = timeoutMs(flags)
  const tty = !!process.stderr.isTTY
  const block = tty ? new Redrawn(process.stderr) : undefined
  const plain = new PlainProgress()
  let last: FollowSnapshot | undefined
  if (!sub.live && sub.why) process.stderr.write(`following by polling: ${sub.why}\n`)
  const onSigint = () => {
    process.stderr.write(`\nstopped following ${hint.what}; it goes on (see 'meso service show ${appIds[0] ?? ''}'${hint.undo ? `; undo it with '${hint.undo}'` : ''})\n`)
    process.exit(exitCodeOfSignal('SIGINT'))
  }
  process.on('SIGINT', onSigint)
  let ticker: ReturnType<typeof setInterval> | undefined
  try {
    if (block) ticker = setInterval(() => { if (last) block.draw(progressBlock(last, Date.now())) }, 1000)
    const result = await followDeployments(client, ids, appIds, sub, {
      timeoutMs: limit,
      onSnapshot: s => {
        last = s
        if (block) block.draw(progressBlock(s, Date.now()))
        else for (const line of plain.changes(s, Date.now())) process.stderr.write(`${line}\n`)
      },
    })
    if (result.ok) return EXIT.OK
    if (result.timedOut) {
      const why = stuckReason(result.snapshot, Date.now())
      throw new CliError(`${hint.what} did not finish within ${flags.timeout} (it goes on${hint.undo ? `; undo it with '${hint.undo}'` : ''})${why ? `: ${why}` : ''}`)
    }
    throw new CliError(`${hint.what} failed: ${result.reason ?? 'no reason given'}`)
  } finally {
    if (ticker) clearInterval(ticker)
    process.off('SIGINT', onSigint)
    sub.close()
  }
}

/**
 * Rewrites a 409 (an app is locked by a deployment in progress: Marathon's AppLockedException names them) into
 * what to do about it; other conflicts keep the master's message. `ids`: the apps the refused change was for.
 */
export function explainConflict(err: ServiceApiError, ids: string | readonly string[], forced: boolean | undefined): ServiceApiError {
  if (err.status !== 409 || forced) return err
  const list = typeof ids === 'string' ? [ids] : ids
  if (err.deployments.length) {
    const locked = `deployment ${err.deployments.join(', ')} in progress`
    err.message = list.length === 1
      ? `${err.what} failed: ${list[0]} is locked by ${locked}; wait for it ('meso service show ${list[0]}'), undo it ('meso service rollback ${list[0]}'), or override it with --force`
      : `${err.what} failed: ${locked} holds some of these apps; wait for it ('meso service list'), undo it ('meso service rollback APP ${err.deployments[0]}'), or override it with --force`
  } else {
    err.message += '; override it with --force'
  }
  return err
}

/**
 * One app-level change that answers with a deployment (restart, rm): the stream opened first, the change, a 409
 * explained, the answer printed (`--json`) or said in a line, then the deployment followed unless --no-wait.
 */
export async function changeAndFollow(
  client: ServicesClient, id: string, flags: FollowFlags & { force?: boolean; json?: boolean },
  change: () => Promise<{ deploymentId: string }>, say: { doing: string; following: (deployment: string) => string },
): Promise<number> {
  timeoutMs(flags)
  const sub = await subscribeIfFollowing(client, flags)
  let r
  try {
    r = await change()
  } catch (err) {
    sub?.close()
    if (err instanceof ServiceApiErrorClass) explainConflict(err, id, flags.force)
    throw err
  }
  if (flags.json) printJson(r)
  else console.log(`${say.doing} service ${id} (deployment ${r.deploymentId})`)
  if (!sub) return EXIT.OK
  return follow(client, sub, [r.deploymentId], [id], flags, { what: say.following(r.deploymentId) })
}
