/** Where simulated traces go: memory (tests), one file per node in a folder, or one single file (§1). */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileSource, memorySource, type TraceSource } from './trace-reader.js';

/** Receives trace lines per writing node ('meta' for the header). */
export interface TraceSink {
  write(node: string, line: string): void;
  close(): void;
  /** The trace as analyzer inputs. */
  sources(): TraceSource[];
}

/** Keeps every node's lines in memory. */
export class MemorySink implements TraceSink {
  readonly files = new Map<string, string[]>();

  write(node: string, line: string): void {
    let lines = this.files.get(node);
    if (!lines) {
      lines = [];
      this.files.set(node, lines);
    }
    lines.push(line);
  }

  close(): void {}

  sources(): TraceSource[] {
    return [...this.files].map(([node, lines]) => memorySource(`${node}.jsonl`, lines));
  }
}

const FLUSH = 1 << 20;

class BufferedFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(line: string): void {
    this.parts.push(line);
    this.size += line.length + 1;
    if (this.size >= FLUSH) this.flush();
  }
  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, `${this.parts.join('\n')}\n`);
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** One `<node>.jsonl` per node plus `meta.jsonl`, in `dir` (created if needed). */
export class FolderSink implements TraceSink {
  private readonly files = new Map<string, BufferedFile>();
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  write(node: string, line: string): void {
    let f = this.files.get(node);
    if (!f) {
      f = new BufferedFile(join(this.dir, `${node}.jsonl`));
      this.files.set(node, f);
    }
    f.write(line);
  }
  close(): void {
    for (const f of this.files.values()) f.close();
  }
  sources(): TraceSource[] {
    return [...this.files.values()].map((f) => fileSource(f.path));
  }
}

/** Every line in one file, header first, in the order written. */
export class SingleFileSink implements TraceSink {
  private readonly file: BufferedFile;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = new BufferedFile(path);
  }
  write(_node: string, line: string): void {
    this.file.write(line);
  }
  close(): void {
    this.file.close();
  }
  sources(): TraceSource[] {
    return [fileSource(this.file.path)];
  }
}
