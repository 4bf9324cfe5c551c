// What meso reports as its version. The Mesos API version it speaks is what clients check (`version` fields and
// GET_VERSION); meso's own release is appended as build metadata.
import pjson from '../../package.json' with { type: 'json' }

export const MESOS_API_VERSION = '1.12.0'
export const VERSION = MESOS_API_VERSION
export const MESO_VERSION: string = pjson.version
export const BUILD_TIME = Date.parse('2026-11-23T00:00:00Z') / 1000

export function versionInfo() {
  return { version: VERSION, build_date: '2026-11-23 00:00:00', build_time: BUILD_TIME, build_user: 'meso', git_tag: `meso-${MESO_VERSION}` }
}
