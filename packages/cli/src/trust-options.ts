// How the CLI reads Sigstore trust: TUF options from the environment
// (OREL_OFFLINE=1: never refresh, use the cache or the embedded seed;
// OREL_TUF_CACHE: the cache directory) and JSON files named in plans or flags.
import { readFile } from 'node:fs/promises';
import { OrelError } from '@orel/core';
import { defaultTufCache, type TufOptions } from '@orel/verify';

export function offlineFromEnv(): boolean {
  const v = process.env.OREL_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function tufOptions(offline = false): TufOptions {
  return { cacheDir: defaultTufCache(), offline: offline || offlineFromEnv() };
}

export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new OrelError('USAGE', `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OrelError('USAGE', `${what} ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
