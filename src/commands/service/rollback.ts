import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'
import { followFlags } from './flags.ts'

export default class ServiceRollback extends ClientCommand {
  static description = "undo a service's deployment in progress (a new deployment reverts its changes); with none in progress, deploy the service's previous version"
  static examples = ['meso service rollback /web', 'meso service rollback /web 97c136bf-5a28-4821-9d94-480d9fbb01c8', 'meso service rollback --stop /web']
  static args = {
    id: Args.string({ required: true, description: 'app id' }),
    deployment: Args.string({ description: 'the deployment to undo (default: the one in progress on the app)' }),
  }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    stop: Flags.boolean({ description: "stop the deployment where it is instead, reverting nothing (Marathon's DELETE ?force=true; old and new tasks may stay mixed)" }),
    ...followFlags,
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-rollback.ts'), await this.parse(ServiceRollback))
  }
}
