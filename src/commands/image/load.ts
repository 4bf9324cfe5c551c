import { Args, Flags } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'
import { agentFlag } from './pull.ts'

export default class ImageLoad extends ClientCommand {
  static description = 'load images from a docker-archive or OCI-layout tarball into the agents\' image stores (no registry needed)'
  static examples = ['$ skopeo copy docker://busybox:1.36 docker-archive:busybox.tar:busybox:1.36 && meso image load busybox.tar']
  static args = { file: Args.string({ description: 'tarball (docker save / skopeo docker-archive, or an OCI image layout)', required: true }) }
  static flags = {
    master: masterFlag, agent: agentFlag,
    name: Flags.string({ description: 'name for the image when the archive names none (or only a tag)', helpValue: 'REF' }),
  }

  async run() {
    const { args, flags } = await this.parse(ImageLoad)
    await this.guard(async () => {
      const { existsSync } = await import('node:fs')
      const { CliError, masterUrl } = await import('../../client/cluster.ts')
      if (!existsSync(args.file)) throw new CliError(`no such file: ${args.file}`, 2)
      const { loadImage, targetAgents } = await import('../../client/images.ts')
      const { formatBytes } = await import('../../client/pull-progress.ts')
      const agents = await targetAgents(masterUrl(flags.master), flags.agent)
      const results = await Promise.allSettled(agents.map(a => loadImage(a, args.file, flags.name)))
      let failed = 0
      results.forEach((r, i) => {
        if (r.status === 'rejected') { failed++; process.stderr.write(`error: ${(r.reason as Error).message}\n`); return }
        for (const img of r.value.images) process.stderr.write(`${agents[i]!.address}: loaded ${img.reference} (${img.layers} layers, ${formatBytes(img.size)})\n`)
      })
      const names = new Set(results.flatMap(r => (r.status === 'fulfilled' ? r.value.images.map(i => `${i.reference}@${i.digest}`) : [])))
      for (const n of names) process.stdout.write(`${n}\n`)
      return failed ? 1 : 0
    })
  }
}
