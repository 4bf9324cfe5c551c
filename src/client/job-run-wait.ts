// `meso job run --wait`: follows a job run until it ends, streaming its task's stdout and stderr from the sandbox
// (sandbox-files.ts, as `task logs -f` reads them), and a pipeline run step by step, each step's output prefixed
// with `[step] `. The runs belong to the master's jobs service, not to this command: leaving (Ctrl-C) stops the
// following, never the run. Exit codes follow `task run` (exit-codes.ts, pipeline-progress.ts).

import type { Task, TaskStatus } from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { CliError, operatorCall } from './cluster.ts'
import { exitCodeFor, exitedOnItsOwn } from './exit-codes.ts'
import { JobApiError, type JobRun, type JobsClient, type PipelineRun } from './jobs.ts'
import { pipelineExitCode, runExitCode, stepChanges, stepSummary } from './pipeline-progress.ts'
import { PrefixedLines } from './prefixed-lines.ts'
import { FileFollower, SandboxFile, sandboxPath } from './sandbox-files.ts'
import { listTasks } from './tasks.ts'

/** How often the run is looked at. */
const POLL_MS = 500
/** A finished run leaves the active runs; its history entry may take this long to appear. */
const HISTORY_GRACE_MS = 5_000

export interface RunOutcome {
  status: string
  code: number
  /** Why the run failed, when its task's own output does not say it (killed, lost, never launched). */
  why?: string
}

interface Outputs { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }

/** Follows run `runId` of plain job `jobId`; `note` gets progress lines (stderr). */
export async function followJobRun(jobs: JobsClient, jobId: string, runId: string, out: Outputs, note: (line: string) => void): Promise<RunOutcome> {
  let current: { taskId: string; follower?: FileFollower } | undefined
  let finished: { status: string; exitCode?: number; failureReason?: string; taskIds: string[] } | undefined
  const followed = new Set<string>()
  let goneSince: number | undefined
  while (!finished) {
    let run: JobRun | undefined
    try {
      run = await jobs.run(jobId, runId)
    } catch (err) {
      if (!(err instanceof JobApiError && err.status === 404)) throw err
    }
    if (!run) {
      finished = await fromHistory(jobs, jobId, runId)
      goneSince ??= Date.now()
      if (!finished && Date.now() - goneSince > HISTORY_GRACE_MS) throw new CliError(`run ${runId} of job '${jobId}' is neither active nor in the job's history`)
    } else if (run.status === 'SUCCESS' || run.status === 'FAILED') {
      finished = { status: run.status, exitCode: run.exitCode, failureReason: run.failureReason, taskIds: run.tasks.map(t => t.id) }
    }
    // Every task of the run in turn: a restart policy (ON_FAILURE) may have replaced the one followed so far, maybe
    // more than once between two looks; the output of each is printed whole before the next one's.
    for (const id of finished ? finished.taskIds : (run?.tasks ?? []).map(t => t.id)) {
      if (followed.has(id)) continue
      if (current) {
        await current.follower?.stop()
        note(`run ${runId}: task ${current.taskId} ended; the restart policy started task ${id}`)
      }
      followed.add(id)
      current = { taskId: id, follower: await followTask(jobs.master, id, out) }
    }
    if (current && !current.follower) current.follower = await followTask(jobs.master, current.taskId, out)
    if (!finished) await Bun.sleep(POLL_MS)
  }
  await current?.follower?.stop()
  const last = current ? await terminalStatus(jobs.master, current.taskId) : undefined
  const code = runExitCode(finished, last ? exitCodeFor(last) : undefined)
  let why: string | undefined
  if (code !== 0 && (!last || !exitedOnItsOwn(last))) {
    why = last ? `task ${last.task_id.value} ${last.state}${last.message ? `: ${last.message}` : ''}`
      : finished.failureReason ?? `no task of it ${current ? 'could be found' : 'was launched'}`
  }
  return { status: finished.status, code, why }
}

