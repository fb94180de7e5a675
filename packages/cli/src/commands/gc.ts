import type { Command } from '../cli/command.js';
import { dataDir, openStore, parseDuration } from '../cli/context.js';
import { gcPods } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'gc',
  summary: 'Collect exited, aborted and expired pods (exited pods are marked, then removed once the grace period has passed), and what crashed image imports left in the store.',
  usage: 'gc [--grace-period=DURATION] [--expire-prepared=DURATION] [--mark-only]',
  options: {
    'grace-period': { type: 'string', valueName: 'DURATION', description: 'keep exited pods this long after marking them (default 0s: remove now)' },
    'expire-prepared': { type: 'string', valueName: 'DURATION', description: 'remove prepared pods older than this (default 24h)' },
    'mark-only': { type: 'boolean', description: 'only mark pods as garbage, remove nothing' },
  },
  async run({ global, values }) {
    const report = await gcPods(dataDir(global), STAGE1S, {
      gracePeriodS: parseDuration('--grace-period', (values['grace-period'] as string | undefined) ?? '0s'),
      expirePreparedS: parseDuration('--expire-prepared', (values['expire-prepared'] as string | undefined) ?? '24h'),
      markOnly: values['mark-only'] === true,
    });
    for (const uuid of report.marked) process.stdout.write(`marked ${uuid}\n`);
    for (const uuid of report.removed) process.stdout.write(`removed ${uuid}\n`);
    for (const f of report.failed) process.stderr.write(`podstage gc: pod ${f.uuid}: ${f.error}\n`);
    if (values['mark-only'] !== true) {
      const store = await (await openStore(global)).gcOrphans();
      const n = store.tempEntries + store.trees + store.blobs;
      if (n > 0) process.stdout.write(`image store: removed ${store.tempEntries} temporary entries, ${store.trees} orphaned trees, ${store.blobs} unreferenced blobs\n`);
    }
    return report.failed.length === 0 ? 0 : 1;
  },
};
