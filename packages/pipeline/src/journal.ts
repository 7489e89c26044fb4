import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A journal records each unit of work that is done (a signature made, an
 * object uploaded), keyed by step and item, with a small value. It is written
 * atomically after every change batch, so a run killed at any point resumes
 * without redoing (or re-uploading) finished work.
 */
export interface Journal {
  get(step: string, key: string): unknown;
  isDone(step: string, key: string): boolean;
  record(step: string, key: string, value?: unknown): Promise<void>;
  /** Marks a whole step as finished. */
  stepDone(step: string): Promise<void>;
  isStepDone(step: string): boolean;
  entries(step: string): Record<string, unknown>;
}

interface JournalData {
  version: 1;
  steps: Record<string, { done?: boolean; items: Record<string, unknown> }>;
}

export class FileJournal implements Journal {
  private data: JournalData = { version: 1, steps: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<FileJournal> {
    const j = new FileJournal(file);
    try {
      j.data = JSON.parse(await readFile(file, 'utf8')) as JournalData;
    } catch (e: any) {
      if (e?.code !== 'ENOENT') throw new Error(`cannot read journal ${file}: ${e?.message ?? e}`);
    }
    return j;
  }

  private step(step: string) {
    return (this.data.steps[step] ??= { items: {} });
  }

  get(step: string, key: string): unknown {
    return this.data.steps[step]?.items[key];
  }
  isDone(step: string, key: string): boolean {
    return this.data.steps[step]?.items[key] !== undefined;
  }
  entries(step: string): Record<string, unknown> {
    return { ...(this.data.steps[step]?.items ?? {}) };
  }
  isStepDone(step: string): boolean {
    return this.data.steps[step]?.done === true;
  }
  async record(step: string, key: string, value: unknown = true): Promise<void> {
    this.step(step).items[key] = value;
    await this.flush();
  }
  async stepDone(step: string): Promise<void> {
    this.step(step).done = true;
    await this.flush();
  }

  /** Serialised write-to-temp + rename: a crash leaves the old or the new file, never half of one. */
  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.data, null, 1));
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}

/** In-memory journal (plan show, tests, verify-only runs). */
export class MemoryJournal implements Journal {
  private steps: JournalData['steps'] = {};
  get(step: string, key: string): unknown {
    return this.steps[step]?.items[key];
  }
  isDone(step: string, key: string): boolean {
    return this.steps[step]?.items[key] !== undefined;
  }
  entries(step: string): Record<string, unknown> {
    return { ...(this.steps[step]?.items ?? {}) };
  }
  isStepDone(step: string): boolean {
    return this.steps[step]?.done === true;
  }
  async record(step: string, key: string, value: unknown = true): Promise<void> {
    (this.steps[step] ??= { items: {} }).items[key] = value;
  }
  async stepDone(step: string): Promise<void> {
    (this.steps[step] ??= { items: {} }).done = true;
  }
}
