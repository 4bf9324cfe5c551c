// When a schedule fires (Metronome's ScheduleSpec with startingDeadlineSeconds and concurrencyPolicy). The jobs
// service keeps, per schedule, the next firing time it has not handled yet (persisted, so a restarted master knows
// which firings it missed). At each check:
// - not due yet: nothing;
// - due: the firings since then collapse into the latest one (a master that was down for an hour starts one run,
//   not sixty); it starts only if it is at most startingDeadlineSeconds old (else it is missed), and, under
//   FORBID, only if no run of the job is active (else it is skipped). Either way the next firing time moves on.
// A disabled schedule never fires; its next firing time keeps moving so enabling it does not fire a backlog.
// Pure, with the clock passed in.

import { fireTimesBetween, nextFireTime, parseCron } from './cron.ts'
import type { ScheduleSpec } from './job-spec.ts'

export type ScheduleDecision =
  | { fire: false; nextRunAt?: number; skipped?: { at: number; why: string } }
  | { fire: true; scheduledAt: number; nextRunAt?: number }

export function decideSchedule(s: ScheduleSpec, pendingAt: number | undefined, now: number, activeRuns: number): ScheduleDecision {
  const cron = parseCron(s.cron)
  if (pendingAt === undefined || !s.enabled) {
    const next = nextFireTime(cron, s.timezone, now)
    return next === undefined ? { fire: false } : { fire: false, nextRunAt: next }
  }
  if (now < pendingAt) return { fire: false, nextRunAt: pendingAt }
  const due = [pendingAt, ...fireTimesBetween(cron, s.timezone, pendingAt, now, 1)]
  const latest = due.at(-1)!
  const next = nextFireTime(cron, s.timezone, Math.max(latest, now))
  const moved = next === undefined ? {} : { nextRunAt: next }
  if (now - latest > s.startingDeadlineSeconds * 1000) {
    return { fire: false, ...moved, skipped: { at: latest, why: `missed: more than startingDeadlineSeconds (${s.startingDeadlineSeconds}) ago` } }
  }
  if (s.concurrencyPolicy === 'FORBID' && activeRuns > 0) {
    return { fire: false, ...moved, skipped: { at: latest, why: `concurrencyPolicy FORBID and ${activeRuns} run(s) active` } }
  }
  return { fire: true, scheduledAt: latest, ...moved }
}
