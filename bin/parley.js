#!/usr/bin/env node
// The `parley` command. Runs the TypeScript sources through esbuild, file by file as they
// are imported (bin/ts-hooks.mjs), so a checkout works right after `npm install` with no
// separate build step.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
process.setSourceMapsEnabled(true);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
