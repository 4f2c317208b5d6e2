#!/usr/bin/env node
/** The `mixnet` command line (ARCHITECTURE.md): one entry point for every tool and process. */
import { exitCodeOf, messageOf } from './output.js';
import { createProgram } from './program.js';

function fail(err: unknown): never {
  const code = exitCodeOf(err);
  // commander has already printed its own message (and the help) for usage errors.
  const message = messageOf(err);
  if (message !== undefined) process.stderr.write(`mixnet: ${message}\n`);
  process.exit(code);
}

createProgram().parseAsync(process.argv).catch(fail);
