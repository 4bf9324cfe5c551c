// Field limits on what clients make the master keep, serve in /master/state and log (docs/security-input.md).
// IDs follow Mesos' `validateID` (src/common/validation.cpp): non-empty, at most NAME_MAX (255) characters, not `.`
// or `..`, no control characters and no path separators, since IDs name directories on agents. Mesos leaves names,
// labels and the other free text of FrameworkInfo, TaskInfo and ExecutorInfo unbounded (src/master/validation.cpp:
// "validate more fields!"); meso bounds them, far above what frameworks use, so that one request cannot make the
// master hold, serve and log megabytes of a single name.

import type { ExecutorInfo, FrameworkInfo, Labels, TaskInfo } from '../../core/v1/messages.ts'

/** NAME_MAX, Mesos' limit on an ID. */
export const MAX_ID_LENGTH = 255
/** Names, users, hostnames, principals. */
export const MAX_NAME_LENGTH = 1024
/** URLs and other longer text (FrameworkInfo.webui_url, ExecutorInfo.source). */
export const MAX_TEXT_LENGTH = 4096
export const MAX_LABELS = 1000
export const MAX_LABEL_KEY_LENGTH = 1024
/** Label values carry blobs in the wild (package metadata as base64 JSON), hence the room. */
export const MAX_LABEL_VALUE_LENGTH = 256 * 1024

/** Mesos' validateID; the messages name the rule an ID breaks. */
export function idError(id: string): string | undefined {
  if (!id) return 'ID must not be empty'
  if (id.length > MAX_ID_LENGTH) return `ID must not be greater than ${MAX_ID_LENGTH} characters`
  if (id === '.' || id === '..') return "'.' and '..' are reserved IDs"
  if (/[\/\\\x00-\x1f\x7f]/.test(id)) return "ID must not contain '/', '\\' or control characters"
  return undefined
}

/** `what` must be at most `max` characters (undefined passes). */
export function lengthError(what: string, v: string | undefined, max: number): string | undefined {
  return v !== undefined && v.length > max ? `'${what}' must not be longer than ${max} characters (it has ${v.length})` : undefined
}

export function labelsError(what: string, labels: Labels | undefined): string | undefined {
  const list = labels?.labels
  if (!list) return undefined
  if (list.length > MAX_LABELS) return `'${what}' must not have more than ${MAX_LABELS} labels (it has ${list.length})`
  for (const l of list) {
    const e = lengthError(`${what} key`, l.key, MAX_LABEL_KEY_LENGTH) ?? lengthError(`${what} value`, l.value, MAX_LABEL_VALUE_LENGTH)
    if (e) return e
  }
  return undefined
}

/** The fields of a FrameworkInfo with limits (SUBSCRIBE, UPDATE_FRAMEWORK). */
export function frameworkInfoFieldsError(info: FrameworkInfo): string | undefined {
  if (info.id?.value) {
    const e = idError(info.id.value)
    if (e) return `'FrameworkInfo.id' is invalid: ${e}`
  }
  return lengthError('FrameworkInfo.name', info.name, MAX_NAME_LENGTH)
    ?? lengthError('FrameworkInfo.user', info.user, MAX_NAME_LENGTH)
    ?? lengthError('FrameworkInfo.hostname', info.hostname, MAX_NAME_LENGTH)
    ?? lengthError('FrameworkInfo.principal', info.principal, MAX_NAME_LENGTH)
    ?? lengthError('FrameworkInfo.webui_url', info.webui_url, MAX_TEXT_LENGTH)
    ?? labelsError('FrameworkInfo.labels', info.labels)
}

export function executorInfoFieldsError(e: ExecutorInfo): string | undefined {
  return lengthError('ExecutorInfo.name', e.name, MAX_NAME_LENGTH)
    ?? lengthError('ExecutorInfo.source', e.source, MAX_TEXT_LENGTH)
    ?? labelsError('ExecutorInfo.labels', e.labels)
}

/** The free text of a TaskInfo (its IDs are checked by task.ts with the rest of the task). */
export function taskInfoFieldsError(t: TaskInfo): string | undefined {
  return lengthError('TaskInfo.name', t.name, MAX_NAME_LENGTH)
    ?? labelsError('TaskInfo.labels', t.labels)
    ?? (t.executor ? executorInfoFieldsError(t.executor) : undefined)
}
