import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class AgentMaintenance extends ClientCommand {
  static description = `the maintenance schedule and machine modes (schedule, show, status, down, up)
  schedule FILE|-       replace the schedule with a Schedule JSON
  schedule --machine H  one window for H (with --start, --duration)
  schedule --clear      empty the schedule
  show                  the schedule
  status                DRAINING and DOWN machines, inverse offer answers
  down MACHINE...       START_MAINTENANCE: agents removed until up
  up MACHINE...         STOP_MAINTENANCE: up again, out of the schedule
A MACHINE is HOST, IP or HOST/IP, as the schedule names it.`
  static strict = false
  static args = {
    action: Args.string({ required: true, options: ['schedule', 'show', 'status', 'down', 'up'], description: 'what to do' }),
  }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    json: jsonFlag,
    machine: Flags.string({ description: 'schedule: a machine of the window, HOST, IP or HOST/IP (repeatable)', multiple: true, helpValue: 'HOST' }),
    start: Flags.string({ description: "schedule: when the machines go, 'now', '+DURATION' or an ISO date (default now)", helpValue: 'WHEN' }),
    duration: Flags.string({ description: 'schedule: for how long, e.g. 2h (default: indefinitely)', helpValue: 'DURATION' }),
    clear: Flags.boolean({ description: 'schedule: empty the schedule' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/agent-maintenance.ts'), await this.parse(AgentMaintenance))
  }
}
