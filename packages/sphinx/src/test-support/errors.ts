import { SphinxError } from '../errors.js';

/** The SphinxError code `fn` throws, or undefined if it returns; any other exception fails the test. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof SphinxError)) throw err;
    return err.code;
  }
}
