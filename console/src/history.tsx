/**
 * The history panel of a service's page: an instance's changes (or, with no instance chosen, the service's recent
 * changes) from `GET /v1/services/{service}/history`, newest first, with who made each one, "Load more" through the
 * cursor, and a refresh when a change event for what is shown arrives.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError, history } from './api.js';
import { coalesced } from './coalesced.js';
import { historyKey, systemPrincipal, withNewest, withOlder, type HistoryList } from './state.js';

/** Entries per page: a screenful; older ones come with "Load more". */
export const HISTORY_PAGE = 20;
/**
 * History is written by its own consumer of the table's stream, beside the publisher, so the change event can
 * reach this page before its history entry is readable: the refresh asks again until the entry is there, a few times.
 */
const SETTLE_TRIES = 10;
const SETTLE_MS = 500;

/** A change the page learnt of from the feed (`seq` tells two equal changes apart; no instance: read everything again). */
export interface ChangeSignal {
  readonly seq: number;
  readonly service?: string;
  readonly instanceId?: string;
  readonly revision?: number;
}

/**
 * The panel: `instanceId` chosen, that instance's history (it may be gone: its history stays readable); otherwise
 * the service's. `change` is the feed's last change, `onShowService` goes back to the service's recent changes.
 */
export function HistoryPanel({
  service,
  instanceId,
  change,
  onShowService,
}: {
  service: string;
  instanceId?: string;
  change?: ChangeSignal;
  onShowService(): void;
}) {
  const [loaded, setLoaded] = useState<HistoryList | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => void (alive.current = false);
  }, []);

  /** Changes the feed told of that the history did not have yet: instance → revision. */
  const wanted = useRef(new Map<string, number>());
  const tries = useRef(0);
  const retry = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(retry.current), []);

  /**
   * Reads the newest page and puts what is new on top of what is shown (older pages already loaded stay, and so
   * does their cursor). Calls while a read is in flight coalesce into one more read after it, so a burst of
   * events costs two requests. While a change the feed told of is not in the history yet, asks again shortly.
   */
  const refresh = useMemo(
    () =>
      coalesced(async () => {
        try {
          const page = await history(service, { limit: HISTORY_PAGE, ...(instanceId && { instanceId }) });
          if (!alive.current) return;
          setLoaded((held) => withNewest(held, page));
          setError(undefined);
          for (const [id, revision] of wanted.current) {
            if (page.entries.some((e) => e.instanceId === id && e.revision >= revision)) wanted.current.delete(id);
          }
        } catch (e) {
          if (alive.current) setError(describeError(e));
        }
        clearTimeout(retry.current);
        if (wanted.current.size > 0 && ++tries.current < SETTLE_TRIES) retry.current = setTimeout(() => alive.current && refresh(), SETTLE_MS);
        else {
          // Given up (or all arrived): a change beyond the newest page, or one the history never keeps.
          wanted.current.clear();
          tries.current = 0;
        }
      }),
    [],
  );

  // The first page, whenever what is shown changes (the component is keyed by service, instance and token).
  useEffect(() => refresh(), []);

  // A change event for what is shown (or a resync of this service): read the newest page again.
  const seen = useRef(change?.seq);
  useEffect(() => {
    if (!change || change.seq === seen.current) return;
    seen.current = change.seq;
    if (change.service !== undefined && change.service !== service) return;
    if (change.instanceId !== undefined && instanceId !== undefined && change.instanceId !== instanceId) return;
    if (change.instanceId !== undefined && change.revision !== undefined) {
      wanted.current.set(change.instanceId, Math.max(change.revision, wanted.current.get(change.instanceId) ?? 0));
      tries.current = 0;
    }
    refresh();
  }, [change]);

  const more = async () => {
    if (!loaded?.cursor) return;
    setBusy(true);
    try {
      const page = await history(service, { limit: HISTORY_PAGE, cursor: loaded.cursor, ...(instanceId && { instanceId }) });
      if (!alive.current) return;
      setLoaded((held) => withOlder(held, page));
      setError(undefined);
    } catch (e) {
      if (alive.current) setError(describeError(e));
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  return (
    <section aria-labelledby="history-title" class="history">
      <h2 id="history-title">{instanceId ? `History of ${instanceId}` : `Recent changes in ${service}`}</h2>
      {instanceId && (
        <p>
          <button type="button" onClick={onShowService}>
            All recent changes in {service}
          </button>
        </p>
      )}
      {error && (
        <div class="banner error" role="alert">
          History: {error}
        </div>
      )}
      {!loaded ? (
        !error && <p class="muted">Loading…</p>
      ) : loaded.entries.length === 0 ? (
        <p class="muted">No changes recorded.</p>
      ) : (
        <table class="history-entries">
          <caption>Newest first{instanceId ? '' : ' · choose History on an instance for its own'}</caption>
          <thead>
            <tr>
              {['Time', 'Change', 'Instance', 'Revision', 'Changed', 'Principal'].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {loaded.entries.map((e) => (
              <tr key={historyKey(e)}>
                <td class="mono" title={e.time}>
                  {new Date(e.time).toLocaleString()}
                </td>
                <td>
                  <span class="type">{e.detailType}</span> <span class="muted">{e.reason}</span>
                </td>
                <td>{e.instanceId}</td>
                <td class="num mono">{e.revision}</td>
                <td>{e.changed.length > 0 ? e.changed.join(', ') : '—'}</td>
                <td class="principal">
                  {systemPrincipal(e.principal) ? (
                    <>
                      <span class="system">{systemPrincipal(e.principal)}</span> <span class="muted mono">{e.principal}</span>
                    </>
                  ) : (
                    <span class="mono">{e.principal}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loaded?.cursor && (
        <p>
          <button type="button" disabled={busy} onClick={() => void more()}>
            {busy ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}
