// Local X-Ray viewer: the trace timeline (#/trace/<trace-id>?segment=<segment-id>).
'use strict';

(function (XV) {
  const { el } = XV;

  /** Parses the documents of a BatchGetTraces trace into a tree of timeline nodes. */
  function buildTree(trace) {
    const nodes = [];
    const byId = new Map();
    const tops = [];
    const broken = [];

    function add(doc, parent, kind, segmentName) {
      const node = {
        doc,
        id: String(doc.id || ''),
        name: String(doc.name || '(unnamed)'),
        kind,
        segmentName,
        start: Number(doc.start_time),
        end: Number(doc.end_time),
        inProgress: doc.in_progress === true,
        children: [],
        parent,
      };
      nodes.push(node);
      if (node.id && !byId.has(node.id)) byId.set(node.id, node);
      if (parent) parent.children.push(node);
      const subs = Array.isArray(doc.subsegments) ? doc.subsegments : [];
      for (const sub of subs) {
        if (sub && typeof sub === 'object') add(sub, node, 'subsegment', segmentName);
      }
      return node;
    }

    for (const segment of trace.Segments || []) {
      let doc;
      try {
        doc = JSON.parse(segment.Document);
      } catch (e) {
        broken.push(String(segment.Id || '?'));
        continue;
      }
      if (!doc || typeof doc !== 'object') {
        broken.push(String(segment.Id || '?'));
        continue;
      }
      const kind = doc.type === 'subsegment' ? 'subsegment' : 'segment';
      tops.push(add(doc, null, kind, kind === 'segment' ? String(doc.name || '') : ''));
    }

    // Documents that name a parent (independent subsegments; segments called by an instrumented
    // subsegment) go under it when the parent is in this trace. Never create a cycle.
    const isAncestor = (candidate, node) => {
      for (let p = node; p; p = p.parent) if (p === candidate) return true;
      return false;
    };
    const roots = [];
    for (const top of tops) {
      const parentId = top.doc.parent_id ? String(top.doc.parent_id) : '';
      const parent = parentId ? byId.get(parentId) : undefined;
      if (parent && !isAncestor(top, parent)) {
        top.parent = parent;
        parent.children.push(top);
        if (top.kind === 'subsegment') {
          for (let p = parent; p; p = p.parent) {
            if (p.kind === 'segment') {
              top.segmentName = p.name;
              break;
            }
          }
        }
      } else {
        roots.push(top);
      }
    }
    const byStart = (a, b) => (Number.isFinite(a.start) ? a.start : Infinity) - (Number.isFinite(b.start) ? b.start : Infinity);
    const sortDeep = (list) => {
      list.sort(byStart);
      for (const n of list) sortDeep(n.children);
    };
    sortDeep(roots);

    let t0 = Infinity;
    let t1 = -Infinity;
    for (const n of nodes) {
      if (Number.isFinite(n.start)) {
        t0 = Math.min(t0, n.start);
        t1 = Math.max(t1, n.start);
      }
      if (Number.isFinite(n.end)) t1 = Math.max(t1, n.end);
    }
    if (!Number.isFinite(t0)) {
      t0 = 0;
      t1 = 0;
    }
    // Work still in progress is drawn up to the last known moment of the trace (striped), so
    // one open subsegment does not squash the rest of the timeline.
    const rows = [];
    const walk = (n, depth) => {
      rows.push({ node: n, depth });
      for (const c of n.children) walk(c, depth + 1);
    };
    for (const r of roots) walk(r, 0);
    return { nodes, byId, roots, rows, t0, t1, broken };
  }

  function nodeEnd(node, tree) {
    return Number.isFinite(node.end) ? node.end : tree.t1;
  }

  function tagFor(node) {
    const d = node.doc;
    if (node.kind === 'segment') return d.inferred ? 'inferred' : d.origin || 'segment';
    return d.namespace || 'local';
  }

  function httpStatus(node) {
    const r = node.doc.http && node.doc.http.response;
    return r && r.status !== undefined && r.status !== null ? String(r.status) : '';
  }

  function ticks(tree) {
    const span = tree.t1 - tree.t0;
    const axis = el('div', { class: 'wf-axis', 'aria-hidden': 'true' });
    for (let i = 0; i <= 2; i += 1) {
      axis.appendChild(
        el('span', { class: 'wf-tick', style: { left: i * 50 + '%' }, text: i === 0 ? '0' : XV.fmtDuration((span * i) / 2) }),
      );
    }
    return axis;
  }

  function waterfall(tree, onSelect) {
    const span = tree.t1 - tree.t0 || 1e-9;
    const list = el('div', { class: 'waterfall', id: 'waterfall', role: 'list' });
    list.appendChild(
      el(
        'div',
        { class: 'wf-row wf-head' },
        el('div', { class: 'wf-name', text: 'Name' }),
        el('div', { class: 'wf-tag', text: 'Kind' }),
        el('div', { class: 'wf-status', text: 'Status' }),
        el('div', { class: 'wf-dur num', text: 'Duration' }),
        el('div', { class: 'wf-bar-cell' }, ticks(tree)),
      ),
    );
    for (const { node, depth } of tree.rows) {
      const status = XV.statusClass(node.doc);
      const start = Number.isFinite(node.start) ? node.start : tree.t0;
      const end = nodeEnd(node, tree);
      const left = Math.max(0, Math.min(100, ((start - tree.t0) / span) * 100));
      const width = Math.max(0.4, Math.min(100 - left, ((end - start) / span) * 100));
      const bar = el('div', {
        class: 'wf-bar bar-' + status + (node.inProgress ? ' in-progress' : '') + (node.kind === 'segment' ? ' bar-segment' : ''),
        style: { left: left + '%', width: width + '%' },
        title: node.name + ': ' + XV.fmtDuration(end - start) + ' at +' + XV.fmtDuration(start - tree.t0),
      });
      const row = el(
        'div',
        {
          class: 'wf-row wf-' + node.kind + ' status-' + status,
          role: 'listitem',
          tabindex: 0,
          dataset: { segmentId: node.id, depth },
          onclick: () => onSelect(node),
          onkeydown: (ev) => {
            if (ev.key === 'Enter' || ev.key === ' ') {
              ev.preventDefault();
              onSelect(node);
            }
          },
        },
        el(
          'div',
          { class: 'wf-name', style: { 'padding-left': 0.4 + depth * 1.1 + 'rem' }, title: node.name },
          el('span', { class: 'wf-glyph', text: node.kind === 'segment' ? '◆' : node.children.length ? '▾' : '·' }),
          el('span', { class: 'wf-label', text: node.name }),
        ),
        el('div', { class: 'wf-tag', title: tagFor(node), text: tagFor(node) }),
        el('div', { class: 'wf-status' }, httpStatus(node) ? el('span', { class: 'status status-' + status, text: httpStatus(node) }) : status !== 'ok' ? XV.badge(status) : ''),
        el('div', { class: 'wf-dur num', text: node.inProgress ? 'in progress' : XV.fmtDuration(end - start) }),
        el('div', { class: 'wf-bar-cell' }, bar),
      );
      node.row = row;
      list.appendChild(row);
    }
    return list;
  }

  function section(title, ...content) {
    const kept = content.filter(Boolean);
    if (!kept.length) return null;
    return el('section', { class: 'detail-section', dataset: { section: title.toLowerCase() } }, el('h3', { text: title }), kept);
  }

  function findException(tree, id) {
    for (const n of tree.nodes) {
      const c = n.doc.cause;
      if (c && typeof c === 'object' && Array.isArray(c.exceptions)) {
        for (const ex of c.exceptions) if (ex && String(ex.id) === id) return { ex, node: n };
      }
    }
    return null;
  }

  function exceptionView(ex) {
    ex = ex || {};
    const frames = Array.isArray(ex.stack) ? ex.stack : [];
    const head = el(
      'div',
      { class: 'exception-head' },
      ex.type ? el('span', { class: 'exception-type', text: String(ex.type) }) : null,
      ex.type && ex.message ? ': ' : null,
      ex.message !== undefined ? el('span', { class: 'exception-message', text: String(ex.message) }) : null,
      ex.remote ? XV.badge('remote') : null,
    );
    const stack = frames.length
      ? el(
          'ol',
          { class: 'stack' },
          frames.map((f) => {
            f = f || {};
            const where = [f.path, f.line].filter((x) => x !== undefined && x !== null && x !== '').join(':');
            return el('li', { class: 'frame mono' }, el('span', { class: 'frame-label', text: f.label ? String(f.label) : '(anonymous)' }), where ? el('span', { class: 'frame-where', text: ' ' + where }) : null);
          }),
        )
      : null;
    const meta = [];
    if (ex.id) meta.push('id ' + ex.id);
    if (ex.cause) meta.push('caused by ' + ex.cause);
    if (ex.truncated) meta.push(ex.truncated + ' frames truncated');
    if (ex.skipped) meta.push(ex.skipped + ' exceptions skipped');
    return el('div', { class: 'exception' }, head, meta.length ? el('div', { class: 'muted', text: meta.join(' · ') }) : null, stack);
  }

  function causeView(tree, cause) {
    if (cause === undefined || cause === null) return null;
    if (typeof cause === 'string') {
      const found = findException(tree, cause);
      if (!found) return el('div', { class: 'muted', text: 'Exception ' + cause + ' (recorded elsewhere, not in this trace)' });
      return el('div', null, el('div', { class: 'muted', text: 'Exception ' + cause + ', recorded on ' + found.node.name }), exceptionView(found.ex));
    }
    if (typeof cause !== 'object') return el('code', { text: String(cause) });
    const exceptions = Array.isArray(cause.exceptions) ? cause.exceptions : [];
    return el(
      'div',
      { class: 'cause' },
      XV.kvTable([
        ['Working directory', cause.working_directory],
        ['Paths', Array.isArray(cause.paths) && cause.paths.length ? cause.paths.join(', ') : undefined],
      ]),
      exceptions.map(exceptionView),
    );
  }

  function flatEntries(obj) {
    if (!obj || typeof obj !== 'object') return [];
    return Object.entries(obj).map(([k, v]) => [k, v !== null && typeof v === 'object' ? el('pre', { class: 'json', text: XV.pretty(v) }) : v]);
  }

  function rawFor(node) {
    // The node's own document; embedded subsegments are summarised, the full JSON stays readable.
    return XV.pretty(node.doc);
  }

  function detailPanel(tree, node, traceId) {
    const d = node.doc;
    const start = Number.isFinite(node.start) ? node.start : NaN;
    const end = Number.isFinite(node.end) ? node.end : NaN;
    const http = d.http && typeof d.http === 'object' ? d.http : null;
    const req = http && http.request ? http.request : {};
    const res = http && http.response ? http.response : {};
    const flags = [];
    if (d.fault) flags.push(XV.badge('fault'));
    if (d.error) flags.push(XV.badge('error'));
    if (d.throttle) flags.push(XV.badge('throttle'));
    if (d.in_progress) flags.push(XV.badge('in-progress', 'in progress'));
    if (d.inferred) flags.push(XV.badge('inferred'));

    const panel = el(
      'aside',
      { class: 'detail', id: 'detail', dataset: { segmentId: node.id } },
      el(
        'div',
        { class: 'detail-head' },
        el('h2', { class: 'detail-title', text: node.name }),
        el('span', { class: 'muted', text: node.kind + (node.segmentName && node.kind === 'subsegment' ? ' of ' + node.segmentName : '') }),
        flags,
        el('a', { class: 'close', href: XV.hashFor('/trace/' + encodeURIComponent(traceId), {}), title: 'Close details', text: '×' }),
      ),
      section(
        'Timing',
        XV.kvTable([
          ['Start', XV.fmtTime(start) + ' (+' + XV.fmtDuration(start - tree.t0) + ')'],
          ['End', Number.isFinite(end) ? XV.fmtTime(end) : d.in_progress ? 'in progress' : undefined],
          ['Duration', Number.isFinite(end) && Number.isFinite(start) ? XV.fmtDuration(end - start) : undefined],
          ['ID', d.id],
          ['Parent ID', d.parent_id],
          ['Trace ID', d.trace_id],
        ]),
      ),
      section(
        'Overview',
        XV.kvTable([
          ['Origin', d.origin],
          ['Namespace', d.namespace],
          ['User', d.user],
          ['Resource ARN', d.resource_arn],
          ['Service', d.service],
          ['Precursors', Array.isArray(d.precursor_ids) && d.precursor_ids.length ? d.precursor_ids.join(', ') : undefined],
        ]),
      ),
      http
        ? section(
            'HTTP',
            XV.kvTable([
              ['Method', req.method],
              ['URL', req.url],
              ['User agent', req.user_agent],
              ['Client IP', req.client_ip],
              ['X-Forwarded-For', req.x_forwarded_for === undefined ? undefined : String(req.x_forwarded_for)],
              ['Traced', req.traced === undefined ? undefined : String(req.traced)],
              ['Status', res.status],
              ['Content length', res.content_length],
            ]),
          )
        : null,
      d.aws && typeof d.aws === 'object' ? section('AWS', XV.kvTable(flatEntries(d.aws))) : null,
      d.sql && typeof d.sql === 'object'
        ? section(
            'SQL',
            d.sql.sanitized_query !== undefined ? el('pre', { class: 'sql-query', id: 'sql-query', text: String(d.sql.sanitized_query) }) : null,
            XV.kvTable(flatEntries(Object.fromEntries(Object.entries(d.sql).filter(([k]) => k !== 'sanitized_query')))),
          )
        : null,
      section('Cause', causeView(tree, d.cause)),
      d.annotations && typeof d.annotations === 'object' ? section('Annotations', XV.kvTable(flatEntries(d.annotations), 'annotations')) : null,
      d.metadata !== undefined ? section('Metadata', el('pre', { class: 'json metadata', text: XV.pretty(d.metadata) })) : null,
      el('details', { class: 'detail-section raw' }, el('summary', { text: 'Raw document' }), el('pre', { class: 'json', text: rawFor(node) })),
    );
    return panel;
  }

  /** Renders the timeline of one trace into `view`. */
  XV.renderTrace = async function (view, traceId, params, ctx) {
    const back = el('a', { class: 'back', href: '#/traces', text: '← Traces' });
    const heading = el('h1', null, 'Trace ', el('span', { class: 'mono', id: 'trace-id', text: traceId }));
    const status = el('div', { class: 'list-status', text: 'Loading trace…' });
    view.append(back, heading, status);

    let answer;
    try {
      answer = await XV.api('/Traces', { TraceIds: [traceId] });
    } catch (err) {
      if (!ctx.live()) return;
      status.remove();
      view.appendChild(XV.errorBox(err, 'Could not load the trace'));
      XV.ready(ctx, 'error');
      return;
    }
    if (!ctx.live()) return;
    const trace = (answer.Traces || []).find((t) => t && String(t.Id) === traceId) || (answer.Traces || [])[0];
    if (!trace || !(trace.Segments || []).length) {
      status.remove();
      view.appendChild(XV.errorBox(new XV.ApiError('Trace ' + traceId + ' was not found: it may be outside the retention period, or its segments have not arrived yet.', 'NotFound', 0), 'Trace not found'));
      XV.ready(ctx, 'error');
      return;
    }

    const tree = buildTree(trace);
    const segments = tree.nodes.filter((n) => n.kind === 'segment').length;
    const faults = tree.nodes.filter((n) => n.doc.fault).length;
    const errors = tree.nodes.filter((n) => n.doc.error).length;
    status.textContent =
      XV.fmtTime(tree.t0) + ' · ' + XV.fmtDuration(Number.isFinite(Number(trace.Duration)) ? Number(trace.Duration) : tree.t1 - tree.t0) +
      ' · ' + segments + ' segment' + (segments === 1 ? '' : 's') + ', ' + (tree.nodes.length - segments) + ' subsegment' + (tree.nodes.length - segments === 1 ? '' : 's') +
      (faults ? ' · ' + faults + ' with faults' : '') + (errors ? ' · ' + errors + ' with errors' : '');
    if (tree.broken.length) {
      view.appendChild(XV.errorBox(new XV.ApiError('Documents that are not valid JSON were skipped: ' + tree.broken.join(', '), 'BadDocument', 0), 'Some segments could not be read'));
    }

    const detailHolder = el('div', { class: 'detail-holder' });
    let selected = null;
    const select = (node, updateHash) => {
      if (selected && selected.row) {
        selected.row.classList.remove('selected');
        selected.row.removeAttribute('aria-current');
      }
      selected = node;
      detailHolder.replaceChildren();
      if (!node) {
        layout.classList.remove('with-detail');
        return;
      }
      if (node.row) {
        node.row.classList.add('selected');
        node.row.setAttribute('aria-current', 'true');
      }
      detailHolder.appendChild(detailPanel(tree, node, traceId));
      layout.classList.add('with-detail');
      if (updateHash) {
        history.replaceState(null, '', XV.hashFor('/trace/' + encodeURIComponent(traceId), { segment: node.id }));
      }
    };
    const layout = el('div', { class: 'trace-layout' }, el('div', { class: 'timeline-holder' }, waterfall(tree, (n) => select(n, true))), detailHolder);
    view.appendChild(layout);

    const wanted = params.get('segment');
    if (wanted) {
      const node = tree.byId.get(wanted);
      if (node) {
        select(node, false);
        if (node.row && node.row.scrollIntoView) node.row.scrollIntoView({ block: 'nearest' });
      } else {
        detailHolder.appendChild(XV.errorBox(new XV.ApiError('No segment or subsegment with id ' + wanted + ' in this trace.', 'NotFound', 0), 'Segment not found'));
      }
    }

    // The services this trace touched (GetTraceGraph); the timeline stands without it.
    const graphHolder = el('section', { class: 'trace-graph', id: 'trace-graph' }, el('h2', { text: 'Services in this trace' }));
    view.appendChild(graphHolder);
    try {
      const graph = await XV.api('/TraceGraph', { TraceIds: [traceId] });
      if (!ctx.live()) return;
      const services = graph.Services || [];
      if (services.length) graphHolder.appendChild(XV.drawServiceGraph(services, {
          compact: true,
          hrefFor: (name) => XV.hashFor('/traces', { range: XV.MAX_RANGE, filter: XV.serviceFilter(name) }),
        }));
      else graphHolder.appendChild(el('div', { class: 'muted', text: 'No services recorded for this trace.' }));
    } catch (err) {
      if (!ctx.live()) return;
      graphHolder.appendChild(el('div', { class: 'muted', text: 'Trace map unavailable: ' + (err && err.message ? err.message : String(err)) }));
    }
    XV.ready(ctx, 'ok');
  };

  // Exposed for the map and for debugging in the browser console.
  XV.buildTraceTree = buildTree;
})(window.XV);
