import { Args, Flags } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'

export const agentFlag = Flags.string({ description: 'act on this agent only (id, unique id prefix, or hostname); default: every agent', helpValue: 'ID' })
export const registryUserFlag = Flags.string({ description: 'registry user name (the password is read from stdin with --registry-password-stdin)', helpValue: 'USER' })
export const registryPasswordStdinFlag = Flags.boolean({ description: 'read the registry password from stdin' })

export default class ImagePull extends ClientCommand {
  static description = 'pull an image into the agents\' image stores, with progress per layer'
  static examples = [
    '$ meso image pull busybox:1.36',
    "$ echo \"$TOKEN\" | meso image pull --registry-user ci --registry-password-stdin registry.example.com:5000/team/app:2.1",
  ]
  static args = { reference: Args.string({ description: 'image: [REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]', required: true }) }
  static flags = { master: masterFlag, agent: agentFlag, 'registry-user': registryUserFlag, 'registry-password-stdin': registryPasswordStdinFlag }

  async run() {
    const { args, flags } = await this.parse(ImagePull)
    await this.guard(async () => {
      const { masterUrl } = await import('../../client/cluster.ts')
      const { registryCredentialsFromFlags } = await import('../../client/images.ts')
      const { pullImage } = await import('../../client/image-pull.ts')
      const credentials = await registryCredentialsFromFlags(flags['registry-user'], flags['registry-password-stdin'])
      return pullImage({ master: masterUrl(flags.master), reference: args.reference, agent: flags.agent, credentials })
    })
  }
}
