import { Args } from '@oclif/core'
import { agentFlag, ClientCommand, caCertFlag, masterFlag, registryPasswordStdinFlag, registryUserFlag } from '../base.ts'

export default class ImagePull extends ClientCommand {
  static description = 'pull an image into the agents\' image stores, with progress per layer'
  static examples = [
    '$ meso image pull busybox:1.36',
    "$ echo \"$TOKEN\" | meso image pull --registry-user ci --registry-password-stdin registry.example.com:5000/team/app:2.1",
  ]
  static args = { reference: Args.string({ description: 'image: [REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]', required: true }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, agent: agentFlag, 'registry-user': registryUserFlag, 'registry-password-stdin': registryPasswordStdinFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-pull.ts'), await this.parse(ImagePull))
  }
}
