// Test helper shared by the CLI's tests.

/** Captures what a function writes to stdout/stderr. */
export function capture(t: { mock: { method: (o: object, m: string, impl: (...a: any[]) => unknown) => unknown } }): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  // Only strings are ours: the test runner reports results through stdout as
  // binary chunks, which must pass through or results would go missing.
  for (const [stream, sink] of [[process.stdout, out], [process.stderr, err]] as const) {
    const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    t.mock.method(stream, 'write', (chunk: unknown, ...rest: unknown[]) => (typeof chunk === 'string' ? (sink.push(chunk), true) : original(chunk, ...rest)));
  }
  return { out, err };
}
