/**
 * Cold start to exit: `podstage run … -- /bin/true` per stage1, exactly as a
 * user types it, next to the raw isolators on the same root filesystem,
 * `node -e 0` (the floor of any Node program) and the peers.
 */
import { runCommand } from '../command.js';
import { baselineRootfs, type BenchContext, ociBundle } from '../context.js';
import { podRunArgv } from '../pods.js';
import type { ScenarioResult } from '../report.js';
import { type Plan, runScenario, type ScenarioInfo, type Variant } from '../run.js';
import { onPath } from '../targets.js';

export const INFO: ScenarioInfo = {
  id: 'cold-start',
  title: 'Cold start to exit',
  description: 'Wall time of a pod that runs /bin/true and exits, from the command to its exit: `podstage run` as a user types it, the raw isolators on the same root filesystem, and the peers.',
  metrics: [{ id: 'ms', label: 'start to exit', unit: 'ms', ratios: true }],
};

const timed = (id: string, label: string, kind: Variant['kind'], argv: (i: number) => string[], rawIsolator?: string): Variant => ({
  id, label, kind, ...(rawIsolator === undefined ? {} : { rawIsolator }), measure: async (i) => ({ values: { ms: await runCommand(argv(i)) } }),
});

export function plan(ctx: BenchContext): Plan {
  const variants: Variant[] = ctx.targets.map((t) => timed(t.id, t.label, 'podstage', () => podRunArgv(ctx, t, ['/bin/true']), t.rawIsolator));
  const skipped: Plan['skipped'] = [];
  variants.push(timed('node', 'node -e 0', 'baseline', () => [process.execPath, '-e', '0']));
  const root = baselineRootfs(ctx);
  variants.push(timed('chroot', 'unshare -m + chroot', 'baseline', () => ['unshare', '-m', '--propagation', 'private', 'chroot', root, '/bin/true']));
  if (onPath('systemd-nspawn')) {
    variants.push(timed('nspawn', 'systemd-nspawn', 'baseline', () => ['systemd-nspawn', '-q', '--register=no', '--keep-unit', '--console=pipe', '-D', root, '/bin/true']));
  } else skipped.push({ id: 'nspawn', reason: 'systemd-nspawn is not installed (apt-get install systemd-container)' });
  if (onPath('runc')) {
    const bundle = ociBundle(ctx, 'cold-start', ['/bin/true']);
    variants.push(timed('runc', 'runc run', 'baseline', (i) => ['runc', 'run', '-b', bundle, `podstage-bench-${process.pid}-${i}`]));
  } else skipped.push({ id: 'runc', reason: 'runc is not installed (apt-get install runc)' });
  if (ctx.targets.some((t) => t.id.startsWith('podstage-kvm'))) {
    for (const [kernel, argv] of Object.entries(ctx.kvm?.bareBoots ?? {})) {
      if (argv) variants.push(timed(`qemu-${kernel}`, `qemu boot to exit (${kernel} kernel)`, 'baseline', () => argv));
      else skipped.push({ id: `qemu-${kernel}`, reason: `the ${kernel} guest kernel is not built (scripts/setup.sh builds it)` });
    }
  }
  for (const p of ctx.peers) variants.push(timed(p.id, p.label, 'peer', (i) => p.runArgv(i, ['/bin/true'])));
  return { variants, skipped, notes: ctx.peers.flatMap((p) => p.notes) };
}

export const run = (ctx: BenchContext): Promise<ScenarioResult> => runScenario(INFO, plan(ctx), ctx.run);
