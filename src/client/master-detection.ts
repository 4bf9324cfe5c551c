// `--master zk://host:2181/mesos` (or MESO_MASTER, or the config file's address): the CLI asks ZooKeeper who leads,
// as Mesos' CLIs and scheduler libraries do (ha/detector.ts), once per command, before the handler runs; the handler
// then talks to the leader's address. A master that is asked but does not lead answers 307 to the leader, which
// fetch follows.

import { CliError, masterAddress, masterUrl } from './cluster.ts'
import { EXIT } from './exit-codes.ts'

const DETECT_TIMEOUT_MS = 10_000

/** The ZooKeeper URL this command was given, for detecting the leader again after a failover. */
let detectedFrom: string | undefined

/** Replaces a ZooKeeper master address in `flags.master` by the leading master's ip:port. */
export async function resolveDetectedMaster(flags: object): Promise<void> {
  const f = flags as { master?: unknown }
  if (!('master' in f) && !process.env.MESO_MASTER) return
  const given = masterAddress(typeof f.master === 'string' ? f.master : undefined)
  if (!/^(zk|file):\/\//.test(given)) return
  // Loaded only here: most commands never pay for the ZooKeeper client.
  const { detectLeader } = await import('../master/ha/detector.ts')
  const { readZooKeeperUrl, redactUrl } = await import('../core/zookeeper/url.ts')
  let leader
  try {
    leader = await detectLeader(readZooKeeperUrl(given), DETECT_TIMEOUT_MS)
  } catch (err) {
    throw new CliError(`cannot ask ZooKeeper at ${redactUrl(given)} for the leading master: ${(err as Error).message}`, EXIT.LAUNCH_FAILED)
  }
  if (!leader) throw new CliError(`no master leads in ${redactUrl(given)} (none elected within ${DETECT_TIMEOUT_MS / 1000}s)`, EXIT.LAUNCH_FAILED)
  f.master = `${leader.address?.ip ?? leader.hostname}:${leader.address?.port ?? leader.port}`
  detectedFrom = given
}

/** The leading master's URL now, when this command was given a ZooKeeper URL (else undefined). */
export async function redetectMaster(): Promise<string | undefined> {
  if (!detectedFrom) return undefined
  const { detectLeader } = await import('../master/ha/detector.ts')
  const { readZooKeeperUrl } = await import('../core/zookeeper/url.ts')
  const leader = await detectLeader(readZooKeeperUrl(detectedFrom), DETECT_TIMEOUT_MS)
  return leader ? masterUrl(`${leader.address?.ip ?? leader.hostname}:${leader.address?.port ?? leader.port}`) : undefined
}
