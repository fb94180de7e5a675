import type { EntrypointName } from '@podstage/contract';
import { entrypointMain } from '@podstage/stage1-common';
import { stage1 } from '../index.js';

await entrypointMain(stage1, process.argv[2] as EntrypointName, process.argv.slice(3));
