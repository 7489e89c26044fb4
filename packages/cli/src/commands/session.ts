// Every command that works on a plan opens a session the same way: open,
// run, print an error as the user should see it, and always close (sandbox
// servers, HSM sessions).
import type { Reporter } from '@orel/core';
import { openSession, type GlobalOptions, type Session } from '../compose.js';
import { printError } from '../output.js';

export async function inSession(
  opts: GlobalOptions,
  how: { reporter: Reporter; stage: string; withSigner?: boolean; writes?: boolean },
  body: (s: Session) => Promise<number>,
  onError?: (e: unknown, s: Session | undefined) => void,
): Promise<number> {
  let session: Session | undefined;
  try {
    session = await openSession(opts, how.reporter, how.stage, how.withSigner ?? true, how.writes ?? false);
    return await body(session);
  } catch (e) {
    const code = printError(e);
    onError?.(e, session);
    return code;
  } finally {
    await session?.close();
  }
}
