/**
 * What an app asks of its stage1 beyond ABI 1, checked by stage0 before a pod
 * or an app is written: a stage1 of an older ABI would ignore it silently.
 */
import { appStdio, isInteractive, PodstageError, type RuntimeApp, type Stage1Manifest } from '@podstage/contract';

/** The first ABI whose stage1s give an app a stdin and a terminal to attach to. */
export const ATTACH_ABI = 6;

export function checkAppsForStage1(apps: readonly Pick<RuntimeApp, 'name' | 'annotations'>[], stage1: Stage1Manifest): void {
  for (const app of apps) {
    const stdio = appStdio(app.annotations, app.name);
    if (isInteractive(stdio) && stage1.abiVersion < ATTACH_ABI) {
      throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `app ${app.name}: stage1 ${stage1.name} (ABI ${stage1.abiVersion}) cannot give an app ${stdio.tty ? 'a terminal' : 'a stdin'} to attach to (ABI ${ATTACH_ABI})`, {
        hint: 'run the app without a terminal and stdin, or under a stage1 that has them',
      });
    }
  }
}
