import { Command } from '@oclif/core'
import { oclifFlags } from '../core/flags.ts'
import { MASTER_FLAGS } from '../master/flags.ts'
import { fail, parseDaemonFlags, runUntilSignal } from './daemon.ts'

export default class MasterDaemon extends Command {
  static description = 'run a master (scheduler API, operator API and v0 endpoints on --port, default 5050)'
  static examples = ['$ meso master --work_dir=/var/lib/meso/master', '$ meso master --port=5050 --allocation_interval=1secs']
  static flags = oclifFlags(MASTER_FLAGS)

  async run() {
    const { values, strings } = await parseDaemonFlags(this, MasterDaemon, MASTER_FLAGS)
    const { startMaster } = await import('../master/server.ts')
    let running
    try { running = await startMaster(values, strings) } catch (err) { fail(this, err) }
    this.logToStderr(`meso master listening at ${running.url} (API: ${running.url}/api/v1)`)
    await runUntilSignal(() => running.stop())
  }
}
