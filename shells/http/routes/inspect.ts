// Inspection routes for the dashboard's state view: the statechart of the machine, and a run's
// lifecycle journal (every transition, for the replay).
import type { FastifyInstance } from 'fastify';
import { type JournalEntry, readRunJournal } from '../../api/journal.ts';
import type { AppContext } from '../context.ts';
import { runIdParams } from '../schemas.ts';
import { lifecycleStatechart } from '../statechart.ts';

/** Journal entries sent at most (the last ones); the reply says when it left some out. */
export const journalEntriesMax = 10_000;

/** Register GET /api/statechart and GET /api/runs/:id/journal. */
export function inspectRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/statechart', async () => lifecycleStatechart());

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/journal',
    { schema: { params: runIdParams } },
    async (request, reply) => {
      // In the run directory, or beside the history record once retention deleted the directory;
      // read confined to the workspace either way.
      const entries: JournalEntry[] = readRunJournal(ctx.ws.layout, request.params.id);
      if (entries.length > journalEntriesMax) {
        reply.header('X-Runwarden-Journal-Total', String(entries.length));
        return entries.slice(-journalEntriesMax);
      }
      return entries;
    },
  );
}
