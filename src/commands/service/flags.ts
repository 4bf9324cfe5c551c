// The flags of the service commands that start a deployment (deploy, scale, restart, rollback, rm).

import { Flags } from '@oclif/core'

export const followFlags = {
  wait: Flags.boolean({ default: true, allowNo: true, description: 'follow the deployment to its end (exit 0 when it succeeded, 1 when it failed); --no-wait returns once it started' }),
  timeout: Flags.string({ description: 'stop following after this long and exit 1 with why it is not done (e.g. 90s, 5m; the deployment goes on)', helpValue: 'DURATION' }),
  json: Flags.boolean({ description: "print the master's answer (the deployment id and version) as JSON on stdout; progress stays on stderr" }),
}

export const forceFlag = Flags.boolean({ description: 'override a deployment in progress on the app (Marathon ?force=true)' })
