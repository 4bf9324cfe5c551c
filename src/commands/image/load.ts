import { Args, Flags } from '@oclif/core'
import { agentFlag, ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class ImageLoad extends ClientCommand {
  static description = 'load images from a docker-archive or OCI-layout tarball into the agents\' image stores (no registry needed)'
  static examples = ['$ skopeo copy docker://busybox:1.36 docker-archive:busybox.tar:busybox:1.36 && meso image load busybox.tar']
  static args = { file: Args.string({ description: 'tarball (docker save / skopeo docker-archive, or an OCI image layout)', required: true }) }
  static flags = {
    master: masterFlag, 'ca-cert': caCertFlag, agent: agentFlag,
    name: Flags.string({ description: 'name for the image when the archive names none (or only a tag)', helpValue: 'REF' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-load.ts'), await this.parse(ImageLoad))
  }
}
