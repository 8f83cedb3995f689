#!/usr/bin/env node
// The installed binary runs the bundled CLI (dist/bundle, from scripts/bundle.ts); `npm install`
// builds it through the prepare script.
import { main } from '../dist/bundle/lbsim.js';

process.exitCode = await main(process.argv);
