/** A page has no file system: a topology is given as an http(s) URL, a directory URL or an object. */
export function readTextFile(path: string | URL): Promise<string> {
  return Promise.reject(new Error(`cannot read ${String(path)} in a browser: give an http(s) URL or the object`));
}
