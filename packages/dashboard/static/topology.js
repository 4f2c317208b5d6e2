// The topology: one column per layer (then standby mixes and gateways), one box per node, coloured
// by status, with its rates, queue, score, drops by reason and faults. Boxes are kept and updated.

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));

function columnsOf(nodes) {
  const cols = new Map();
  const add = (key, title, n) => {
    if (!cols.has(key)) cols.set(key, { key, title, nodes: [] });
    cols.get(key).nodes.push(n);
  };
  for (const n of nodes) {
    if (n.role === 'gateway') continue;
    if (n.layer !== undefined && n.status !== 'standby') add(`L${n.layer}`, `layer ${n.layer}`, n);
    else add('standby', 'standby mixes', n);
  }
  const ordered = [...cols.values()].sort((a, b) => a.key.localeCompare(b.key));
  const gws = nodes.filter((n) => n.role === 'gateway');
  if (gws.length) ordered.push({ key: 'gateways', title: 'gateways', nodes: gws });
  return ordered;
}

function dropsText(drops) {
  const parts = Object.entries(drops ?? {})
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`);
  return parts.length ? `drops: ${parts.join(', ')}` : '';
}

function faultText(faults) {
  if (!faults || faults.length === 0) return '';
  return `faults: ${faults.map(describeFault).join('; ')}`;
}

export function describeFault(r) {
  const parts = [];
  if (r.partition) parts.push('partition');
  if (r.latencyMs) parts.push(`+${r.latencyMs} ms${r.jitterMs ? ` ±${r.jitterMs}` : ''}`);
  if (r.lossRate) parts.push(`loss ${(r.lossRate * 100).toFixed(0)}%`);
  if (r.corruptRate) parts.push(`corrupt ${(r.corruptRate * 100).toFixed(0)}%`);
  if (r.bandwidthBps) parts.push(`${r.bandwidthBps} B/s`);
  if (r.peers?.length) parts.push(`to ${r.peers.join(',')}`);
  if (r.direction && r.direction !== 'both') parts.push(r.direction);
  if (r.expiresAt) parts.push(`for ${Math.max(0, Math.round((r.expiresAt - Date.now()) / 1000))} s`);
  return parts.join(' ') || r.id || 'rule';
}

export function renderTopology(root, snapshot) {
  const cols = columnsOf(snapshot.nodes);
  const wanted = cols.map((c) => c.key).join('|');
  if (root.dataset.columns !== wanted) {
    root.replaceChildren();
    root.dataset.columns = wanted;
    for (const c of cols) {
      const col = document.createElement('div');
      col.className = 'layer';
      col.dataset.layer = c.key;
      const h = document.createElement('h3');
      h.textContent = c.title;
      col.append(h);
      root.append(col);
    }
  }
  for (const c of cols) {
    const col = root.querySelector(`[data-layer="${c.key}"]`);
    const keep = new Set(c.nodes.map((n) => n.id));
    for (const el of col.querySelectorAll('.node')) if (!keep.has(el.dataset.node)) el.remove();
    for (const n of c.nodes) {
      let el = col.querySelector(`[data-node="${n.id}"]`);
      if (!el) {
        el = document.createElement('div');
        el.className = 'node';
        el.dataset.node = n.id;
        el.innerHTML =
          '<span class="status"></span><div class="id"></div><div class="rates"></div><div class="queue"></div><div class="drops"></div><div class="fault"></div>';
        col.append(el);
      }
      el.dataset.status = n.status;
      el.querySelector('.status').textContent = n.status;
      el.querySelector('.id').textContent = n.id;
      el.querySelector('.rates').textContent = `in ${fmt(n.rates.inPerSec, 1)}/s · out ${fmt(n.rates.outPerSec, 1)}/s`;
      el.querySelector('.rates').dataset.in = String(n.counters?.packetsIn ?? 0);
      el.querySelector('.queue').textContent =
        `queue ${fmt(n.counters?.queue)} · score ${n.score === null ? '–' : fmt(n.score, 2)}`;
      el.querySelector('.drops').textContent = dropsText(n.counters?.drops);
      el.querySelector('.fault').textContent = faultText(n.faults);
    }
  }
}
