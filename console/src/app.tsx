/**
 * The console: the services list (`#/`), a service's instances (`#/services/<name>`), the live change feed, the
 * mass-failure guard's banner and the drain / undrain / deregister actions. Everything comes from the public API
 * (`api.ts`) and the event feed (`feed.ts`); tables update in place as events arrive.
 */
import type { EventEnvelope, InstanceEventDetail, InstanceRecord, ProtectionEventDetail, ResyncEventDetail, ServiceSummary } from '@service-registry/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { deregister, describeError, discoverAll, listServices, setStatus, storedToken, storeToken } from './api.js';
import { coalesced } from './coalesced.js';
import { followEvents, type FeedMessage } from './feed.js';
import { HistoryPanel, type ChangeSignal } from './history.js';
import { applyEvent, applySnapshot, emptyView, lagSummary, rows, SeenEvents, snapshotRequested, type ServiceView } from './state.js';

type Route = { readonly page: 'services' } | { readonly page: 'service'; readonly service: string };

function parseRoute(hash: string): Route {
  const match = /^#\/services\/([^/?#]+)$/.exec(hash);
  return match ? { page: 'service', service: decodeURIComponent(match[1]!) } : { page: 'services' };
}

/** How often what is shown is read again in full: lease times move with heartbeats, which publish no event. */
const REFRESH_MS = 5000;
/** Feed lines kept on screen, and lags the rolling figure is taken over. */
const FEED_LINES = 50;
const LAG_WINDOW = 200;

interface FeedLine {
  readonly key: number;
  readonly type: string;
  readonly time: string;
  readonly service?: string;
  readonly instanceId?: string;
  readonly revision?: number;
  readonly what?: string;
  readonly lagMs?: number;
}

/** An event as the bus delivers it: the one envelope declaration's fields the console reads. */
type BusEvent = Readonly<Pick<EventEnvelope, 'detail-type' | 'detail'>>;

const INSTANCE_EVENTS = new Set(['Instance Registered', 'Instance Updated', 'Instance Health Changed', 'Instance Deregistered', 'Instance Expired']);

