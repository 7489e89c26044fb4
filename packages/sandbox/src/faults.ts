// Fault injection for the sandbox's services: a plan per service says how the
// next requests fail. Pure state, no I/O, so it is easy to reason about.

export interface FaultPlan {
  /** Answer with this HTTP status (e.g. 503, 429)... */
  status?: number;
  /** ...for this many requests, then recover (default: every request). */
  times?: number;
  /** Retry-After header (seconds) sent with the fault status. */
  retryAfter?: number;
  /** The service is down: the connection is reset, every request, until the plan changes. */
  down?: boolean;
}

export type SigstoreService = 'fulcio' | 'rekor' | 'tsa';
export type Faults = Partial<Record<SigstoreService, FaultPlan>>;

export type FaultDecision = { kind: 'pass' } | { kind: 'reset' } | { kind: 'status'; status: number; retryAfter?: number };

/** Holds the live fault plans and decides, request by request, what happens. */
export class FaultState {
  private plans: Faults = {};
  private used: Partial<Record<SigstoreService, number>> = {};

  constructor(initial: Faults = {}) {
    this.set(initial);
  }

  /** Replaces the plans (counters restart). */
  set(faults: Faults): void {
    this.plans = { ...faults };
    this.used = {};
  }

  next(service: SigstoreService): FaultDecision {
    const plan = this.plans[service];
    if (!plan) return { kind: 'pass' };
    if (plan.down) return { kind: 'reset' };
    if (plan.status === undefined) return { kind: 'pass' };
    const used = this.used[service] ?? 0;
    if (plan.times !== undefined && used >= plan.times) return { kind: 'pass' };
    this.used[service] = used + 1;
    return { kind: 'status', status: plan.status, retryAfter: plan.retryAfter };
  }
}
