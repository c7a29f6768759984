#!/usr/bin/env node
// The zonesim command. The compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`zonesim: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
