// A step is small: a name, an optional skip(ctx) that returns a reason, and
// run(ctx). Logging, timing, journaling and retries wrap steps from outside.

export interface Step<C> {
  readonly name: string;
  /** Why this step does not apply here (undefined: it runs). */
  skip?(ctx: C): string | undefined | Promise<string | undefined>;
  /** Does the work; may return a short note for the report ("12 signed, 3 already done"). */
  run(ctx: C): Promise<string | void>;
}

export interface Stage<C> {
  readonly name: string;
  readonly steps: readonly Step<C>[];
}
