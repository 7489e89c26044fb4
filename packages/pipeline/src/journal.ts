import { OrelError } from '@orel/core';
import { mkdirSync, openSync, closeSync, readFileSync, renameSync, writeFileSync, writeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A journal records each unit of work that is done (a signature made, an
 * object uploaded), keyed by step and item, with a small value. A run killed
 * at any point resumes from it without redoing (or re-uploading) finished work.
 */
export interface Journal {
  get(step: string, key: string): unknown;
  isDone(step: string, key: string): boolean;
  record(step: string, key: string, value?: unknown): Promise<void>;
  /** Marks a whole step as finished. */
  stepDone(step: string): Promise<void>;
  isStepDone(step: string): boolean;
  entries(step: string): Record<string, unknown>;
  close?(): Promise<void>;
}

type Steps = Record<string, { done?: boolean; items: Map<string, unknown> }>;

/** One line of the journal file. */
type Line = { s: string; k: string; v: unknown } | { s: string; done: true };

/** The in-memory half shared by both journals. */
class JournalState {
  protected steps: Steps = {};

  protected step(step: string) {
    return (this.steps[step] ??= { items: new Map() });
  }
  get(step: string, key: string): unknown {
    return this.steps[step]?.items.get(key);
  }
  isDone(step: string, key: string): boolean {
    return this.steps[step]?.items.get(key) !== undefined;
  }
  entries(step: string): Record<string, unknown> {
    return Object.fromEntries(this.steps[step]?.items ?? []);
  }
  isStepDone(step: string): boolean {
    return this.steps[step]?.done === true;
  }
  protected apply(line: Line): void {
    if ('done' in line) this.step(line.s).done = true;
    else this.step(line.s).items.set(line.k, line.v);
  }
  protected lines(): Line[] {
    const out: Line[] = [];
    for (const [s, st] of Object.entries(this.steps)) {
      for (const [k, v] of st.items) out.push({ s, k, v });
      if (st.done) out.push({ s, done: true });
    }
    return out;
  }
}

/**
 * Append-only journal (`journal.jsonl`): one JSON line per record, so the cost
 * of a record is constant whatever the size of the release. A run killed
 * mid-write leaves at most a torn last line, which is ignored; any other
 * unreadable line is an error naming the file and line. Opening compacts the
 * file when superseded lines outnumber live ones.
 */
export class FileJournal extends JournalState implements Journal {
  private fd: number | undefined;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Records this process appended (0: the run recorded no work). */
  appended = 0;

  private constructor(readonly file: string) {
    super();
  }

  static async open(file: string): Promise<FileJournal> {
    const j = new FileJournal(file);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (e: any) {
      if (e?.code !== 'ENOENT') throw new OrelError('INTEGRITY', `cannot read journal ${file}: ${e?.message ?? e}`, { hint: journalHint(file) });
    }
    const raw = text.split('\n');
    const torn = !text.endsWith('\n') && raw[raw.length - 1] !== '';
    let count = 0;
    raw.forEach((l, i) => {
      if (l === '') return;
      try {
        const line = JSON.parse(l) as Line;
        if (typeof line?.s !== 'string' || (!('done' in line) && typeof (line as { k?: unknown }).k !== 'string')) throw new Error('not a journal record');
        j.apply(line);
        count++;
      } catch (e) {
        // A torn last line is a write cut short by a crash: that record never completed.
        if (torn && i === raw.length - 1) return;
        throw new OrelError('INTEGRITY', `journal ${file} line ${i + 1} is damaged: ${(e as Error).message}`, { hint: journalHint(file) });
      }
    });
    mkdirSync(dirname(file), { recursive: true });
    const live = j.lines();
    if (torn || count > 2 * live.length + 64) {
      // Compact: write the live records to a temp file and rename it into place.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, live.map((l) => JSON.stringify(l) + '\n').join(''));
      renameSync(tmp, file);
    }
    j.fd = openSync(file, 'a');
    return j;
  }

  record(step: string, key: string, value: unknown = true): Promise<void> {
    const line: Line = { s: step, k: key, v: value };
    this.apply(line);
    return this.append(line);
  }

  stepDone(step: string): Promise<void> {
    const line: Line = { s: step, done: true };
    this.apply(line);
    return this.append(line);
  }

  /** Group commit: records arriving during a write go out together in the next one. */
  private append(line: Line): Promise<void> {
    if (this.fd === undefined) return Promise.reject(new OrelError('INTERNAL', `journal ${this.file} is closed`));
    this.pending.push(JSON.stringify(line) + '\n');
    this.appended++;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= Promise.resolve().then(() => this.drain());
    return done;
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const chunk = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        writeSync(this.fd!, chunk);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    if (this.fd !== undefined) {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
  }
}

function journalHint(file: string): string {
  return `move ${file} aside to start this build over (objects already published are then checked, not re-written), or use a new --build-id`;
}

/** In-memory journal (plan show, tests, verify-only runs). */
export class MemoryJournal extends JournalState implements Journal {
  async record(step: string, key: string, value: unknown = true): Promise<void> {
    this.apply({ s: step, k: key, v: value });
  }
  async stepDone(step: string): Promise<void> {
    this.apply({ s: step, done: true });
  }
}
