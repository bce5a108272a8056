// `runwarden serve`: the HTTP API and the dashboard for a workspace, until Ctrl-C or SIGTERM.
// Loaded only when `serve` runs, so other commands never load Fastify. A token is always required
// unless `--no-token` is given on loopback: $RUNWARDEN_TOKEN, `--token`, or the workspace's token
// file (generated 0600 on the first serve).
import { RunwardenError } from '../../api/errors.ts';
import { ensureServeToken } from '../../api/serve-token.ts';
import { isLoopback } from '../../http/options.ts';
import { startServer } from '../../http/server.ts';
import { warn } from '../output.ts';

export interface ServeFlags {
  host?: string;
  port?: number;
  /** A string from `--token`, false from `--no-token`. */
  token?: string | false;
  allowHost?: string[];
}

/** The token to require and how to show the URL; null only for `--no-token` on loopback. */
function tokenOf(
  workspace: string,
  flags: ServeFlags,
  host: string,
): { token: string | null; shown: string } {
  if (flags.token === false) {
    if (!isLoopback(host)) {
      throw new RunwardenError(
        'RW_USAGE',
        `--no-token is allowed on loopback only, not on ${host}; drop --no-token`,
      );
    }
    warn('warning: --no-token: every local user can start and abort runs as you through this server');
    return { token: null, shown: '' };
  }
  if (flags.token !== undefined) {
    warn(
      'warning: --token is visible to every local user in ps; set RUNWARDEN_TOKEN or use the token file serve creates',
    );
    return { token: flags.token, shown: '#token=<your token>' };
  }
  const env = process.env.RUNWARDEN_TOKEN;
  if (env !== undefined && env !== '') return { token: env, shown: '#token=<$RUNWARDEN_TOKEN>' };
  const kept = ensureServeToken(workspace);
  if (kept.created) process.stdout.write(`runwarden: new token written to ${kept.path} (mode 0600)\n`);
  return { token: kept.token, shown: `#token=${kept.token}` };
}

/** Serve until a signal; returns 0 after a clean shutdown. */
export async function serveCommand(workspace: string, flags: ServeFlags): Promise<number> {
  const host = flags.host ?? '127.0.0.1';
  const { token, shown } = tokenOf(workspace, flags, host);
  const server = await startServer({
    workspace,
    host,
    ...(flags.port === undefined ? {} : { port: flags.port }),
    token,
    ...(flags.allowHost === undefined ? {} : { allowHosts: flags.allowHost }),
  });
  process.stdout.write(`runwarden: serving ${workspace} at ${server.url}${shown}\n`);
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
