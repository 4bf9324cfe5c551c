import { AGENT_FLAGS } from '../agent/flags.ts'
import { agentListening } from './agent-start.ts'
import { DaemonCommand, oclifFlags } from './daemon.ts'

export default class AgentDaemon extends DaemonCommand {
  static description = 'run an agent that registers with a master and runs its tasks (default port 5051)'
  static examples = ['$ meso agent --master=10.0.0.1:5050 --work_dir=/var/lib/meso/agent', "$ meso agent --master=127.0.0.1:5050 --resources='cpus:4;mem:8192;ports:[31000-32000]'"]
  static flags = oclifFlags(AGENT_FLAGS)

  async run() {
    const { values, strings } = await this.daemonFlags(AGENT_FLAGS)
    if (!values.master) this.error('--master is required (host:port of the master)', { exit: 2 })
    const { startAgent } = await import('../agent/server.ts')
    await this.serve(() => startAgent(values, strings), a => agentListening(a.url, values))
  }
}