/** Follows pipeline run `runId` of `jobId` until it ends: a line per step change, each step's output prefixed. */
export async function followPipelineRun(jobs: JobsClient, jobId: string, runId: string, out: Outputs, note: (line: string) => void, paintPrefix: (step: string) => string = s => s): Promise<{ run: PipelineRun; code: number }> {
  let before: PipelineRun | undefined
  const followers = new Map<string, Promise<RunOutcome>>()
  for (;;) {
    const run = await jobs.pipelineRun(jobId, runId)
    for (const line of stepChanges(before, run)) note(line)
    before = run
    for (const step of run.steps) {
      if (!step.runId || followers.has(step.jobId) || !['ACTIVE', 'SUCCESS', 'FAILED'].includes(step.status)) continue
      const prefix = paintPrefix(`[${step.jobId}] `)
      const lines = { stdout: new PrefixedLines(prefix, out.stdout), stderr: new PrefixedLines(prefix, out.stderr) }
      followers.set(step.jobId, followJobRun(jobs, step.jobId, step.runId, lines, note).finally(() => {
        lines.stdout.flushPartial()
        lines.stderr.flushPartial()
      }))
    }
    if (run.status !== 'ACTIVE') break
    await Bun.sleep(POLL_MS)
  }
  const codes = new Map<string, number>()
  for (const [step, outcome] of followers) {
    const o = await outcome
    codes.set(step, o.code)
    if (o.code !== 0 && o.why) note(`step ${step}: ${o.why}`)
  }
  note(`pipeline run ${runId} of job '${jobId}' ${before!.status}: ${stepSummary(before!.steps)}`)
  return { run: before!, code: pipelineExitCode(before!, codes) }
}

/** A finished run as the job's history holds it; undefined while it is in neither list. */
async function fromHistory(jobs: JobsClient, jobId: string, runId: string): Promise<{ status: string; taskIds: string[] } | undefined> {
  const h = (await jobs.get(jobId, ['history'])).history
  const ok = h?.successfulFinishedRuns?.find(r => r.id === runId)
  if (ok) return { status: 'SUCCESS', taskIds: ok.tasks ?? [] }
  const failed = h?.failedFinishedRuns?.find(r => r.id === runId)
  if (failed) return { status: 'FAILED', taskIds: failed.tasks ?? [] }
  return undefined
}

async function findTask(master: string, taskId: string): Promise<Task | undefined> {
  return (await listTasks(master, true)).find(t => t.task.task_id.value === taskId)?.task
}

async function agentAddress(master: string, agentId: string): Promise<string | undefined> {
  const r = await operatorCall<{ agents?: { agent_info: { id?: { value: string } }; pid?: string }[] }>(master, 'GET_AGENTS')
  return r.agents?.find(a => a.agent_info.id?.value === agentId)?.pid?.split('@')[1]
}

/** Starts following a task's stdout and stderr; undefined while the master does not know the task yet. */
async function followTask(master: string, taskId: string, out: Outputs): Promise<FileFollower | undefined> {
  const task = await findTask(master, taskId)
  if (!task) return undefined
  const agent = await agentAddress(master, task.agent_id.value)
  if (!agent) throw new CliError(`the agent of task ${taskId} (${task.agent_id.value}) is not registered; its output cannot be read`)
  const follower = new FileFollower([
    { file: new SandboxFile(agent, sandboxPath(task, 'stdout')), out: out.stdout },
    { file: new SandboxFile(agent, sandboxPath(task, 'stderr')), out: out.stderr },
  ], 100)
  follower.start()
  return follower
}

/** The task's terminal status as the master keeps it (with the exit-status label); undefined when unknown. */
async function terminalStatus(master: string, taskId: string): Promise<TaskStatus | undefined> {
  const task = await findTask(master, taskId)
  if (!task || !isTerminal(task.state)) return undefined
  const last = [...(task.statuses ?? [])].reverse().find(s => s.state === task.state)
  return last ?? { task_id: task.task_id, state: task.state }
}
