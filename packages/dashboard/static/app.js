// The page: one EventSource on /events (a snapshot a second, the recent history first), drawn into
// the topology, the charts and the figures. No framework: a handful of elements updated in place.
import { createCharts } from './charts.js';
import { describeFault, renderTopology } from './topology.js';
import { setupTxPanel } from './tx-panel.js';

const $ = (id) => document.getElementById(id);
const rows = [];
const KEEP = 300;

const faultBands = () => {
  const bands = [];
  let start = null;
  for (const r of rows) {
    const on = r.nodes.some((n) => n.faults && n.faults.length > 0);
    if (on && start === null) start = r.at / 1000;
    if (!on && start !== null) {
      bands.push([start, r.at / 1000]);
      start = null;
    }
  }
  if (start !== null && rows.length) bands.push([start, rows.at(-1).at / 1000]);
  return bands;
};

const charts = createCharts(faultBands);
let scheduled = false;

function render() {
  scheduled = false;
  const s = rows.at(-1);
  if (!s) return;
  $('where').textContent =
    `${s.stateDir} · ${s.runtime ?? ''} · ${s.layers} layers · μ ${s.mu ?? '–'} ms${s.traced ? ' · traced' : ''}`;
  $('epoch').textContent = s.epoch ? `epoch ${s.epoch.epoch ?? '–'}` : 'no directory';
  $('countdown').dataset.nextAt = s.epoch?.nextEpochAt ?? '';
  $('directory-error').textContent = s.error ?? s.directoryError ?? '';
  renderTopology($('topology'), s);
  const totalIn = s.nodes.reduce((a, n) => a + (n.counters?.packetsIn ?? 0), 0);
  const totalOut = s.nodes.reduce((a, n) => a + (n.counters?.packetsOut ?? 0), 0);
  const drops = s.nodes.reduce((a, n) => a + Object.values(n.counters?.drops ?? {}).reduce((x, y) => x + y, 0), 0);
  const up = s.nodes.filter((n) => n.status !== 'down').length;
  $('totals').innerHTML =
    `<span>packets in <b id="total-in">${totalIn}</b></span><span>out <b id="total-out">${totalOut}</b></span><span>dropped <b id="total-drops">${drops}</b></span><span>nodes up <b>${up}/${s.nodes.length}</b></span>`;
  const c = s.clients;
  $('latency-now').innerHTML = c
    ? `<span>p50 <b id="p50">${c.latency.p50 === null ? '–' : c.latency.p50.toFixed(0)}</b> ms</span><span>p95 <b id="p95">${c.latency.p95 === null ? '–' : c.latency.p95.toFixed(0)}</b> ms</span><span>${c.latency.n} messages in ${c.windowMs / 1000} s</span>`
    : `<span class="muted">${s.clientsError ? `probe client: ${s.clientsError}` : 'no probe client (yet)'}</span>`;
  $('delivery').innerHTML = c
    ? `<span>sent <b id="sent">${c.sent}</b></span><span>delivered <b id="delivered">${c.delivered}</b></span><span>acked <b>${c.acked}</b></span><span>retransmissions <b id="retransmissions">${c.retransmissions}</b></span><span>lost <b>${c.lost}</b></span><span>failed <b>${c.failed}</b></span>`
    : '';
  const a = s.anonymity;
  $('anonymity-now').innerHTML = !s.traced
    ? '<span class="muted">trace mode is off: start the testnet with --trace DIR to measure it</span>'
    : a
      ? `<span>H_out <b id="h-out">${a.hOut === null ? '–' : a.hOut.toFixed(2)}</b> bits</span><span>degree d <b id="degree">${a.degree === null ? '–' : a.degree.toFixed(2)}</b></span><span>${a.targets} targets, ${a.senders} senders, last ${a.windowS} s</span>${a.error ? `<span class="muted">${a.error}</span>` : ''}`
      : '<span class="muted">analysing the first window…</span>';
  const faults = s.nodes.flatMap((n) => (n.faults ?? []).map((r) => `<li><b>${n.id}</b> ${describeFault(r)}</li>`));
  $('faults').innerHTML = faults.length ? faults.join('') : '<li class="muted">none reported</li>';
  charts.update(rows);
}

setInterval(() => {
  const at = Number($('countdown').dataset.nextAt);
  $('countdown').textContent = at
    ? `next epoch in ${Math.max(0, (at - Date.now()) / 1000).toFixed(1)} s`
    : 'next epoch –';
}, 200);

const events = new EventSource('/events');
events.onopen = () => {
  $('conn').dataset.state = 'live';
  $('conn').textContent = 'live';
};
events.onerror = () => {
  $('conn').dataset.state = 'lost';
  $('conn').textContent = 'reconnecting…';
};
events.onmessage = (e) => {
  const s = JSON.parse(e.data);
  if (rows.length && rows.at(-1).at >= s.at) return;
  rows.push(s);
  if (rows.length > KEEP) rows.shift();
  if (!scheduled) {
    scheduled = true;
    setTimeout(render, 30);
  }
};

setupTxPanel();
