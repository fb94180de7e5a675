import { createRequire } from 'node:module';
import type { Rpc } from './types.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The runtime's name and version, and the CRI version it speaks. */
export const Version: Rpc = async () => ({ version: '0.1.0', runtime_name: 'podstage', runtime_version: version, runtime_api_version: 'v1' });
