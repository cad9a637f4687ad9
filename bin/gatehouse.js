#!/usr/bin/env node
// The `gatehouse` command. The code lives in dist/ (built by `npm ci` through the `prepare` script, or `npm run build`).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
