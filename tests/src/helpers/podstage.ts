/** Running the real `podstage` binary against a private data directory. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Options, type Result } from 'execa';
import { type HostNetwork, restoreHostNetwork, snapshotHostNetwork } from './host-network.js';

export const REPO = resolve(new URL('../../..', import.meta.url).pathname);
export const PODSTAGE = join(REPO, 'bin/podstage');
export const DEFAULT_IMAGE_LAYOUT = join(REPO, 'build/default-image');
export const DEFAULT_IMAGE = 'podstage.io/default:latest';
export const STUB_STAGE1 = join(REPO, 'tests/fixtures/stub-stage1');

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('these tests run real pods: run them as root (scripts/test.sh)');
}

export function requireDefaultImage(): void {
  if (!existsSync(join(DEFAULT_IMAGE_LAYOUT, 'index.json'))) {
    throw new Error(`${DEFAULT_IMAGE_LAYOUT} is missing: run scripts/setup.sh (it builds the default image)`);
  }
}

export interface Sandbox {
  dir: string;
  run(args: string[], opts?: Options): Promise<Result>;
  /** Stops whatever pods a failed test left running, collects them, removes the directory. */
  cleanup(): Promise<void>;
}

// The default network's host state when the first open sandbox was made, put back when the last is cleaned up.
let openSandboxes = 0;
let hostNetwork: Promise<HostNetwork> | undefined;

/** A fresh data directory with the default image imported. */
export async function sandbox({ withImage = true } = {}): Promise<Sandbox> {
  requireRoot();
  if (openSandboxes++ === 0) hostNetwork = snapshotHostNetwork();
  const dir = mkdtempSync(join(tmpdir(), 'podstage-test-'));
  const sb: Sandbox = {
    dir,
    run: (args, opts = {}) => execa(PODSTAGE, ['--dir', dir, ...args], { reject: false, stdin: 'ignore', ...opts }) as Promise<Result>,
    cleanup: async () => {
      const list = await sb.run(['list', '--format=json']);
      const pods = list.exitCode === 0 ? (JSON.parse(String(list.stdout)) as { uuid: string; state: string }[]) : [];
      for (const p of pods.filter((x) => x.state === 'running')) await sb.run(['stop', '--force', p.uuid]);
      await sb.run(['gc']);
      rmSync(dir, { recursive: true, force: true });
      if (--openSandboxes === 0) await restoreHostNetwork(await hostNetwork!);
    },
  };
  if (withImage) {
    requireDefaultImage();
    const r = await sb.run(['fetch', `--name=${DEFAULT_IMAGE}`, `oci:${DEFAULT_IMAGE_LAYOUT}`]);
    if (r.exitCode !== 0) throw new Error(`importing the default image failed: ${String(r.stderr)}`);
  }
  return sb;
}

export const lines = (s: unknown) => String(s).split('\n').filter((l) => l !== '');
