import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'
import { followFlags, forceFlag } from './flags.ts'

export default class ServiceDeploy extends ClientCommand {
  static description = "create or update services from Marathon app definitions, JSON or YAML ('-': stdin): one app, a list, or a group; follows the deployment until it succeeds or fails"
  static examples = [
    'meso service deploy web.json',
    'meso service deploy stack.yaml --timeout 5m',
    'meso service deploy --no-wait web.json',
    "echo '{\"id\": \"/hello\", \"cmd\": \"sleep 1000\", \"cpus\": 0.1, \"mem\": 32, \"instances\": 2}' | meso service deploy -",
  ]
  static args = { file: Args.string({ required: true, description: "app definition file (JSON or YAML; a list or a group for several apps), '-' for stdin" }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, force: forceFlag, ...followFlags }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-deploy.ts'), await this.parse(ServiceDeploy))
  }
}
