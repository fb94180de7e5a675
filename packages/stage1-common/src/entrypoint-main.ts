/**
 * The `main` of every stage1 entrypoint executable: parse the ABI command
 * line, call the same implementation stage0 calls in-process, map errors to
 * a one-line message and a non-zero exit.
 */
import {
  formatError, isPodstageError, parseAppArgs, parseAppUpdateArgs, parseEnterArgs, parseGcArgs, parseRunArgs, parseStopArgs, PodstageError,
  type EntrypointName, type Stage1Implementation,
} from '@podstage/contract';

export async function entrypointMain(impl: Stage1Implementation, entry: EntrypointName, argv = process.argv.slice(2)): Promise<void> {
  const unsupported = () => {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${impl.manifest.name} has no ${entry} entrypoint`);
  };
  try {
    switch (entry) {
      case 'run':
        await impl.run(parseRunArgs(argv));
        break;
      case 'gc':
        await impl.gc(parseGcArgs(argv));
        break;
      case 'stop':
        await (impl.stop ?? unsupported)(parseStopArgs(argv));
        break;
      case 'enter':
        process.exitCode = await (impl.enter ?? unsupported)(parseEnterArgs(argv));
        break;
      case 'app-add':
        await (impl.appAdd ?? unsupported)(parseAppArgs(entry, argv));
        break;
      case 'app-start':
        await (impl.appStart ?? unsupported)(parseAppArgs(entry, argv));
        break;
      case 'app-stop':
        await (impl.appStop ?? unsupported)(parseAppArgs(entry, argv));
        break;
      case 'app-rm':
        await (impl.appRm ?? unsupported)(parseAppArgs(entry, argv));
        break;
      case 'app-update':
        await (impl.appUpdate ?? unsupported)(parseAppUpdateArgs(argv));
        break;
      case 'app-stats':
        process.stdout.write(`${JSON.stringify(await (impl.appStats ?? unsupported)(parseAppArgs(entry, argv)))}\n`);
        break;
    }
  } catch (err) {
    const msg = isPodstageError(err) ? formatError(err) : String((err as Error)?.stack ?? err);
    process.stderr.write(`stage1 ${impl.manifest.name} ${entry}: ${msg}\n`);
    process.exitCode = 254;
  }
}
