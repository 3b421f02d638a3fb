// The /ui page: plain ES modules, uPlot for the chart. Every data call goes to the key-protected
// /v1 API; the key lives in sessionStorage (this tab only) and travels in the Authorization header,
// never in a URL.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';

const KEY = 'interest-stream.apiKey';
const STRATEGIES = ['ema', 'average', 'trend'];
const $ = (id) => document.getElementById(id);
let chart;
let currentUser;
let lastOps;

async function api(path) {
  const key = sessionStorage.getItem(KEY);
  const res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function showKeyState() {
  $('key-state').textContent = sessionStorage.getItem(KEY) ? 'key set for this tab' : 'no key';
}

/** Share of `category` among a window's nearest items (0 when absent). */
function shareOf(point, category) {
  return point.categories.find((c) => c.category === category)?.share ?? 0;
}

function drawChart(points) {
  const first = points[0]?.categories[0]?.category ?? '?';
  const last = points.at(-1)?.categories[0]?.category ?? '?';
  const data = [
    points.map((p) => p.takenAt / 1000),
    points.map((p) => p.drift),
    points.map((p) => shareOf(p, first)),
    points.map((p) => shareOf(p, last)),
  ];
  const opts = {
    width: Math.max(400, $('chart').clientWidth),
    height: 260,
    series: [
      {},
      { label: 'drift (1 − cos)', stroke: '#d9480f', width: 2, points: { show: true, size: 6 } },
      { label: `share: ${first} (first)`, stroke: '#1c7ed6', width: 2, points: { show: true, size: 5 } },
      { label: `share: ${last} (latest)`, stroke: '#2b8a3e', width: 2, points: { show: true, size: 5 } },
    ],
    axes: [{}, { label: 'drift / share' }],
    scales: { y: { range: [0, 1] } },
  };
  chart?.destroy();
  chart = new uPlot(opts, data, $('chart'));
  $('chart').dataset.points = String(points.length);
}

function drawWindows(points) {
  const body = $('windows').querySelector('tbody');
  body.replaceChildren(
    ...[...points].reverse().map((p) => {
      const row = el('tr');
      row.append(
        el('td', new Date(p.takenAt).toLocaleString()),
        el('td', String(p.eventCount)),
        el('td', p.drift === null ? '–' : p.drift.toFixed(3)),
        el('td', p.categories.slice(0, 3).map((c) => `${c.category} ${Math.round(c.share * 100)}%`).join(' · ')),
      );
      return row;
    }),
  );
}

function drawRecs(results) {
  $('recs').replaceChildren(
    ...results.map(({ strategy, body, error }) => {
      const col = el('div');
      col.dataset.strategy = strategy;
      col.append(el('h3', body?.fallback ? `${strategy} (answered by ${body.fallback})` : strategy));
      if (error) col.append(el('p', error, 'error'));
      const list = el('ol');
      for (const item of body?.items ?? []) {
        const li = el('li', `${item.payload?.title ?? item.id} `);
        li.append(el('small', `${item.payload?.category ?? ''} · score ${item.score.toFixed(3)}${item.explanation ? ` · ${typeof item.explanation === 'string' ? item.explanation : JSON.stringify(item.explanation)}` : ''}`));
        list.append(li);
      }
      col.append(list);
      return col;
    }),
  );
}

function drawActivity(interest) {
  const box = $('activity');
  box.replaceChildren(
    el('p', `${interest.eventCount} events folded; last at ${interest.updatedAt ? new Date(interest.updatedAt).toLocaleString() : '–'}`),
    el('p', `Recent views (newest first): ${[...interest.recentViews].reverse().join(', ') || 'none'}`),
    el('p', `Dislikes: ${interest.dislikedCount} · items seen: ${interest.seenCount}`),
  );
}

async function showUser(userId) {
  currentUser = userId;
  $('user-state').textContent = 'loading…';
  try {
    const [traj, interest, ...recs] = await Promise.all([
      api(`/v1/users/${encodeURIComponent(userId)}/trajectory`),
      api(`/v1/users/${encodeURIComponent(userId)}/interest`),
      ...STRATEGIES.map((s) =>
        api(`/v1/users/${encodeURIComponent(userId)}/recommendations?limit=10&strategy=${s}`).then(
          (body) => ({ strategy: s, body }),
          (e) => ({ strategy: s, error: e.message }),
        ),
      ),
    ]);
    if (userId !== currentUser) return;
    drawChart(traj.points);
    drawWindows(traj.points);
    drawRecs(recs);
    drawActivity(interest);
    $('user-state').textContent = `${traj.points.length} windows · generation ${traj.generation} · updated ${new Date().toLocaleTimeString()}`;
    $('user-state').className = 'muted';
  } catch (e) {
    $('user-state').textContent = e.message;
    $('user-state').className = 'error';
  }
}

async function refreshOps() {
  try {
    const s = await api('/v1/ops/summary');
    const rate = lastOps ? (s.events.folded - lastOps.events.folded) / Math.max(0.001, (s.at - lastOps.at) / 1000) : null;
    lastOps = s;
    $('ops-rate').textContent = rate === null ? '…' : rate.toFixed(1);
    $('ops-lag').textContent = String(s.lag.total);
    $('ops-freshness').textContent = s.freshnessP99Ms === null ? 'no ingest reporting' : `${s.freshnessP99Ms} ms`;
    const dlq = Object.entries(s.deadLetters);
    $('ops-dlq').textContent = dlq.length === 0 ? '0' : dlq.map(([reason, n]) => `${reason} ${n}`).join(', ');
    $('ops-note').textContent = `generation ${s.generation}, topic ${s.topic}: ${s.events.folded} of ${s.events.published} events folded`;
    $('ops-note').className = 'muted';
  } catch (e) {
    $('ops-note').textContent = e.message;
    $('ops-note').className = 'error';
  }
}

$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('api-key').value.trim();
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  $('api-key').value = '';
  showKeyState();
  void refreshOps();
  if (currentUser) void showUser(currentUser);
});
$('user-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void showUser($('user-id').value.trim());
});

showKeyState();
void refreshOps();
setInterval(() => void refreshOps(), 2000);
setInterval(() => currentUser && void showUser(currentUser), 5000);
