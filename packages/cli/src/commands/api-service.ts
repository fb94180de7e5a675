import { expandInsecureOptions } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir, dataDir, openStore } from '../cli/context.js';

export const DEFAULT_API_SOCKET = 'unix:///run/podstage/api.sock';

export const command: Command = {
  name: 'api-service',
  summary: "Serve rkt's read-only API (v1alpha PublicAPI: pods, images, events, logs) until SIGTERM or SIGINT.",
  usage: 'api-service [--listen=ADDRESS]',
  options: {
    listen: { type: 'string', valueName: 'ADDRESS', description: `unix:///PATH or HOST:PORT (rkt's was localhost:15441; default ${DEFAULT_API_SOCKET})` },
  },
  async run({ global, values }) {
    const { createApiServer } = await import('@podstage/api-service');
    const { serveUntilSignal } = await import('@podstage/grpc');
    const address = (values.listen as string | undefined) ?? DEFAULT_API_SOCKET;
    const server = createApiServer({
      dataDir: dataDir(global), configDir: configDir(global), store: await openStore(global), insecureOptions: [...expandInsecureOptions(global.insecureOptions)], pollMs: 250,
    });
    await serveUntilSignal(server, address, 'podstage api-service (v1alpha)');
    return 0;
  },
};
