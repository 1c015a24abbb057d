// Local X-Ray viewer: the service map (#/map?range=<seconds>) and the graph drawing it shares
// with the per-trace map of the timeline.
'use strict';

(function (XV) {
  const { el, svg } = XV;
  /** GetServiceGraph pages followed at most. */
  const MAX_PAGES = 10;

  /** Layered layout: callers left, callees right (longest path from the roots, cycles bounded). */
  function layout(services) {
    const nodes = services.map((s, i) => ({
      s,
      key: s.ReferenceId !== undefined ? String(s.ReferenceId) : 'n' + i,
      name: String(s.Name || (Array.isArray(s.Names) && s.Names[0]) || '(unnamed)'),
      type: String(s.Type || ''),
      st: XV.stats(s.SummaryStatistics),
      layer: 0,
      incoming: 0,
    }));
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const edges = [];
    for (const n of nodes) {
      for (const e of n.s.Edges || []) {
        const target = byKey.get(String(e.ReferenceId));
        if (!target) continue;
        edges.push({ from: n, to: target, st: XV.stats(e.SummaryStatistics), e });
        if (target !== n) target.incoming += 1;
      }
    }
    const limit = nodes.length;
    for (let round = 0; round < limit; round += 1) {
      let changed = false;
      for (const e of edges) {
        if (e.from === e.to) continue;
        const want = e.from.layer + 1;
        if (e.to.layer < want && want < limit) {
          e.to.layer = want;
          changed = true;
        }
      }
      if (!changed) break;
    }
    // Clients and roots stay in the first column even when something points back at them.
    for (const n of nodes) {
      if ((n.type === 'client' || n.s.Root === true) && n.incoming === 0) n.layer = 0;
    }
    const layers = [];
    for (const n of nodes) {
      (layers[n.layer] = layers[n.layer] || []).push(n);
    }
    const columns = layers.filter(Boolean);
    // One barycentre pass keeps edges short: order each column by the mean row of its callers.
    columns.forEach((col, ci) => {
      if (ci === 0) {
        col.sort((a, b) => a.name.localeCompare(b.name));
      } else {
        const bary = (n) => {
          const rows = edges.filter((e) => e.to === n && e.from.col !== undefined && e.from.col < ci).map((e) => e.from.row);
          return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
        };
        const keyed = col.map((n) => [bary(n), n]);
        keyed.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
        col.splice(0, col.length, ...keyed.map((k) => k[1]));
      }
      col.forEach((n, ri) => {
        n.col = ci;
        n.row = ri;
      });
    });
    return { nodes, edges, columns };
  }

  function statsLine(st) {
    if (!st.known) return '';
    const parts = [st.total + ' req'];
    if (Number.isFinite(st.avg)) parts.push('avg ' + XV.fmtDuration(st.avg));
    return parts.join(' · ');
  }

  function ratesLine(st) {
    if (!st.known || st.total === 0) return '';
    const parts = [];
    if (st.fault) parts.push(XV.fmtPercent(st.faultRate) + ' fault');
    if (st.error) parts.push(XV.fmtPercent(st.errorRate) + ' error');
    if (st.throttle) parts.push(XV.fmtPercent(st.throttleRate) + ' throttle');
    return parts.join(' · ');
  }

  /** A donut of ok / error / throttle / fault shares around a node. */
  function ring(cx, cy, r, st) {
    const g = svg('g', { class: 'ring' });
    const c = 2 * Math.PI * r;
    g.appendChild(svg('circle', { cx, cy, r, class: 'ring-bg' }));
    if (!st.known || st.total === 0) return g;
    const shares = [
      ['ok', st.ok],
      ['error', Math.max(0, st.error - st.throttle)],
      ['throttle', st.throttle],
      ['fault', st.fault],
    ];
    const sum = shares.reduce((a, [, v]) => a + v, 0) || 1;
    let offset = 0;
    for (const [cls, v] of shares) {
      if (v <= 0) continue;
      const len = (v / sum) * c;
      g.appendChild(
        svg('circle', {
          cx,
          cy,
          r,
          class: 'ring-' + cls,
          'stroke-dasharray': len + ' ' + (c - len),
          'stroke-dashoffset': -offset,
          transform: 'rotate(-90 ' + cx + ' ' + cy + ')',
        }),
      );
      offset += len;
    }
    return g;
  }

  /**
   * Draws GetServiceGraph / GetTraceGraph services as an SVG graph. opts.hrefFor(name) makes
   * nodes links (to the traces through that service); opts.compact draws a smaller graph.
   */
  XV.drawServiceGraph = function (services, opts) {
    opts = opts || {};
    const compact = !!opts.compact;
    const { nodes, edges, columns } = layout(services);
    const gaps = Math.max(1, columns.length - 1);
    const colW = compact ? 240 : Math.round(Math.max(270, Math.min(360, 1020 / gaps)));
    const rowH = compact ? 140 : 160;
    const r = compact ? 22 : 28;
    const padX = 110;
    const padY = 50;
    const maxRows = Math.max(1, ...columns.map((c) => c.length));
    const width = padX * 2 + Math.max(0, columns.length - 1) * colW;
    const height = padY * 2 + (maxRows - 1) * rowH + 40;
    const pos = (n) => {
      const rows = columns[n.col].length;
      const offset = ((maxRows - rows) * rowH) / 2;
      return { x: padX + n.col * colW, y: padY + offset + n.row * rowH };
    };

    const markerId = 'arrow-' + Math.random().toString(36).slice(2, 8);
    const root = svg(
      'svg',
      {
        class: 'graph' + (compact ? ' compact' : ''),
        viewBox: '0 0 ' + width + ' ' + height,
        width,
        height,
        role: 'img',
        'aria-label': 'Service graph with ' + nodes.length + ' services',
      },
      svg(
        'defs',
        null,
        svg('marker', { id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })),
      ),
    );

    const edgeLayer = svg('g', { class: 'edges' });
    const nodeLayer = svg('g', { class: 'nodes' });
    root.append(edgeLayer, nodeLayer);

    for (const e of edges) {
      const a = pos(e.from);
      const b = pos(e.to);
      const health = XV.healthClass(e.st);
      let d;
      let lx;
      let ly;
      if (e.from === e.to) {
        d = 'M' + (a.x - 10) + ',' + (a.y - r) + ' C' + (a.x - 40) + ',' + (a.y - r - 50) + ' ' + (a.x + 40) + ',' + (a.y - r - 50) + ' ' + (a.x + 10) + ',' + (a.y - r);
        lx = a.x;
        ly = a.y - r - 44;
      } else if (b.x > a.x) {
        const x1 = a.x + r;
        const x2 = b.x - r - 2;
        const mx = (x1 + x2) / 2;
        d = 'M' + x1 + ',' + a.y + ' C' + mx + ',' + a.y + ' ' + mx + ',' + b.y + ' ' + x2 + ',' + b.y;
        lx = mx;
        ly = (a.y + b.y) / 2 - 6;
      } else {
        // Back or same-column edge: arc below.
        const dip = Math.max(a.y, b.y) + r + 40;
        d = 'M' + a.x + ',' + (a.y + r) + ' C' + a.x + ',' + dip + ' ' + b.x + ',' + dip + ' ' + b.x + ',' + (b.y + r + 2);
        lx = (a.x + b.x) / 2;
        ly = dip - 8;
      }
      const label = statsLine(e.st);
      const rates = ratesLine(e.st);
      edgeLayer.appendChild(
        svg(
          'g',
          { class: 'edge edge-' + health, dataset: { from: e.from.name, to: e.to.name } },
          svg('title', { text: e.from.name + ' → ' + e.to.name + (label ? ': ' + label : '') + (rates ? ', ' + rates : '') }),
          svg('path', { d, class: 'edge-line', 'marker-end': 'url(#' + markerId + ')' }),
          label ? svg('text', { x: lx, y: rates ? ly - 13 : ly, class: 'edge-label', 'text-anchor': 'middle', text: label }) : null,
          rates ? svg('text', { x: lx, y: ly, class: 'edge-label edge-rates', 'text-anchor': 'middle', text: rates }) : null,
        ),
      );
    }

    for (const n of nodes) {
      const p = pos(n);
      const health = XV.healthClass(n.st);
      const href = typeof opts.hrefFor === 'function' && n.type !== 'client' ? opts.hrefFor(n.name) : null;
      const g = svg(
        'g',
        {
          class: 'node node-' + health + (href ? ' clickable' : ''),
          dataset: { name: n.name, type: n.type },
        },
        svg('title', { text: n.name + (n.type ? ' (' + n.type + ')' : '') + (statsLine(n.st) ? ': ' + statsLine(n.st) : '') + (ratesLine(n.st) ? ', ' + ratesLine(n.st) : '') }),
        svg('circle', { cx: p.x, cy: p.y, r: r - 5, class: 'node-fill' }),
        ring(p.x, p.y, r, n.st),
        svg('text', { x: p.x, y: p.y + 4, class: 'node-glyph', 'text-anchor': 'middle', text: n.type === 'client' ? '☺' : (n.type.split('::')[1] || n.type || '?').slice(0, 3) }),
        svg('text', { x: p.x, y: p.y + r + 16, class: 'node-name', 'text-anchor': 'middle', text: n.name }),
        svg('text', { x: p.x, y: p.y + r + 30, class: 'node-type', 'text-anchor': 'middle', text: n.type }),
        statsLine(n.st) ? svg('text', { x: p.x, y: p.y + r + 44, class: 'node-stats', 'text-anchor': 'middle', text: statsLine(n.st) }) : null,
        ratesLine(n.st) ? svg('text', { x: p.x, y: p.y + r + 57, class: 'node-rates', 'text-anchor': 'middle', text: ratesLine(n.st) }) : null,
      );
      nodeLayer.appendChild(href ? svg('a', { href, class: 'node-link', 'aria-label': 'Traces through ' + n.name }, g) : g);
    }
    return el('div', { class: 'graph-scroll' }, root);
  };

  function legend() {
    return el(
      'div',
      { class: 'legend', 'aria-label': 'Legend' },
      [
        ['ok', 'OK'],
        ['error', 'Errors (4xx)'],
        ['throttle', 'Throttled (429)'],
        ['fault', 'Faults (5xx)'],
      ].map(([cls, label]) => el('span', { class: 'legend-item' }, el('span', { class: 'swatch swatch-' + cls }), label)),
    );
  }

  function statsCells(st) {
    return [
      el('td', { class: 'num', text: st.known ? String(st.total) : '–' }),
      el('td', { class: 'num', text: Number.isFinite(st.avg) ? XV.fmtDuration(st.avg) : '–' }),
      el('td', { class: 'num', text: st.known ? String(st.error) : '–' }),
      el('td', { class: 'num', text: st.known ? String(st.throttle) : '–' }),
      el('td', { class: 'num', text: st.known ? String(st.fault) : '–' }),
    ];
  }

  const STAT_HEADS = ['Requests', 'Avg latency', 'Errors', 'Throttles', 'Faults'];

  function tables(services, hrefFor) {
    const { nodes, edges } = layout(services);
    const nodeTable = el(
      'table',
      { class: 'grid services', id: 'service-table' },
      el('thead', null, el('tr', null, ['Service', 'Type'].concat(STAT_HEADS).map((h) => el('th', { scope: 'col', class: STAT_HEADS.includes(h) ? 'num' : '', text: h })))),
      el(
        'tbody',
        null,
        nodes.map((n) =>
          el(
            'tr',
            { class: 'service-row status-' + XV.healthClass(n.st), dataset: { name: n.name } },
            el('td', null, n.type === 'client' ? n.name : el('a', { href: hrefFor(n.name), text: n.name })),
            el('td', { text: n.type }),
            statsCells(n.st),
          ),
        ),
      ),
    );
    const edgeTable = el(
      'table',
      { class: 'grid edges', id: 'edge-table' },
      el('thead', null, el('tr', null, ['From', 'To'].concat(STAT_HEADS).map((h) => el('th', { scope: 'col', class: STAT_HEADS.includes(h) ? 'num' : '', text: h })))),
      el(
        'tbody',
        null,
        edges.map((e) => el('tr', { class: 'edge-row status-' + XV.healthClass(e.st), dataset: { from: e.from.name, to: e.to.name } }, el('td', { text: e.from.name }), el('td', { text: e.to.name }), statsCells(e.st))),
      ),
    );
    return el('div', { class: 'map-tables' }, el('h2', { text: 'Services' }), nodeTable, edges.length ? el('h2', { text: 'Calls' }) : null, edges.length ? edgeTable : null);
  }

  /** A filter expression selecting the traces through a service: service("name"). */
  XV.serviceFilter = function (name) {
    return 'service("' + String(name).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '")';
  };

  /** Renders the service map into `view`. */
  XV.renderMap = async function (view, params, ctx) {
    const range = XV.rangeParam(params);
    const go = (r) => {
      const next = XV.hashFor('/map', { range: r });
      if (location.hash === next) XV.route();
      else location.hash = next;
    };
    const select = XV.rangeSelect(range, go);
    const toolbar = el('div', { class: 'toolbar' }, select, el('button', { type: 'button', text: 'Refresh', onclick: () => go(Number(select.value)) }), legend());
    const status = el('div', { class: 'list-status', id: 'map-status', text: 'Loading the service map…' });
    const holder = el('div', { class: 'map-holder', id: 'map' });
    view.append(el('h1', { text: 'Service map' }), toolbar, status, holder);

    const end = Math.floor(Date.now() / 1000);
    const start = end - range;
    const services = [];
    const seen = new Set();
    try {
      let token = null;
      let pages = 0;
      do {
        const body = { StartTime: start, EndTime: end + 1 };
        if (token) body.NextToken = token;
        const answer = await XV.api('/ServiceGraph', body);
        if (!ctx.live()) return;
        for (const s of answer.Services || []) {
          const key = String(s.ReferenceId);
          if (seen.has(key)) continue;
          seen.add(key);
          services.push(s);
        }
        token = answer.NextToken || null;
        pages += 1;
      } while (token && pages < MAX_PAGES);
    } catch (err) {
      if (!ctx.live()) return;
      status.textContent = '';
      holder.appendChild(XV.errorBox(err, 'Could not load the service map'));
      XV.ready(ctx, 'error');
      return;
    }

    const scope = XV.RANGES.find(([s]) => s === range);
    status.textContent = services.length + ' service' + (services.length === 1 ? '' : 's') + ' in the ' + (scope ? scope[1].toLowerCase() : 'last ' + XV.fmtSpan(range)) + '. Click a service to see its traces.';
    if (!services.length) {
      holder.appendChild(el('div', { class: 'empty', id: 'empty', text: 'No services in this time range yet.' }));
      XV.ready(ctx, 'empty');
      return;
    }
    const hrefFor = (name) => XV.hashFor('/traces', { range, filter: XV.serviceFilter(name) });
    holder.append(XV.drawServiceGraph(services, { hrefFor }), tables(services, hrefFor));
    XV.ready(ctx, 'ok');
  };
})(window.XV);
