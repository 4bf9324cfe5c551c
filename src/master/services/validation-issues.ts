// Marathon's validation failure (its Wix Accord violations as JSON): HTTP 422 with
// `{"message": "Object is not valid", "details": [{"path": "/cpus", "errors": ["got -1.0, expected 0.0 or more"]}]}`.

export interface Issue { path: string; errors: string[] }

export class ValidationError extends Error {
  constructor(readonly details: Issue[]) { super(`Object is not valid: ${details.map(d => `${d.path}: ${d.errors.join('; ')}`).join(', ')}`) }
  body() { return { message: 'Object is not valid', details: this.details } }
}
