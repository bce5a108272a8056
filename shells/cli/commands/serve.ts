// `runwarden serve`: the HTTP API and the dashboard for a workspace, until Ctrl-C or SIGTERM.
// Loaded only when `serve` runs, so other commands never load Fastify.
import { startServer } from '../../http/server.ts';
import { warn } from '../output.ts';

export interface ServeFlags {
  host?: string;
  port?: number;
  token?: string;
  allowHost?: string[];
}

/** Serve until a signal; returns 0 after a clean shutdown. */
export async function serveCommand(workspace: string, flags: ServeFlags): Promise<number> {
  const token = flags.token ?? process.env.RUNWARDEN_TOKEN ?? null;
  const server = await startServer({
    workspace,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags.port === undefined ? {} : { port: flags.port }),
    token: token === '' ? null : token,
    ...(flags.allowHost === undefined ? {} : { allowHosts: flags.allowHost }),
  });
  const shown = token ? `${server.url}#token=<your token>` : server.url;
  process.stdout.write(`runwarden: serving ${workspace} at ${shown}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      warn(`${signal}: shutting down (runs keep running)`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await server.close();
  return 0;
}
