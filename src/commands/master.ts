import { MASTER_FLAGS } from '../master/flags.ts'
import { DaemonCommand, oclifFlags } from './daemon.ts'

export default class MasterDaemon extends DaemonCommand {
  static description = 'run a master (scheduler API, operator API and v0 endpoints on --port, default 5050)'
  static examples = ['$ meso master --work_dir=/var/lib/meso/master', '$ meso master --port=5050 --allocation_interval=1secs']
  static flags = oclifFlags(MASTER_FLAGS)

  async run() {
    const { values, strings } = await this.daemonFlags(MASTER_FLAGS)
    const { startMaster } = await import('../master/server.ts')
    await this.serve(() => startMaster(values, strings), m => `meso master listening at ${m.url} (API: ${m.url}/api/v1)`)
  }
}
