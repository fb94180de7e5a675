import { expandInsecureOptions, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir, dataDir, openStore } from '../cli/context.js';
import { APP_OPTIONS, parsePodArgs } from '../cli/pod-args.js';
import { parsePullPolicy } from '@podstage/images';
import { findPod, addAppToPod, requireRunningSandbox, resolveImage, callApp, readPodStage1 } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'app add',
  summary: 'Add an app to a running sandbox (it is created, not started: see app start). Prints the app name.',
  usage: 'app add UUID IMAGE [APP FLAGS] [-- COMMAND [ARGS...]]',
  options: APP_OPTIONS,
  rawArgs: true,
  async run({ global, argv }) {
    const [uuid, ...rest] = argv;
    if (uuid === undefined || rest.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'app add needs a pod UUID and an image');
    const ref = findPod(dataDir(global), uuid);
    requireRunningSandbox(ref);
    const { request, flags } = parsePodArgs(rest);
    if (request.apps.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `app add takes exactly one image, got ${request.apps.length}`);
    const store = await openStore(global);
    const image = await resolveImage(store, request.apps[0]!.image, {
      pullPolicy: parsePullPolicy(flags['pull-policy'], 'new'),
      insecureOptions: expandInsecureOptions([...global.insecureOptions, ...((flags['insecure-options'] as string[] | undefined) ?? [])]),
      configDir: configDir(global),
      authFile: flags.authfile as string | undefined,
    });
    const app = await addAppToPod(ref, store, request, image);
    await callApp(STAGE1S, readPodStage1(ref.path), 'app-add', { uuid: ref.uuid, podDir: ref.path, app: app.name, force: false });
    process.stdout.write(`${app.name}\n`);
    return 0;
  },
};