export function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [token, setToken] = useState(storedToken);
  const [services, setServices] = useState<ServiceSummary[] | undefined>();
  const [view, setView] = useState<ServiceView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [feed, setFeed] = useState<{ live: boolean; message?: string }>({ live: false, message: 'connecting' });
  const [lines, setLines] = useState<FeedLine[]>([]);
  const [lags, setLags] = useState<number[]>([]);
  /** The guard's state per prober shard, as its events said (a service's shard is not known to the console). */
  const [shards, setShards] = useState<Record<number, ProtectionEventDetail>>({});
  /** The last change the feed told of, for the history panel to read again. */
  const [change, setChange] = useState<ChangeSignal | undefined>();

  const routeRef = useRef(route);
  routeRef.current = route;
  const lineKey = useRef(0);
  /** One line per change: a second copy of an event (same `eventId`) is not listed again. */
  const seen = useRef(new SeenEvents());

  /**
   * Reads what the current route shows. Calls while a read is in flight coalesce into one more read after it, so
   * a burst of events (a fleet registering) costs two requests, not one per event.
   */
  const reload = useMemo(
    () =>
      coalesced(async () => {
        const current = routeRef.current;
        try {
          if (current.page === 'services') setServices(await listServices());
          else {
            const { service } = current;
            setView((v) => snapshotRequested(v?.service === service ? v : emptyView(service)));
            const snapshot = await discoverAll(service);
            setView((v) => (v?.service === service ? applySnapshot(v, snapshot) : v));
          }
          setError(undefined);
        } catch (e) {
          setError(describeError(e));
        }
      }),
    [],
  );

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // What the page shows: loaded on a route or token change, and read again every few seconds.
  useEffect(() => {
    setNotice(undefined);
    reload();
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [route, token, reload]);

  const onMessage = useCallback(
    (message: FeedMessage) => {
      const received = Date.now();
      const key = ++lineKey.current;
      const line = (l: Omit<FeedLine, 'key'>) => setLines((all) => [{ key, ...l }, ...all].slice(0, FEED_LINES));
      if (message.event === 'resync') {
        // The bus lost track of what this tab missed (a restart, an overflowing buffer): read everything again.
        line({ type: 'Resync', time: new Date(received).toISOString(), what: 'the feed lost events; reloaded from discovery' });
        reload();
        setChange({ seq: key });
        return;
      }
      let event: BusEvent;
      try {
        event = JSON.parse(message.data) as BusEvent;
      } catch {
        return; // not an event of ours
      }
      const type = event['detail-type'];
      const eventId = event.detail?.eventId;
      if (typeof eventId === 'string' && !seen.current.first(eventId)) return;
      if (INSTANCE_EVENTS.has(type)) {
        const detail = event.detail as unknown as InstanceEventDetail;
        const lagMs = received - Date.parse(detail.time);
        setView((v) => (v ? applyEvent(v, detail) : v));
        setChange({ seq: key, service: detail.service, instanceId: detail.instanceId, revision: detail.revision });
        setLags((all) => [...all, lagMs].slice(-LAG_WINDOW));
        line({
          type,
          time: detail.time,
          service: detail.service,
          instanceId: detail.instanceId,
          revision: detail.revision,
          what: [detail.reason, ...detail.changed].join(' · '),
          lagMs,
        });
        // Counts on the services page change with instance events; the list is small and read in one request.
        if (routeRef.current.page === 'services') reload();
      } else if (type === 'Registry Protection Engaged' || type === 'Registry Protection Released') {
        const detail = event.detail as unknown as ProtectionEventDetail;
        setShards((all) => ({ ...all, [detail.shard ?? 0]: detail }));
        line({
          type,
          time: detail.time,
          what: `leases ${detail.expiredLeases}/${detail.leasedInstances} expired, probes ${detail.failedTargets}/${detail.probedTargets} failed`,
        });
        // Maybe another shard's guard: discovery says whether protection holds for the service shown.
        if (type === 'Registry Protection Released') reload();
      } else if (type === 'Registry Resync Required') {
        const detail = event.detail as unknown as ResyncEventDetail;
        line({ type, time: detail.time, what: `events of ${detail.services.join(', ')} may be late` });
        const current = routeRef.current;
        if (current.page === 'services' || detail.services.includes(current.service)) reload();
        if (current.page === 'service' && detail.services.includes(current.service)) setChange({ seq: key, service: current.service });
      }
    },
    [reload],
  );

  // One feed for the whole page, restarted with the token (a new token may read other services).
  useEffect(
    () =>
      followEvents({
        onOpen: (fresh) => {
          setFeed({ live: true });
          // Events before this connection are not replayed: what is shown may have missed some.
          if (fresh) reload();
        },
        onTrouble: (message) => setFeed({ live: false, message }),
        onMessage,
      }),
    [token, onMessage, reload],
  );

  const act = useCallback(
    async (label: string, action: () => Promise<InstanceRecord | void>) => {
      setNotice(undefined);
      try {
        const record = await action();
        // The answer is the instance after the change: show it now (by revision, so a newer event still wins).
        if (record)
          setView((v) =>
            v
              ? applyEvent(v, { service: record.service, instanceId: record.instanceId, revision: record.revision, instance: record } as InstanceEventDetail)
              : v,
          );
        else reload();
        setNotice(`${label}: done`);
        setError(undefined);
      } catch (e) {
        setError(`${label} failed: ${describeError(e)}`);
      }
    },
    [reload],
  );

  const engagedShards = Object.values(shards).filter((d) => d.engaged);
  const protection = route.page === 'service' && view?.service === route.service ? view.protection : undefined;
  const lag = lagSummary(lags);

  return (
    <>
      <header class="top">
        <h1>
          <a href="#/">Service registry</a>
        </h1>
        <TokenForm
          token={token}
          onChange={(value) => {
            storeToken(value);
            setToken(value);
          }}
        />
      </header>
      <main>
        {(protection || engagedShards.length > 0) && (
          <div class="banner protection" role="alert">
            <strong>Mass-failure protection is engaged.</strong>{' '}
            {protection ? (
              <>
                Since {new Date(protection.since).toLocaleTimeString()}
                {protection.provisional && ' (provisional: judged by the read, before the prober confirms)'}:{' '}
                {protection.leases && 'expired leases are kept and marked instead of removed. '}
                {protection.probes && 'Failed probes mark nothing critical. '}
              </>
            ) : (
              <>The registry judges that it, not the fleet, is the likelier fault: expired leases are kept (marked) and failed probes mark nothing critical. </>
            )}
            {engagedShards.map((d) => (
              <span key={d.shard ?? 0}>
                Prober{d.shard !== undefined && ` shard ${d.shard}`}: {d.expiredLeases} of {d.leasedInstances} leases expired, {d.failedTargets} of{' '}
                {d.probedTargets} probes failed.{' '}
              </span>
            ))}
          </div>
        )}
        {error && (
          <div class="banner error" role="alert">
            {error}
          </div>
        )}
        {notice && (
          <div class="banner notice" role="status">
            {notice}
          </div>
        )}
        {route.page === 'services' ? (
          <ServicesPage services={services} />
        ) : (
          <ServicePage
            key={route.service}
            service={route.service}
            view={view?.service === route.service ? view : undefined}
            act={act}
            change={change}
            token={token}
          />
        )}
        <FeedPanel lines={lines} feed={feed} lag={lag} />
      </main>
    </>
  );
}

