#!/usr/bin/env node
// The package's bin: exists before the build, so installing the workspace links it without warnings.
const { main } = await import('../dist/run.js');
main();
