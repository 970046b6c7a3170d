// Wasmhose console: one plain script, no build step, no dependencies.
//
// Safety rule: everything that comes from the server (stream names, object
// keys, error messages, record text) reaches the page through textContent,
// text nodes or attribute values set with the DOM API, never as HTML. The
// page is served with a Content-Security-Policy that forbids inline script.
'use strict';

(function () {
  const API = '/console/api';
  const SVGNS = 'http://www.w3.org/2000/svg';
  const app = document.getElementById('app');
  const live = document.getElementById('live');

  // ---- DOM building -------------------------------------------------------

  // h creates an HTML element. attrs: plain attributes, "class", and on*
  // listeners. Children: nodes, or anything else as text.
  function h(tag, attrs, ...kids) {
    return build(document.createElement(tag), attrs, kids);
  }
  // s creates an SVG element the same way.
  function s(tag, attrs, ...kids) {
    return build(document.createElementNS(SVGNS, tag), attrs, kids);
  }
  function build(el, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function streamHref(name) { return '#/streams/' + encodeURIComponent(name); }

  // ---- Formatting ---------------------------------------------------------

  const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const nf3 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

  function int(n) { return nf0.format(n); }
  function compact(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return nf1.format(v / 1e9) + 'G';
    if (a >= 1e6) return nf1.format(v / 1e6) + 'M';
    if (a >= 1e4) return nf1.format(v / 1e3) + 'k';
    if (a >= 100) return nf0.format(v);
    if (a >= 10) return nf1.format(v);
    if (a >= 1 || a === 0) return nf2.format(v);
    return nf3.format(v);
  }
  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return nf1.format(n) + ' ' + units[i];
  }
  function secs(v) {
    if (v === 0) return '0 s';
    if (v < 1) return nf2.format(v) + ' s';
    if (v < 10) return nf1.format(v) + ' s';
    if (v < 90) return nf0.format(v) + ' s';
    if (v < 5400) return nf1.format(v / 60) + ' min';
    return nf1.format(v / 3600) + ' h';
  }
  function pct(v) { return v === null || v === undefined ? '—' : nf1.format(v * 100) + ' %'; }
  function pad(n) { return String(n).padStart(2, '0'); }
  function clock(ms, withSeconds = true) {
    const d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (withSeconds ? ':' + pad(d.getSeconds()) : '');
  }
  function dateTime(ms) {
    const d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(ms);
  }
  function ago(ms) {
    const v = Math.max(0, (Date.now() - ms) / 1000);
    if (v < 5) return 'just now';
    if (v < 60) return Math.floor(v) + ' s ago';
    if (v < 3600) return Math.floor(v / 60) + ' min ago';
    if (v < 86400) return Math.floor(v / 3600) + ' h ago';
    return Math.floor(v / 86400) + ' d ago';
  }
  // utf8Base64 encodes text as UTF-8, then base64 (the Firehose Data blob).
  function utf8Base64(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(bin);
  }

  // ---- Server access ------------------------------------------------------

  async function getJSON(path) {
    const r = await fetch(API + path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (_) { /* not JSON */ }
    if (!r.ok) {
      const err = new Error((body && body.error && body.error.message) || (r.status + ' ' + r.statusText));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function setLive(ok, err) {
    live.className = 'live ' + (ok ? 'ok' : 'down');
    live.textContent = ok ? 'Live · ' + clock(Date.now()) : 'Disconnected';
    live.title = ok ? '' : String((err && err.message) || err || '');
  }

  // every runs fn now and then every ms (slower while the tab is hidden);
  // refresh() runs it again at once. A run never overlaps another.
  function every(ms, fn) {
    let timer = 0, stopped = false, busy = false, again = false;
    async function tick() {
      if (stopped) return;
      if (busy) { again = true; return; }
      busy = true;
      clearTimeout(timer);
      try { await fn(); setLive(true); } catch (e) { if (!stopped) setLive(false, e); }
      busy = false;
      if (stopped) return;
      if (again) { again = false; tick(); return; }
      timer = setTimeout(tick, document.hidden ? ms * 5 : ms);
    }
    tick();
    return {
      stop() { stopped = true; clearTimeout(timer); },
      refresh() { tick(); },
    };
  }

  // ---- Small widgets ------------------------------------------------------

  const statusClass = { ACTIVE: 'ok', CREATING: 'info', DELETING: 'warn', CREATING_FAILED: 'bad', DELETING_FAILED: 'bad' };
  function pill(status) {
    return h('span', { class: 'pill ' + (statusClass[status] || 'info'), 'data-status': status }, status);
  }

  function destination(st) {
    let text = 's3://' + (st.bucket || st.bucketArn) + '/' + st.prefix;
    if (!st.prefix.includes('!{')) text += '…';
    return text;
  }

  function sparkline(values) {
    const W = 110, H = 26;
    const el = s('svg', { class: 'spark', viewBox: `0 0 ${W} ${H}`, 'aria-hidden': 'true' });
    el.append(s('line', { class: 'base', x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5 }));
    if (!values || values.length < 2) return el;
    const max = Math.max(...values) || 1;
    const step = W / (values.length - 1);
    const pts = values.map((v, i) => [i * step, H - 2 - (v / max) * (H - 5)]);
    const line = pts.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1)).join('');
    el.append(s('path', { class: 'area', d: line + `L${W} ${H}L0 ${H}Z` }));
    el.append(s('path', { class: 'line', d: line }));
    return el;
  }

  function emptyState(title, text, code) {
    return h('div', { class: 'empty-state' },
      h('div', { class: 'big' }, title),
      h('div', null, text),
      code ? h('pre', null, code) : null);
  }

  // niceStep rounds v up to 1, 2, 2.5 or 5 times a power of ten.
  function niceStep(v) {
    if (!(v > 0)) return 1;
    const e = Math.pow(10, Math.floor(Math.log10(v)));
    const f = v / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
  }

  // chart draws one series of points as an SVG line chart with a hover
  // read-out. def: key, title, fmt(value), color, max (fixed maximum).
  let chartSeq = 0;
  function chart(def) {
    const W = 520, H = 170, L = 46, R = 10, T = 10, B = 22;
    const gid = 'grad' + (++chartSeq);
    const value = h('span', { class: 'chart-value' }, '—');
    const sub = h('span', { class: 'chart-sub' }, '');
    const plot = s('svg', { class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': def.title });
    const el = h('section', { class: 'card chart', 'data-chart': def.key, 'data-points': 0 },
      h('header', null, h('h3', null, def.title), h('div', { class: 'chart-read' }, value, sub)),
      plot);
    let view = null; // what the last draw showed, for the hover read-out

    function showLatest() {
      if (!view || view.visible.length === 0) {
        value.textContent = '—';
        sub.textContent = view ? 'no samples yet' : '';
        return;
      }
      const withValue = view.visible.filter(p => p.v !== null);
      if (withValue.length === 0) {
        value.textContent = '—';
        sub.textContent = def.emptyText || 'no samples yet';
        return;
      }
      const last = withValue[withValue.length - 1];
      value.textContent = def.fmt(last.v);
      sub.textContent = (def.latestLabel || 'latest') + ' · ' + clock(last.t);
    }

    function draw(points, opts) {
      const now = opts.now;
      const first = points.length ? points[0].t : now;
      // The x axis covers the data held, from one minute (or 12 samples)
      // up to the whole window.
      const minSpan = Math.max(60e3, 12 * opts.intervalMs);
      const spanMs = Math.min(opts.windowMs, Math.max(minSpan, now - first + opts.intervalMs));
      const t0 = now - spanMs;
      const visible = points.filter(p => p.t >= t0).map(p => ({ t: p.t, v: p[def.key] === undefined ? null : p[def.key] }));
      const values = visible.map(p => p.v).filter(v => v !== null);
      // Four gridlines at round values; an all-zero series still gets a
      // scale (def.floor, default 1).
      const top = def.max || Math.max(...values, 0) || def.floor || 1;
      const step = def.max ? def.max / 4 : niceStep(top / 4);
      const ymax = def.max || step * Math.max(1, Math.ceil(top / step - 1e-9));
      const x = t => L + ((t - t0) / spanMs) * (W - L - R);
      const y = v => T + (1 - v / ymax) * (H - T - B);

      const kids = [];
      kids.push(s('defs', null, s('linearGradient', { id: gid, x1: 0, x2: 0, y1: 0, y2: 1 },
        s('stop', { offset: '0%', 'stop-color': def.color, 'stop-opacity': 0.22 }),
        s('stop', { offset: '100%', 'stop-color': def.color, 'stop-opacity': 0.01 }))));
      for (let v = 0; v <= ymax + step / 2; v += step) {
        const yy = Math.round(y(v)) + 0.5;
        kids.push(s('line', { class: 'gridline', x1: L, x2: W - R, y1: yy, y2: yy }));
        kids.push(s('text', { class: 'axis', x: L - 8, y: yy + 3.5, 'text-anchor': 'end' }, def.axis ? def.axis(v) : def.fmt(v)));
      }
      const ticks = [[t0, 'start'], [t0 + spanMs / 2, 'middle'], [now, 'end']];
      for (const [t, anchor] of ticks) {
        kids.push(s('text', { class: 'axis', x: x(t), y: H - 5, 'text-anchor': anchor }, clock(t, spanMs < 10 * 60e3)));
      }
      // Segments: missing samples (a gap of more than 2.5 intervals) break
      // the line; so does a null value, unless def.connectNulls (a ratio with
      // nothing to measure in some intervals).
      const segs = [];
      let cur = [];
      let prevT = null;
      for (const p of visible) {
        const gap = prevT !== null && p.t - prevT > 2.5 * opts.intervalMs;
        if (gap || (p.v === null && !def.connectNulls)) {
          if (cur.length) segs.push(cur);
          cur = [];
        }
        if (p.v !== null) cur.push(p);
        prevT = p.t;
      }
      if (cur.length) segs.push(cur);
      const base = y(0);
      for (const seg of segs) {
        const d = seg.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join('');
        if (seg.length > 1) {
          kids.push(s('path', { d: d + `L${x(seg[seg.length - 1].t).toFixed(1)} ${base}L${x(seg[0].t).toFixed(1)} ${base}Z`, fill: `url(#${gid})` }));
          kids.push(s('path', { class: 'line', d, stroke: def.color }));
        }
      }
      for (const seg of segs) {
        if (seg.length === 1) kids.push(s('circle', { cx: x(seg[0].t), cy: y(seg[0].v), r: 2.5, fill: def.color }));
      }
      const lastSeg = segs[segs.length - 1];
      if (lastSeg) {
        const p = lastSeg[lastSeg.length - 1];
        kids.push(s('circle', { class: 'dot', cx: x(p.t), cy: y(p.v), r: 3.5, fill: def.color }));
      }
      if (values.length === 0) {
        const msg = visible.length ? (def.emptyText || 'no data in this window') : 'collecting — a point every ' + secs(opts.intervalMs / 1000);
        kids.push(s('text', { class: 'empty', x: (L + W - R) / 2, y: (T + H - B) / 2 + 4, 'text-anchor': 'middle' }, msg));
      }
      const guide = s('line', { class: 'guide', y1: T, y2: H - B, visibility: 'hidden' });
      const marker = s('circle', { class: 'dot', r: 4, fill: def.color, visibility: 'hidden' });
      kids.push(guide, marker);
      plot.replaceChildren(...kids);
      view = { visible, x, y, t0, spanMs, guide, marker };
      el.setAttribute('data-points', String(values.length));
      el.setAttribute('data-last', values.length ? String(values[values.length - 1]) : '');
      showLatest();
    }

    plot.addEventListener('mousemove', ev => {
      if (!view || view.visible.length === 0) return;
      const r = plot.getBoundingClientRect();
      const sx = ((ev.clientX - r.left) / r.width) * W;
      const t = view.t0 + ((sx - L) / (W - L - R)) * view.spanMs;
      let best = view.visible[0];
      for (const p of view.visible) if (Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
      const px = view.x(best.t);
      view.guide.setAttribute('x1', px); view.guide.setAttribute('x2', px);
      view.guide.setAttribute('visibility', 'visible');
      if (best.v !== null) {
        view.marker.setAttribute('cx', px); view.marker.setAttribute('cy', view.y(best.v));
        view.marker.setAttribute('visibility', 'visible');
      } else {
        view.marker.setAttribute('visibility', 'hidden');
      }
      value.textContent = best.v === null ? '—' : def.fmt(best.v);
      sub.textContent = clock(best.t);
    });
    plot.addEventListener('mouseleave', () => {
      if (!view) return;
      view.guide.setAttribute('visibility', 'hidden');
      view.marker.setAttribute('visibility', 'hidden');
      showLatest();
    });
    return { el, draw };
  }

  // ---- Stream list --------------------------------------------------------

  function listPage() {
    const count = h('div', { class: 'sub' }, ' ');
    const tbody = h('tbody');
    const table = h('table', { class: 'grid streams' },
      h('thead', null, h('tr', null,
        h('th', null, 'Name'), h('th', null, 'Status'), h('th', null, 'Destination'),
        h('th', null, 'Compression'), h('th', null, 'Buffering'), h('th', { class: 'num' }, 'Version'),
        h('th', null, 'Incoming records/s'), h('th', { class: 'num' }, 'Records in'),
        h('th', { class: 'num' }, 'Delivered'), h('th', { class: 'num' }, 'Freshness'))),
      tbody);
    const card = h('section', { class: 'card flush', id: 'streams' }, table);
    const overview = overviewDefs.map(d => {
      const value = h('div', { class: 'value' }, '—');
      const hint = h('div', { class: 'hint' }, typeof d.hint === 'string' ? d.hint : '');
      return { d, value, hint, el: h('div', { class: 'card stat', 'data-stat': d.key }, h('div', { class: 'label' }, d.label), value, hint) };
    });
    const empty = h('section', { class: 'card', hidden: true }, emptyState(
      'No delivery streams yet',
      'Create one with any AWS SDK or the AWS CLI pointed at this service:',
      'aws firehose create-delivery-stream --endpoint-url ' + location.origin + ' \\\n' +
      '  --delivery-stream-name clicks \\\n' +
      '  --extended-s3-destination-configuration \\\n' +
      '  \'{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::analytics"}\''));
    app.append(
      h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Delivery streams'), count)),
      h('div', { class: 'stats overview' }, overview.map(x => x.el)),
      card, empty);

    return every(2000, async () => {
      const data = await getJSON('/streams');
      const n = data.streams.length;
      const active = data.streams.filter(x => x.status === 'ACTIVE').length;
      count.textContent = n === 0 ? 'Nothing to deliver yet.'
        : `${n} stream${n === 1 ? '' : 's'} · ${active} active · charts sampled every ${secs(data.interval)}`;
      card.hidden = n === 0;
      empty.hidden = n !== 0;
      tbody.replaceChildren(...data.streams.map(streamRow));
      for (const x of overview) {
        x.value.textContent = x.d.value(data.streams);
        if (typeof x.d.hint === 'function') x.hint.textContent = x.d.hint(data.streams);
      }
    });
  }

  const sum = (list, f) => list.reduce((a, st) => a + (f(st) || 0), 0);
  const overviewDefs = [
    { key: 'streams', label: 'Delivery streams', hint: l => int(l.filter(st => st.status === 'ACTIVE').length) + ' active', value: l => int(l.length) },
    { key: 'incomingRecords', label: 'Incoming records / s', hint: 'all streams, last sample', value: l => compact(sum(l, st => st.latest && st.latest.incomingRecords)) },
    { key: 'incomingBytes', label: 'Incoming bytes / s', hint: 'all streams, last sample', value: l => bytes(sum(l, st => st.latest && st.latest.incomingBytes)) },
    { key: 'deliveredRecords', label: 'Records delivered', hint: 'since the service started', value: l => int(sum(l, st => st.totals && st.totals.deliveredRecords)) },
    { key: 'bufferedRecords', label: 'Waiting for delivery', hint: 'records in the logs', value: l => int(sum(l, st => st.totals && st.totals.unackedRecords)) },
    { key: 'freshness', label: 'Worst data freshness', hint: 'oldest unstored record', value: l => secs(Math.max(0, ...l.map(st => (st.totals && st.totals.freshness) || 0))) },
  ];

  function streamRow(st) {
    const t = st.totals;
    const rate = st.latest ? compact(st.latest.incomingRecords) : '—';
    return h('tr', { 'data-stream': st.name },
      h('td', null, h('a', { class: 'stream-link', href: streamHref(st.name) }, st.name)),
      h('td', null, pill(st.status)),
      h('td', null, h('span', { class: 'dest' }, destination(st))),
      h('td', null, h('span', { class: 'badge' }, st.compression)),
      h('td', { class: 'nowrap' }, st.bufferSizeMB + ' MiB · ' + st.bufferIntervalSeconds + ' s'),
      h('td', { class: 'num' }, st.version),
      h('td', null, h('div', { class: 'spark-cell' }, sparkline(st.spark), h('span', { class: 'mono' }, rate))),
      h('td', { class: 'num' }, t ? int(t.incomingRecords) : '—'),
      h('td', { class: 'num' }, t ? int(t.deliveredRecords) : '—'),
      h('td', { class: 'num' }, t ? secs(t.freshness) : '—'));
  }

  // ---- One stream ---------------------------------------------------------

  const statDefs = [
    { key: 'incomingRecords', label: 'Incoming records', value: t => int(t.incomingRecords), hint: (t, p) => p ? compact(p.incomingRecords) + ' /s' : '' },
    { key: 'incomingBytes', label: 'Incoming bytes', value: t => bytes(t.incomingBytes), hint: (t, p) => p ? bytes(p.incomingBytes) + '/s' : '' },
    { key: 'deliveredRecords', label: 'Delivered records', value: t => int(t.deliveredRecords), hint: t => bytes(t.deliveredBytes) + ' raw' },
    { key: 'deliveredObjects', label: 'Objects', value: t => int(t.deliveredObjects), hint: (t, p, x) => x.lastObject ? 'last ' + ago(x.lastObject) : '' },
    { key: 'bufferedRecords', label: 'Buffered', value: t => int(t.bufferedRecords), hint: t => bytes(t.bufferedBytes) + ' · ' + int(t.unackedRecords) + ' in log' },
    { key: 'freshness', label: 'Data freshness', value: t => secs(t.freshness), hint: () => 'oldest unstored record', level: t => t.freshness > 900 ? 'warn' : '' },
    { key: 'failedStoreCalls', label: 'Failed store calls', value: t => int(t.failedStoreCalls), hint: () => 'retried with backoff', level: t => t.failedStoreCalls > 0 ? 'bad' : '' },
    { key: 'logDamagedRanges', label: 'Log damage', value: t => int(t.logDamagedRanges || 0), hint: t => t.logDamagedRanges > 0 ? bytes(t.logDamagedBytes) + ' quarantined · see errors' : 'none found at start', level: t => t.logDamagedRanges > 0 ? 'bad' : '' },
  ];

  const chartDefs = [
    { key: 'incomingRecords', title: 'Incoming records / s', fmt: compact, color: '#2563eb' },
    { key: 'incomingBytes', title: 'Incoming bytes / s', fmt: v => bytes(v), axis: v => bytes(v), color: '#7c3aed', floor: 1024 },
    { key: 'deliveredRecords', title: 'Delivered records / s', fmt: compact, color: '#059669' },
    { key: 'deliveredBytes', title: 'Delivered bytes / s', fmt: v => bytes(v), axis: v => bytes(v), color: '#db2777', floor: 1024 },
    { key: 'freshness', title: 'Data freshness (s)', fmt: secs, color: '#d97706' },
    { key: 'success', title: 'Delivery success', fmt: pct, axis: v => nf0.format(v * 100) + '%', color: '#0891b2', max: 1, emptyText: 'no deliveries in this window', latestLabel: 'last delivery', connectNulls: true },
    { key: 'pluginLatency', title: 'Plugin latency (ms / invocation)', fmt: v => nf1.format(v) + ' ms', color: '#65a30d', emptyText: 'no plugin invocations in this window', latestLabel: 'last invocation', connectNulls: true },
  ];

  function streamPage(name) {
    const base = '/streams/' + encodeURIComponent(name);
    const banner = h('div', { class: 'banner', hidden: true });
    const pillBox = h('span');
    const meta = h('div', { class: 'meta' });
    const stats = statDefs.map(d => {
      const value = h('div', { class: 'value' }, '—');
      const hint = h('div', { class: 'hint' });
      const el = h('div', { class: 'card stat', 'data-stat': d.key }, h('div', { class: 'label' }, d.label), value, hint);
      return { d, el, value, hint };
    });
    const charts = chartDefs.map(chart);
    const errorsBody = h('tbody');
    const errorsCount = h('span', { class: 'count' }, '0');
    const errorsEmpty = h('div', { class: 'quiet' }, 'No delivery errors. Failed object-store calls show up here with their Firehose error code.');
    const objectsBody = h('tbody');
    const moreBody = h('tbody', { class: 'more-rows' }); // pages that "More" added
    const objectsAside = h('span', { class: 'aside mono' });
    const objectsEmpty = h('div', { class: 'quiet' }, 'No objects yet.');
    const moreBtn = h('button', { type: 'button', class: 'btn', id: 'objects-more', hidden: true, onclick: () => loadMore() }, 'More');
    const moreNote = h('span', { class: 'small muted' });
    const config = h('div');

    app.append(
      banner,
      h('div', { class: 'page-head' }, h('div', null,
        h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Delivery streams'), ' / ', name),
        h('div', { class: 'title-row' }, h('h1', null, name), pillBox),
        meta)),
      h('div', { class: 'stats' }, stats.map(x => x.el)),
      h('div', { class: 'charts' }, charts.map(c => c.el)),
      h('div', { class: 'two' },
        sendForm(name, () => poll.refresh()),
        h('section', { class: 'card', id: 'errors' },
          h('header', null, h('h2', null, 'Recent errors', errorsCount), h('span', { class: 'aside' }, 'newest first')),
          h('div', { class: 'scroll' }, h('table', { class: 'grid' },
            h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Code'), h('th', null, 'Message'))),
            errorsBody)),
          errorsEmpty)),
      h('section', { class: 'card section', id: 'objects' },
        h('header', null, h('h2', null, 'Latest objects'), objectsAside),
        h('table', { class: 'grid' },
          h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', { class: 'num' }, 'Size'), h('th', { class: 'num' }, 'Stored'))),
          objectsBody, moreBody),
        objectsEmpty,
        h('div', { class: 'more' }, moreBtn, moreNote)),
      h('section', { class: 'card section', id: 'config' },
        h('header', null, h('h2', null, 'Configuration'), h('span', { class: 'aside' }, 'as DescribeDeliveryStream reports it')),
        config));

    let points = [];
    let lastT = 0;
    let shownVersion = null;
    let objectsSeen = -1;
    let objectsAt = 0;
    // The first page is the objects stored lately ("newest", from the
    // server's memory) or, when it has none, the listing's first page
    // ("key"). "More" pages through the listing from next (null: the end).
    let firstOrder = null;
    let moreNext = null;
    let lastSum = null;
    const extra = { lastObject: 0 }; // facts the stat hints use

    const poll = every(2000, async () => {
      let st, ser, errs;
      try {
        [st, ser, errs] = await Promise.all([
          getJSON(base), getJSON(base + '/series?since=' + lastT), getJSON(base + '/errors')]);
      } catch (e) {
        if (e.status === 404) {
          banner.hidden = false;
          banner.textContent = e.message;
          return;
        }
        throw e;
      }
      banner.hidden = true;
      const sum = st.summary;
      pillBox.replaceChildren(pill(sum.status));
      meta.replaceChildren(
        h('span', { class: 'mono' }, sum.arn),
        h('span', null, 'version ' + sum.version),
        h('span', null, 'created ' + dateTime(Date.parse(sum.created))),
        h('span', { class: 'mono' }, destination(sum)));
      renderStats(sum);
      renderSeries(ser);
      renderErrors(errs.errors);
      if (shownVersion !== st.description.VersionId) {
        shownVersion = st.description.VersionId;
        config.replaceChildren(...configView(st.description));
      }
      const objs = sum.totals ? sum.totals.deliveredObjects : -1;
      if (objs !== objectsSeen || Date.now() - objectsAt > 15000) {
        objectsAt = Date.now();
        try {
          renderObjects(await getJSON(base + '/objects?limit=10'), sum);
          objectsSeen = objs;
        } catch (e) {
          objectsBody.replaceChildren();
          objectsEmpty.hidden = false;
          objectsEmpty.textContent = 'Cannot list objects: ' + e.message;
        }
      }
    });

    function renderStats(sum) {
      const t = sum.totals;
      for (const x of stats) {
        x.value.textContent = t ? x.d.value(t) : '—';
        x.hint.textContent = t ? x.d.hint(t, sum.latest, extra) : sum.status.toLowerCase();
        x.el.className = 'card stat ' + (t && x.d.level ? x.d.level(t) : '');
      }
    }

    function renderSeries(ser) {
      if (ser.points.length) {
        points = points.concat(ser.points);
        lastT = points[points.length - 1].t;
      }
      const windowMs = ser.window * 1000;
      points = points.filter(p => p.t >= ser.now - windowMs);
      const opts = { now: ser.now, windowMs, intervalMs: ser.interval * 1000 };
      for (const c of charts) c.draw(points, opts);
    }

    function renderErrors(list) {
      errorsCount.textContent = String(list.length);
      errorsEmpty.hidden = list.length > 0;
      errorsBody.replaceChildren(...list.slice(0, 20).map(e => {
        const t = Date.parse(e.timestamp);
        return h('tr', null,
          h('td', { class: 'nowrap' }, clock(t), h('div', { class: 'small muted' }, ago(t))),
          h('td', null, h('span', { class: 'badge bad' }, e.errorCode)),
          h('td', null,
            h('div', { class: 'err-msg' }, e.message),
            e.objectKey ? h('div', { class: 'small muted err-key' }, 'key ', h('span', { class: 'key' }, e.objectKey)) : null,
            e.attempt ? h('div', { class: 'small muted' }, 'attempt ' + e.attempt) : null));
      }));
    }

    function renderObjects(data, sum) {
      lastSum = sum;
      const root = sum.prefix.split('!{')[0];
      objectsAside.textContent = data.order === 'newest'
        ? 'newest first · s3://' + data.bucket + '/'
        : 'by key · s3://' + data.bucket + '/' + root;
      objectsEmpty.hidden = data.objects.length > 0;
      // Only the newest-first page knows the latest object.
      const latest = data.order === 'newest' ? data.objects.find(o => !o.errorOutput) : null;
      extra.lastObject = latest ? Date.parse(latest.lastModified) : 0;
      objectsEmpty.textContent = data.next !== null && data.order === 'key'
        ? 'None of this stream\'s objects in the first keys of s3://' + data.bucket + '/' + root + ': More looks further.'
        : sum.bufferIntervalSeconds > 0
          ? `No objects yet: records are delivered when the buffer holds ${sum.bufferSizeMB} MiB or is ${sum.bufferIntervalSeconds} s old.`
          : 'No objects yet: records are delivered as soon as they arrive.';
      objectsBody.replaceChildren(...data.objects.map(objectRow));
      if (data.order !== firstOrder) {
        firstOrder = data.order;
        moreBody.replaceChildren();
        moreNote.textContent = '';
      }
      if (!moreBody.hasChildNodes()) moreNext = data.next;
      moreBtn.hidden = moreNext === null;
    }

    function objectRow(o) {
      const t = Date.parse(o.lastModified);
      return h('tr', null,
        h('td', null, h('span', { class: 'key' }, o.key),
          o.errorOutput ? h('div', null, h('span', { class: 'badge bad' }, 'error output')) : null),
        h('td', { class: 'num' }, bytes(o.size)),
        h('td', { class: 'num' }, clock(t), h('div', { class: 'small muted' }, ago(t))));
    }

    // loadMore appends the next page of the listing.
    async function loadMore() {
      if (moreNext === null) return;
      moreBtn.disabled = true;
      try {
        const data = await getJSON(base + '/objects?limit=20&after=' + encodeURIComponent(moreNext));
        if (!moreBody.hasChildNodes() && firstOrder === 'newest') {
          const root = lastSum ? lastSum.prefix.split('!{')[0] : '';
          moreBody.append(h('tr', { class: 'sep' }, h('td', { colspan: 3, class: 'small muted' },
            'Every object of this stream under s3://' + data.bucket + '/' + root + ', by key')));
        }
        moreBody.append(...data.objects.map(objectRow));
        moreNext = data.next;
        moreNote.textContent = data.objects.length || moreNext === null ? '' : 'None of this stream\'s objects in these keys: More looks further.';
      } catch (e) {
        moreNote.textContent = 'Cannot list objects: ' + e.message;
      } finally {
        moreBtn.disabled = false;
        moreBtn.hidden = moreNext === null;
      }
    }

    return poll;
  }

  function sendForm(name, onSent) {
    const ta = h('textarea', { name: 'data', rows: 6, spellcheck: 'false', 'aria-label': 'Record data' });
    ta.value = JSON.stringify({ event: 'console-test', message: 'hello from the wasmhose console', at: new Date().toISOString() }, null, 2);
    const newline = h('input', { type: 'checkbox', name: 'newline', checked: true });
    const size = h('span', { class: 'small muted' });
    const btn = h('button', { type: 'submit', class: 'btn primary' }, 'Send record');
    const out = h('output', { class: 'send-result', 'aria-live': 'polite' });
    const updateSize = () => {
      const n = new TextEncoder().encode(ta.value).length + (newline.checked ? 1 : 0);
      size.textContent = int(n) + (n === 1 ? ' byte' : ' bytes');
    };
    ta.addEventListener('input', updateSize);
    newline.addEventListener('change', updateSize);
    updateSize();

    const form = h('form', { class: 'card send', id: 'send', novalidate: true },
      h('header', null, h('h2', null, 'Send a test record'), h('span', { class: 'aside mono' }, 'PutRecord')),
      h('p', { class: 'help' }, 'The text is sent as the record\'s data, UTF-8 encoded, through the Firehose API of this service.'),
      ta,
      h('div', { class: 'row' },
        h('label', { class: 'check' }, newline, 'Append a newline'),
        size,
        btn),
      out);
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      btn.disabled = true;
      out.className = 'send-result';
      out.textContent = 'Sending…';
      try {
        const data = ta.value + (newline.checked ? '\n' : '');
        const r = await fetch('/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'Firehose_20150804.PutRecord' },
          body: JSON.stringify({ DeliveryStreamName: name, Record: { Data: utf8Base64(data) } }),
        });
        let body = {};
        try { body = await r.json(); } catch (_) { /* not JSON */ }
        if (!r.ok) throw new Error((body.__type || r.status) + ': ' + (body.message || r.statusText));
        out.className = 'send-result ok';
        out.replaceChildren('Acknowledged at ' + clock(Date.now()) + ' · RecordId ', h('code', null, body.RecordId));
        onSent();
      } catch (e) {
        out.className = 'send-result bad';
        out.textContent = 'Not sent: ' + e.message;
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  }

  function configView(d) {
    const dd = (d.Destinations && d.Destinations[0]) || {};
    const x = dd.ExtendedS3DestinationDescription || {};
    const hints = x.BufferingHints || {};
    const cw = x.CloudWatchLoggingOptions || {};
    const enc = x.EncryptionConfiguration || {};
    const proc = x.ProcessingConfiguration;
    const conv = x.DataFormatConversionConfiguration;
    const sse = d.DeliveryStreamEncryptionConfiguration || {};
    const prefix = x.Prefix || '';
    const rows = [
      ['Bucket ARN', x.BucketARN, true],
      ['Prefix', prefix.includes('!{') ? prefix : (prefix + 'yyyy/MM/dd/HH/') + '  (default time part appended)', true],
      ['Error output prefix', x.ErrorOutputPrefix || '(none)', true],
      ['Compression', x.CompressionFormat],
      ['Buffering hints', (hints.SizeInMBs ?? '?') + ' MiB or ' + (hints.IntervalInSeconds ?? '?') + ' s'],
      ['File extension', x.FileExtension || '(by compression)'],
      ['Time zone', x.CustomTimeZone || 'UTC'],
      ['S3 encryption', enc.KMSEncryptionConfig ? 'SSE-KMS ' + enc.KMSEncryptionConfig.AWSKMSKeyARN : 'None'],
      ['Stream encryption', sse.Status || 'DISABLED'],
      ['Error logging', cw.Enabled ? (cw.LogGroupName + ' / ' + cw.LogStreamName) : 'Off'],
      ['Processing', proc && proc.Enabled ? (proc.Processors || []).map(p => p.Type).join(', ') : 'Off'],
      ['Format conversion', conv && conv.Enabled !== false ? 'On' : 'Off'],
      ['Backup', x.S3BackupMode || 'Disabled'],
      ['Role ARN', x.RoleARN, true],
      ['Type', d.DeliveryStreamType],
      ['Destination ID', dd.DestinationId],
      ['Version', d.VersionId],
      ['Created', dateTime(d.CreateTimestamp * 1000)],
      ['Last updated', d.LastUpdateTimestamp ? dateTime(d.LastUpdateTimestamp * 1000) : 'never'],
    ];
    return [
      h('dl', { class: 'kv' }, rows.map(([k, v, mono]) =>
        h('div', null, h('dt', null, k), h('dd', mono ? { class: 'mono' } : null, v === undefined || v === null ? '—' : v)))),
      h('details', { class: 'raw' },
        h('summary', null, 'DescribeDeliveryStream response'),
        h('pre', null, JSON.stringify({ DeliveryStreamDescription: d }, null, 2))),
    ];
  }

  // ---- Router -------------------------------------------------------------

  let current = null;
  function route() {
    if (current) current.stop();
    app.replaceChildren();
    const m = /^#\/streams\/([^/?#]+)$/.exec(location.hash);
    let name = null;
    if (m) {
      try { name = decodeURIComponent(m[1]); } catch (_) { name = null; }
    }
    current = name !== null ? streamPage(name) : listPage();
    document.title = (name !== null ? name + ' · ' : '') + 'Wasmhose console';
    window.scrollTo(0, 0);
  }
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => { if (!document.hidden && current) current.refresh(); });
  route();
})();
