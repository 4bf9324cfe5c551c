// `--master zk://host:2181/mesos` (or MESO_MASTER, or the config file's address): the CLI asks ZooKeeper who leads,
// as Mesos' CLIs and scheduler libraries do (ha/detector.ts), once per command, before the handler runs; the handler
// then talks to the leader's address. A master that is asked but does not lead answers 307 to the leader, which
// fetch follows.

import { CliError, masterAddress, masterUrl } from './cluster.ts'
import { EXIT } from './exit-codes.ts'
import { isZooKeeperUrl, leaderAddress } from '../core/master-address.ts'

const DETECT_TIMEOUT_MS = 10_000

/** The ZooKeeper URL this command was given, for detecting the leader again after a failover. */
let detectedFrom: string | undefined

/** Replaces a ZooKeeper master address in `flags.master` by the leading master's ip:port. */
export async function resolveDetectedMaster(flags: object): Promise<void> {
  const f = flags as { master?: unknown }
  if (!('master' in f) && !process.env.MESO_MASTER) return
  const given = masterAddress(typeof f.master === 'string' ? f.master : undefined)
  if (!isZooKeeperUrl(given)) return
  const { redactUrl } = await import('../core/zookeeper/url.ts')
  let leader
  try {
    leader = await detectLeaderAt(given)
  } catch (err) {
    throw new CliError(`cannot ask ZooKeeper at ${redactUrl(given)} for the leading master: ${(err as Error).message}`, EXIT.LAUNCH_FAILED)
  }
  if (!leader) throw new CliError(`no master leads in ${redactUrl(given)} (none elected within ${DETECT_TIMEOUT_MS / 1000}s)`, EXIT.LAUNCH_FAILED)
  f.master = leaderAddress(leader)
  detectedFrom = given
}

/** The leading master's URL now, when this command was given a ZooKeeper URL (else undefined). */
export async function redetectMaster(): Promise<string | undefined> {
  if (!detectedFrom) return undefined
  const leader = await detectLeaderAt(detectedFrom)
  return leader ? masterUrl(leaderAddress(leader)) : undefined
}

/** Who leads in the ZooKeeper group `url` names. Loaded only here: most commands never pay for the ZooKeeper client. */
async function detectLeaderAt(url: string) {
  const { detectLeader } = await import('../master/ha/detector.ts')
  const { readZooKeeperUrl } = await import('../core/zookeeper/url.ts')
  return detectLeader(readZooKeeperUrl(url), DETECT_TIMEOUT_MS)
}
