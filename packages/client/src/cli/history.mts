/**
 * `service-registry history <service> [<id>] [--since 1h] [--limit N]`: what happened to a service or one of its
 * instances and who did it, newest first (`GET /v1/services/{service}/history`, through the SDK's `historyPages`).
 */
import type { Command } from 'commander';
import { historyQuery, type HistoryEntry } from '@service-registry/contracts';
import { checkInstanceId, checkService } from '../client.js';
import { colors, outputWidth, table, type Colors } from './output.mjs';
import { integer } from './instances.mjs';
import { clientFrom, globals, UsageError, type Io } from './shared.mjs';

/** Adds `history` to `program`. */
export function addHistoryCommand(program: Command, io: Io): void {
  program
    .command('history')
    .description("a service's change history, newest first: what changed, and who changed it")
    .argument('<service>')
    .argument('[id]', 'only this instance')
    .option('--since <when>', 'only changes since then: a duration back from now (30m, 1h, 7d) or an ISO 8601 time')
    .option('--limit <n>', 'at most this many changes (1-10000)', integer('the limit', 1, 10_000), 100)
    .action(async (service: string, id: string | undefined, options: { since?: string; limit: number }, command: Command) => {
      const global = globals(command);
      checkService(service);
      if (id !== undefined) checkInstanceId(id);
      // The registry's own schema for `since`: a value it would refuse is a usage error, and nothing is sent.
      const since = historyQuery.shape.since.safeParse(options.since);
      if (!since.success) throw new UsageError(`--since '${options.since}': ${since.error.issues[0]?.message ?? 'invalid'}`);
      const entries: HistoryEntry[] = [];
      const pages = clientFrom(global).historyPages(service, {
        ...(id !== undefined && { instanceId: id }),
        ...(options.since !== undefined && { since: options.since }),
        limit: Math.min(options.limit, 1000),
      });
      for await (const page of pages) {
        entries.push(...page.entries);
        if (entries.length >= options.limit) break;
      }
      entries.splice(options.limit);
      if (global.json) return io.out(JSON.stringify({ service, entries }));
      if (entries.length === 0)
        return io.out(`no changes of ${id === undefined ? service : `${service}/${id}`}${options.since ? ` since ${options.since}` : ''}`);
      const c = colors();
      io.out(
        table(
          ['TIME', 'CHANGE', 'INSTANCE', 'REVISION', 'WHAT', 'BY'],
          entries.map((e) => row(e, c)),
          outputWidth(),
          c,
        ),
      );
    });
}

function row(e: HistoryEntry, c: Colors): string[] {
  const paint =
    e.detailType === 'Instance Registered' ? c.green : e.detailType === 'Instance Deregistered' || e.detailType === 'Instance Expired' ? c.red : c.cyan;
  const what = [e.reason, ...e.changed].join(' ');
  return [e.time, paint(e.detailType.replace(/^Instance /, '').toLowerCase()), e.instanceId, String(e.revision), what, e.principal];
}