function TokenForm({ token, onChange }: { token: string; onChange: (token: string) => void }) {
  const [value, setValue] = useState(token);
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        onChange(value.trim());
      }}
    >
      <label for="token">Bearer token</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        placeholder="not needed in open local mode"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Use token</button>
      <button
        type="button"
        disabled={!token}
        onClick={() => {
          setValue('');
          onChange('');
        }}
      >
        Forget token
      </button>
      <span class="muted">{token ? 'token in use (this tab only)' : 'no token'}</span>
    </form>
  );
}

function ServicesPage({ services }: { services: ServiceSummary[] | undefined }) {
  return (
    <section aria-labelledby="services-title">
      <h2 id="services-title">Services</h2>
      {services === undefined ? (
        <p class="muted">Loading…</p>
      ) : services.length === 0 ? (
        <p class="muted">No services registered yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col" class="num">
                Instances
              </th>
              <th scope="col" class="num">
                Healthy
              </th>
            </tr>
          </thead>
          <tbody>
            {services.map((s) => (
              <tr key={s.service}>
                <th scope="row">
                  <a href={`#/services/${encodeURIComponent(s.service)}`}>{s.service}</a>
                </th>
                <td class="num">{s.total}</td>
                <td class="num">
                  {s.healthy}
                  {s.healthy < s.total && <span class="warn"> ({s.total - s.healthy} not healthy)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type Act = (label: string, action: () => Promise<InstanceRecord | void>) => Promise<void>;

function ServicePage({
  service,
  view,
  act,
  change,
  token,
}: {
  service: string;
  view: ServiceView | undefined;
  act: Act;
  change: ChangeSignal | undefined;
  token: string;
}) {
  /** Whose history the panel shows: an instance's, or (undefined) the service's recent changes. */
  const [historyOf, setHistoryOf] = useState<string | undefined>();
  // Lease countdowns tick every second between refreshes (and count from the clock as it is when a row renders:
  // a record that arrives between ticks must not show more time left than its lease).
  const [tick, setNow] = useState(Date.now());
  const now = Math.max(tick, Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const list = view ? rows(view) : [];
  return (
    <>
      <section aria-labelledby="service-title">
        <p>
          <a href="#/">← All services</a>
        </p>
        <h2 id="service-title">{service}</h2>
        {!view?.loaded ? (
          <p class="muted">Loading…</p>
        ) : list.length === 0 ? (
          <p class="muted">No instances.</p>
        ) : (
          <table class="instances">
            <caption>
              {list.length} instance{list.length === 1 ? '' : 's'}, every status and health
            </caption>
            <thead>
              <tr>
                {['Instance', 'Address', 'Zone', 'Weight', 'Tags', 'Metadata', 'Status', 'Health', 'Lease left', 'Revision', 'Actions'].map((h) => (
                  <th scope="col" key={h}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <InstanceRow key={i.instanceId} instance={i} now={now} act={act} onHistory={() => setHistoryOf(i.instanceId)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {/* Keyed by what it shows and the token: another instance or another caller starts from the first page. */}
      <HistoryPanel
        key={`${historyOf ?? ''}\u0000${token}`}
        service={service}
        {...(historyOf && { instanceId: historyOf })}
        change={change}
        onShowService={() => setHistoryOf(undefined)}
      />
    </>
  );
}

function leaseLeft(instance: InstanceRecord, now: number): string {
  if (instance.leaseExpired) return 'expired (kept by the guard)';
  if (!instance.leaseExpiresAt) return 'probe-driven';
  return `${Math.max(0, Math.ceil((Date.parse(instance.leaseExpiresAt) - now) / 1000))} s`;
}

function InstanceRow({ instance: i, now, act, onHistory }: { instance: InstanceRecord; now: number; act: Act; onHistory(): void }) {
  const draining = i.status === 'DRAINING';
  return (
    <tr data-instance={i.instanceId}>
      <th scope="row">{i.instanceId}</th>
      <td class="mono">
        {i.address.includes(':') ? `[${i.address}]` : i.address}:{i.port}
        {i.protocol !== 'http' && <span class="muted"> {i.protocol}</span>}
      </td>
      <td class="zone">{i.zone ?? '—'}</td>
      <td class="num">{i.weight}</td>
      <td>{i.tags.length > 0 ? i.tags.join(', ') : '—'}</td>
      <td class="mono">
        {Object.keys(i.metadata).length > 0
          ? Object.entries(i.metadata)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : '—'}
      </td>
      <td class={draining ? 'status warn' : 'status ok'}>{i.status}</td>
      <td class={`health ${i.health}`}>{i.leaseExpired ? `${i.health} (lease expired)` : i.health}</td>
      <td class="num">{leaseLeft(i, now)}</td>
      <td class="num mono">{i.revision}</td>
      <td class="actions">
        <button type="button" aria-label={`History of ${i.instanceId}`} onClick={onHistory}>
          History
        </button>
        <button
          type="button"
          aria-label={`${draining ? 'Undrain' : 'Drain'} ${i.instanceId}`}
          onClick={() => void act(`${draining ? 'Undrain' : 'Drain'} ${i.instanceId}`, () => setStatus(i.service, i.instanceId, draining ? 'UP' : 'DRAINING'))}
        >
          {draining ? 'Undrain' : 'Drain'}
        </button>
        <button
          type="button"
          class="danger"
          aria-label={`Deregister ${i.instanceId}`}
          onClick={() => {
            if (confirm(`Deregister ${i.instanceId} from ${i.service}? It leaves discovery at once.`))
              void act(`Deregister ${i.instanceId}`, () => deregister(i.service, i.instanceId));
          }}
        >
          Deregister
        </button>
      </td>
    </tr>
  );
}

function FeedPanel({ lines, feed, lag }: { lines: FeedLine[]; feed: { live: boolean; message?: string }; lag: ReturnType<typeof lagSummary> }) {
  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">Live changes</h2>
      <p role="status" class={feed.live ? 'ok' : 'warn'}>
        Feed: {feed.live ? 'live' : `not connected (${feed.message ?? 'connecting'})`}
        {lag && (
          <>
            {' '}
            · propagation lag (change → this page) p50 {lag.p50} ms, max {lag.max} ms over the last {lag.count} changes
          </>
        )}
      </p>
      {lines.length === 0 ? (
        <p class="muted">No changes since this page opened.</p>
      ) : (
        <table class="feed">
          <thead>
            <tr>
              {['Time', 'Change', 'Service', 'Instance', 'Revision', 'Detail', 'Lag'].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.key}>
                <td class="mono">{new Date(l.time).toLocaleTimeString()}</td>
                <td>{l.type}</td>
                <td>{l.service ?? '—'}</td>
                <td>{l.instanceId ?? '—'}</td>
                <td class="num mono">{l.revision ?? '—'}</td>
                <td>{l.what ?? ''}</td>
                <td class="num">{l.lagMs === undefined ? '—' : `${l.lagMs} ms`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
