#!/usr/bin/env node
// The `runwarden` executable: turn on Node's compile cache (later starts reuse compiled code),
// then load the CLI. Kept tiny so the cache covers everything that follows.
import module from 'node:module';

module.enableCompileCache?.();
await import('./main.ts');
