// A master started with --zk: it contends for leadership (contender.ts), follows who leads (detector.ts) so that
// as a standby it can send clients there (standby.ts), and once elected recovers the registrar from ZooKeeper
// (zk-registrar.ts) and starts the master. Losing leadership, or a registrar write that fails or is fenced out, ends
// the process at once, as Mesos' master aborts: a master that may no longer lead must not act a moment longer, and
// its supervisor (or the operator) starts it again as a new contender. See docs/zookeeper.md.

import { logger } from '../../core/log.ts'
import type { MasterInfo } from '../../core/v1/messages.ts'
import { readZooKeeperUrl, redactUrl } from '../../core/zookeeper/url.ts'
import type { MasterFlags } from '../flags.ts'
import type { RegistrarSnapshot, RegistrarStore } from '../registrar.ts'
import { MasterContender } from './contender.ts'
import { MasterDetector } from './detector.ts'
import { ZooKeeperRegistrar } from './zk-registrar.ts'

const log = logger('master')

export interface HighAvailability {
  /** The ZooKeeper URL, credentials hidden, for log lines. */
  readonly where: string
  /** Graceful stop: queued registrar writes, then the membership znode goes (a standby takes over at once). */
  stop(): Promise<void>
}

export interface LeadershipEvents {
  /** Who leads now (undefined: nobody), every time it changes. */
  leader(leader: MasterInfo | undefined): void
  /** This master leads: its registrar and what it holds. */
  elected(registrar: RegistrarStore, recovered: RegistrarSnapshot): void
}

export async function contend(flags: MasterFlags, info: MasterInfo, on: LeadershipEvents, exit: (code: number) => never = process.exit): Promise<HighAvailability> {
  const url = readZooKeeperUrl(flags.zk ?? '')
  const where = redactUrl(flags.zk ?? '')
  let stopping = false
  let registrar: ZooKeeperRegistrar | undefined
  const fatal = (why: string) => {
    if (stopping) return
    log.error(`${why}; exiting so that another master leads (a master that may have lost leadership must not act)`)
    exit(1)
  }
  const detector = new MasterDetector(url, { sessionTimeoutMs: flags.zk_session_timeout })
  detector.onChange(leader => {
    on.leader(leader)
    if (leader && leader.id !== info.id) log.info(`Leading master is ${leader.id} at ${leader.address?.ip}:${leader.address?.port}`)
  })
  const contender = await MasterContender.join(url, info, { sessionTimeoutMs: flags.zk_session_timeout })
  void contender.lost.then(reason => fatal(`Lost leadership: ${reason}`))
  contender.elected.then(async () => {
    log.info(`Elected as the leading master; recovering the registrar from ${where}`)
    const r = await ZooKeeperRegistrar.open(contender, fatal)
    registrar = r
    const recovered = await r.snapshot()
    if (stopping) return
    on.elected(r, recovered)
  }).catch(err => fatal(`Could not take over as leader: ${(err as Error).message}`))
  return {
    where,
    async stop() {
      stopping = true
      await registrar?.flushed()
      registrar?.close()
      await contender.withdraw()
      await detector.close()
    },
  }
}
