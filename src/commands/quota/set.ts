import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

const amount = (description: string, unit = 'N') => Flags.string({ description, helpValue: unit })

export default class QuotaSet extends ClientCommand {
  static description = "set a role's quota: guarantees (--cpus, --mem, …) and limits (--limit-*); replaces the role's quota (UPDATE_QUOTA)"
  static examples = [
    'meso quota set analytics --cpus 8 --mem 16384',
    'meso quota set batch --cpus 2 --mem 2048 --limit-cpus 16 --limit-mem 32768',
    'meso quota set web --limit-cpus 4',
  ]
  static args = { role: Args.string({ required: true, description: 'top-level role' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    cpus: amount('guaranteed cpus'),
    mem: amount('guaranteed memory (MB)', 'MB'),
    disk: amount('guaranteed disk (MB)', 'MB'),
    gpus: amount('guaranteed GPUs'),
    'limit-cpus': amount('at most this many cpus'),
    'limit-mem': amount('at most this much memory (MB)', 'MB'),
    'limit-disk': amount('at most this much disk (MB)', 'MB'),
    'limit-gpus': amount('at most this many GPUs'),
    force: Flags.boolean({ description: 'skip the checks that guarantees fit the cluster and limits cover what the role already uses' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/quota-set.ts'), await this.parse(QuotaSet))
  }
}
