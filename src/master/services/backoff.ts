// Marathon's launch backoff (its RateLimiter): after a task of an app fails, the next launch waits
// backoffSeconds × backoffFactor^(failures-1), at most maxLaunchDelaySeconds. A new config version starts from
// no delay; so does an app whose task stayed up for RESET_AFTER_MS (a crash loop never gets there). Pure.

/** How long a task must stay running (and healthy, with a health check) before the delay is forgotten. */
export const RESET_AFTER_MS = 30_000

export interface Backoff { failures: number; until: number }

export const NO_BACKOFF: Backoff = { failures: 0, until: 0 }

export function delayMs(failures: number, app: { backoffSeconds: number; backoffFactor: number; maxLaunchDelaySeconds: number }): number {
  if (failures <= 0) return 0
  const s = app.backoffSeconds * Math.pow(app.backoffFactor, failures - 1)
  return Math.round(Math.min(s, app.maxLaunchDelaySeconds) * 1000)
}

/** The backoff after one more failure at `now`. */
export function afterFailure(b: Backoff, now: number, app: { backoffSeconds: number; backoffFactor: number; maxLaunchDelaySeconds: number }): Backoff {
  const failures = b.failures + 1
  return { failures, until: now + delayMs(failures, app) }
}
