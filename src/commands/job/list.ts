import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class JobList extends ClientCommand {
  static description = 'list the jobs: schedules, last run, last success'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-list.ts'), await this.parse(JobList))
  }
}
