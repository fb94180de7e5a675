import { enableCompileCache } from 'node:module';

// Cache V8's compiled code between runs: start-up time is a feature.
enableCompileCache?.();
const { main } = await import('../main.js');
process.exitCode = await main(process.argv.slice(2));
