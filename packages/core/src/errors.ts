// Errors carry a stable code (tests assert it, the CLI maps it to an exit
// status) and a hint (what the user should do next).

export type ErrorCode =
  | 'PLAN_PARSE' // YAML syntax error
  | 'PLAN_INVALID' // schema violation, unknown key, bad value
  | 'PLAN_VARIABLE' // unresolved ${var} or ${env:NAME}
  | 'DISCOVERY_NO_MATCH' // a non-optional glob matched nothing
  | 'DISCOVERY_ESCAPE' // a path or symlink leaves the artifact root
  | 'DISCOVERY_DUPLICATE' // two artifacts share a destination name
  | 'KEY_INVALID' // unreadable key, wrong password, unsupported key type
  | 'SIGN_FAILED' // a signer or witness failed
  | 'SERVICE_UNAVAILABLE' // a remote service stayed down after retries
  | 'PUBLISH_CONFLICT' // destination holds different bytes (never overwritten)
  | 'PUBLISH_FAILED'
  | 'INTEGRITY' // bytes do not match the recorded digests
  | 'VERIFY_FAILED' // post-publish or end-user verification failed
  | 'POLICY' // identity policy missing or not met
  | 'LIMIT' // a target's hard limit (asset count, size) would be exceeded
  | 'SBOM_INVALID' // an SBOM to attest is not SPDX / CycloneDX JSON of a known version, or breaks its schema
  | 'USAGE' // bad command line
  | 'LOCKED' // another orel run holds the release's state directory
  | 'INTERNAL';

export class OrelError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /** Per-item failures (e.g. every artifact that failed verification). */
  readonly details?: string[];

  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OrelError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

export function isOrelError(e: unknown, code?: ErrorCode): e is OrelError {
  return e instanceof OrelError && (code === undefined || e.code === code);
}

/** Exit statuses by code: 2 for input problems, 3 for integrity/verification, 1 otherwise. */
export function exitStatusFor(e: unknown): number {
  if (!(e instanceof OrelError)) return 1;
  switch (e.code) {
    case 'USAGE':
    case 'PLAN_PARSE':
    case 'PLAN_INVALID':
    case 'PLAN_VARIABLE':
    case 'LIMIT':
      return 2;
    case 'INTEGRITY':
    case 'VERIFY_FAILED':
    case 'POLICY':
      return 3;
    case 'PUBLISH_CONFLICT':
      return 4;
    default:
      return 1;
  }
}
