// Wait status ↔ exit code, the signal table and the exit-status label (docs/exit-status.md).

import { describe, expect, test } from 'bun:test'
import { constants } from 'node:os'
import {
  describeWaitStatus, EXIT_STATUS_LABEL, exitCodeOf, exitCodeOfSignal, exitStatus, exitStatusLabel, SIGNALS, signalName,
  signalNumber, termSignal, waitStatusFromLabels, waitStatusOf,
} from '../../src/core/exit-status.ts'

describe('wait status ↔ exit code', () => {
  test('an exit is code << 8, a signal is its number', () => {
    expect(waitStatusOf(0)).toBe(0)
    expect(waitStatusOf(3)).toBe(768)
    expect(waitStatusOf(128)).toBe(128 << 8)
    expect(waitStatusOf(137)).toBe(9)
    expect(waitStatusOf(143)).toBe(15)
    expect(waitStatusOf(192)).toBe(64)
    expect(waitStatusOf(193)).toBe(193 << 8)
    expect(waitStatusOf(255)).toBe(255 << 8)
  })

  test('back to the shell convention', () => {
    expect(exitCodeOf(0)).toBe(0)
    expect(exitCodeOf(768)).toBe(3)
    expect(exitCodeOf(9)).toBe(137)
    expect(exitCodeOf(15)).toBe(143)
    // A core dump sets bit 7; the signal is still the low 7 bits.
    expect(exitCodeOf(0x80 | 11)).toBe(139)
  })

  test('every exit code survives the round trip', () => {
    for (let code = 0; code <= 255; code++) expect(exitCodeOf(waitStatusOf(code))).toBe(code)
  })

  test('WIFEXITED / WIFSIGNALED', () => {
    expect(exitStatus(768)).toBe(3)
    expect(termSignal(768)).toBeUndefined()
    expect(termSignal(9)).toBe(9)
    expect(exitStatus(9)).toBeUndefined()
    // 0x7f in the low bits is a stopped process, not a death by signal.
    expect(termSignal((19 << 8) | 0x7f)).toBeUndefined()
  })

  test("Mesos' WSTRINGIFY wording", () => {
    expect(describeWaitStatus(0)).toBe('exited with status 0')
    expect(describeWaitStatus(2 << 8)).toBe('exited with status 2')
    expect(describeWaitStatus(9)).toBe('terminated with signal SIGKILL')
    expect(describeWaitStatus(40)).toBe('terminated with signal signal 40')
  })
})

describe('signals', () => {
  test('names and numbers, both ways', () => {
    expect(signalName(9)).toBe('SIGKILL')
    expect(signalName(15)).toBe('SIGTERM')
    expect(signalName(40)).toBeUndefined()
    expect(signalNumber('SIGINT')).toBe(2)
    expect(signalNumber('SIGBOGUS')).toBeUndefined()
    expect(signalNumber('toString')).toBeUndefined()
    for (const [name, n] of Object.entries(SIGNALS)) expect(signalName(n)).toBe(name as keyof typeof SIGNALS)
    expect(exitCodeOfSignal('SIGKILL')).toBe(137)
  })

  test('the table numbers signals as the platform does', () => {
    if (process.platform !== 'linux') return
    for (const [name, n] of Object.entries(SIGNALS)) expect({ name, n: n as number }).toEqual({ name, n: constants.signals[name as keyof typeof constants.signals] })
  })
})

describe('the exit-status label', () => {
  test('carries the raw wait status in decimal', () => {
    expect(exitStatusLabel(768)).toEqual({ key: EXIT_STATUS_LABEL, value: '768' })
    expect(EXIT_STATUS_LABEL).toBe('meso.io/exit-status')
    expect(waitStatusFromLabels({ labels: [{ key: 'other', value: '1' }, exitStatusLabel(9)] })).toBe(9)
  })

  test('absent or malformed reads as no exit status', () => {
    expect(waitStatusFromLabels(undefined)).toBeUndefined()
    expect(waitStatusFromLabels({})).toBeUndefined()
    expect(waitStatusFromLabels({ labels: [{ key: EXIT_STATUS_LABEL }] })).toBeUndefined()
    expect(waitStatusFromLabels({ labels: [{ key: EXIT_STATUS_LABEL, value: 'three' }] })).toBeUndefined()
    expect(waitStatusFromLabels({ labels: [{ key: EXIT_STATUS_LABEL, value: '-1' }] })).toBeUndefined()
  })
})
