#!/usr/bin/env node
// The installed binary runs the compiled CLI; `npm install` builds dist/ through the prepare script.
// Worker threads a command will ask for start first, to boot while the CLI loads.
import { startEarlyPool } from '../dist/src/cli/early-pool.js';

startEarlyPool(process.argv);
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv);
