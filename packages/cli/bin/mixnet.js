#!/usr/bin/env node
// The package's bin: exists before the build, so installing the workspace links it without warnings.
await import('../dist/main.js');
