#!/usr/bin/env node
// The `runwarden` executable (plain JS so it starts without type stripping): turn on Node's
// compile cache, then run the bundled CLI from dist/cli when it is built (npm test, npm pack),
// or the TypeScript source otherwise (a fresh clone before its first build: correct, slower).
import { existsSync } from 'node:fs';
import module from 'node:module';

module.enableCompileCache?.();
const bundled = new URL('../../dist/cli/main.js', import.meta.url);
await import(existsSync(bundled) ? bundled.href : './main.ts');
