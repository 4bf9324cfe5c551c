// The tasks on one agent, in the order they were added, keyed by framework id and task id. An array, not a Map
// keyed `<framework id>/<task id>`: JSC gives a Map about 95 bytes per entry plus the joined key string (about 40
// more), which at 10k agents × 10 tasks was 11 MB of the master's heap, against 8 bytes per task here. Lookups and
// removals scan the agent's tasks (hundreds, a thousand at most in practice), which costs less than the JSON of
// the status update that causes them.

import type { Task } from '../core/v1/messages.ts'

export class AgentTasks {
  private list: Task[] = []

  get size(): number { return this.list.length }

  values(): IterableIterator<Task> { return this.list.values() }

  get(frameworkId: string, taskId: string): Task | undefined {
    const i = this.indexOf(frameworkId, taskId)
    return i < 0 ? undefined : this.list[i]
  }

  /** Adds `task`, or puts it in the place of the task with the same framework and task ids. */
  set(task: Task): void {
    const i = this.indexOf(task.framework_id.value, task.task_id.value)
    if (i < 0) this.list.push(task)
    else this.list[i] = task
  }

  delete(frameworkId: string, taskId: string): boolean {
    const i = this.indexOf(frameworkId, taskId)
    if (i < 0) return false
    this.list.splice(i, 1)
    return true
  }

  private indexOf(frameworkId: string, taskId: string): number {
    const list = this.list
    // From the end: the task asked about is most often a recent one.
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!
      if (t.task_id.value === taskId && t.framework_id.value === frameworkId) return i
    }
    return -1
  }
}
