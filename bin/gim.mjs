#!/usr/bin/env node
// The `gim` executable: the bundled CLI (built by `npm run build`, also on install via prepare).
import "../dist/cli.js";
