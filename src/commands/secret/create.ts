import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class SecretCreate extends ClientCommand {
  static description = "create or replace a secret in the master's store (the value from --from-file, else stdin; --value is visible in ps and shell history)"
  static examples = [
    'printf %s "$DB_PASSWORD" | meso secret create team/db/password',
    'meso secret create team/tls/key --from-file key.pem',
  ]
  static args = { path: Args.string({ required: true, description: "secret path, e.g. team/db/password" }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    value: Flags.string({ description: 'the value itself (avoid: it shows in ps and shell history)', exclusive: ['from-file'] }),
    'from-file': Flags.string({ description: "read the value from this file ('-' for stdin)", exclusive: ['value'] }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/secret-create.ts'), await this.parse(SecretCreate))
  }
}
