// Signatures checked by OpenSSL while the signed bytes stream by. Node's
// crypto cannot verify a signature over a precomputed digest, so checking a
// bundle against the recorded sha256 alone takes pure-JS ECDSA (@noble/curves,
// milliseconds each). Post-publish verification reads every published object
// anyway: signatures over an object are registered first, fed its bytes as
// they are hashed, and their verdicts are then looked up by the bundle and
// .sig checks (which fall back to the digest when there is none).
import { createVerify, type KeyObject, type Verify } from 'node:crypto';

interface Expected {
  signature: Buffer;
  key: KeyObject;
  verifier?: Verify;
  ok?: boolean;
}

export class StreamedSignatures {
  private readonly bySubject = new Map<string, Expected[]>();

  /** A SHA-256 signature by `key` over the bytes of `subject`, to check while they stream by. */
  expect(subject: string, signature: Buffer, key: KeyObject): void {
    const list = this.bySubject.get(subject) ?? [];
    if (!list.some((e) => e.signature.equals(signature) && e.key.equals(key))) list.push({ signature, key });
    this.bySubject.set(subject, list);
  }

  /** Sinks for one read of `subject` (a retried read starts them afresh); `settle` when it ended. */
  sinks(subject: string): { update(chunk: Buffer): void }[] {
    return (this.bySubject.get(subject) ?? []).map((e) => (e.verifier = createVerify('sha256')));
  }

  /** The read of `subject` completed with the expected digests: every verdict is known. */
  settle(subject: string): void {
    for (const e of this.bySubject.get(subject) ?? []) {
      if (!e.verifier) continue;
      try {
        e.ok = e.verifier.verify(e.key, e.signature);
      } catch {
        e.ok = undefined; // a key type or encoding OpenSSL would not take: the digest check decides
      }
      e.verifier = undefined;
    }
  }

  /** True / false once the bytes of `subject` were checked against this signature and key; undefined otherwise. */
  verdict(subject: string, key: KeyObject, signature: Buffer): boolean | undefined {
    return this.bySubject.get(subject)?.find((e) => e.signature.equals(signature) && e.key.equals(key))?.ok;
  }
}
