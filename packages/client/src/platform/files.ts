/** Reading a local file (a topology path) on Node; platform/files.browser.ts has none to read. */
import { readFile } from 'node:fs/promises';

export function readTextFile(path: string | URL): Promise<string> {
  return readFile(path, 'utf8');
}
