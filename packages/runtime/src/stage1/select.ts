/**
 * Which stage1 a pod gets: --stage1-name/--stage1-path/--stage1-image, else the
 * pod annotation (podstage.io/stage1, rkt's stage1-name-override), else the
 * default. The choice is written into the pod as stage1.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { annotationValue, parseStage1Manifest, PodstageError, type Annotation, type Stage1Manifest } from '@podstage/contract';
import type { Stage1Registry } from './registry.js';

export const STAGE1_ANNOTATIONS = ['podstage.io/stage1', 'rkt.alpha.kubernetes.io/stage1-name-override'] as const;

export interface Stage1Choice {
  /** Built-in name, or undefined for a stage1 found by path. */
  builtin?: string;
  /** Directory holding stage1.json and the entrypoint executables. */
  path?: string;
  manifest: Stage1Manifest;
}

export interface Stage1Flags {
  name?: string | undefined;
  path?: string | undefined;
  image?: string | undefined;
}

export function readStage1Dir(dir: string, flag: string): Stage1Choice {
  const abs = resolve(dir);
  const file = join(abs, 'stage1.json');
  if (!existsSync(file)) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `${flag}: ${abs} is not a stage1 directory (no stage1.json)`, { hint: 'see packages/contract/ABI.md' });
  }
  return { path: abs, manifest: parseStage1Manifest(readFileSync(file, 'utf8'), file) };
}

async function builtin(stage1s: Stage1Registry, name: string, flag: string): Promise<Stage1Choice> {
  const load = stage1s.builtins[name];
  if (load === undefined) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `${flag}: no built-in stage1 named ${JSON.stringify(name)}`, {
      hint: `built-in stage1s: ${Object.keys(stage1s.builtins).join(', ')}; or give a stage1 directory`,
    });
  }
  return { builtin: name, manifest: (await load()).manifest };
}

/** A name, or a path when it looks like one (contains a slash). */
function byNameOrPath(stage1s: Stage1Registry, value: string, flag: string): Promise<Stage1Choice> {
  return value.includes('/') || isAbsolute(value) ? Promise.resolve(readStage1Dir(value, flag)) : builtin(stage1s, value, flag);
}

export function chooseStage1(stage1s: Stage1Registry, flags: Stage1Flags, annotations: Annotation[] = []): Promise<Stage1Choice> {
  const given = [flags.name && '--stage1-name', flags.path && '--stage1-path', flags.image && '--stage1-image'].filter(Boolean);
  if (given.length > 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `${given.join(' and ')} cannot be combined: choose one stage1`);
  if (flags.name) return builtin(stage1s, flags.name, '--stage1-name');
  if (flags.path) return Promise.resolve(readStage1Dir(flags.path, '--stage1-path'));
  if (flags.image) return byNameOrPath(stage1s, flags.image, '--stage1-image');
  for (const key of STAGE1_ANNOTATIONS) {
    const value = annotationValue(annotations, key);
    if (value !== undefined) return byNameOrPath(stage1s, value, `annotation ${key}`);
  }
  return builtin(stage1s, stage1s.defaultName, 'default stage1');
}
