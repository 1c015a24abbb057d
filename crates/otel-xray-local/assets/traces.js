// Local X-Ray viewer: the trace list (#/traces?range=<seconds>&filter=<expr>).
'use strict';

(function (XV) {
  const { el } = XV;
  /** GetTraceSummaries pages followed at most per view. */
  const MAX_PAGES = 20;

  function flags(summary) {
    const out = [];
    if (summary.HasFault) out.push(XV.badge('fault'));
    if (summary.HasError) out.push(XV.badge('error'));
    if (summary.HasThrottle) out.push(XV.badge('throttle'));
    if (!out.length) out.push(XV.badge('ok'));
    if (summary.IsPartial) out.push(XV.badge('partial'));
    return out;
  }

  function startOf(summary) {
    const t = Number(summary.StartTime);
    return Number.isFinite(t) && t > 0 ? t : XV.traceIdEpoch(summary.Id);
  }

  function traceRow(summary) {
    const http = summary.Http || {};
    const id = String(summary.Id || '');
    const href = XV.hashFor('/trace/' + encodeURIComponent(id), {});
    const status = http.HttpStatus;
    const statusCls = status >= 500 ? 'fault' : status === 429 ? 'throttle' : status >= 400 ? 'error' : 'ok';
    const row = el(
      'tr',
      {
        class: 'trace-row status-' + XV.statusClass(summary),
        dataset: { traceId: id },
        tabindex: 0,
        onclick: (ev) => {
          if (ev.target && ev.target.closest && ev.target.closest('a')) return;
          location.hash = href;
        },
        onkeydown: (ev) => {
          if (ev.key === 'Enter') location.hash = href;
        },
      },
      el('td', { class: 'trace-id mono' }, el('a', { href, text: id })),
      el('td', { class: 'trace-start', text: XV.fmtTime(startOf(summary)) }),
      el('td', { class: 'trace-method', text: http.HttpMethod || '' }),
      el('td', { class: 'trace-url', title: http.HttpURL || '', text: http.HttpURL || '' }),
      el('td', { class: 'trace-status' }, status !== undefined && status !== null ? el('span', { class: 'status status-' + statusCls, text: String(status) }) : ''),
      el('td', { class: 'num trace-response', text: XV.fmtDuration(summary.ResponseTime) }),
      el('td', { class: 'num trace-duration', text: XV.fmtDuration(summary.Duration) }),
      el('td', { class: 'trace-flags' }, flags(summary)),
    );
    return row;
  }

  /** Renders the trace list into `view`. */
  XV.renderTraces = async function (view, params, ctx) {
    const range = XV.rangeParam(params);
    const filter = (params.get('filter') || '').trim();
    const go = (r, f) => {
      const next = XV.hashFor('/traces', { range: r, filter: f });
      if (location.hash === next) XV.route();
      else location.hash = next;
    };

    const input = el('input', {
      id: 'filter',
      type: 'search',
      name: 'filter',
      placeholder: 'Filter expression, e.g. service("api") AND responsetime > 1 or annotation.customer = "c-1"',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': 'Filter expression',
    });
    input.value = filter;
    const select = XV.rangeSelect(range, (r) => go(r, input.value.trim()));
    const form = el(
      'form',
      {
        class: 'toolbar',
        id: 'trace-query',
        onsubmit: (ev) => {
          ev.preventDefault();
          go(Number(select.value), input.value.trim());
        },
      },
      select,
      input,
      el('button', { type: 'submit', class: 'primary', text: 'Apply' }),
      filter ? el('button', { type: 'button', text: 'Clear', onclick: () => go(Number(select.value), '') }) : null,
    );
    const status = el('div', { class: 'list-status', id: 'list-status', text: 'Loading traces…' });
    const holder = el('div', { class: 'list-holder' });
    view.append(el('h1', { text: 'Traces' }), form, status, holder);

    const end = Math.floor(Date.now() / 1000);
    const start = end - range;
    const summaries = [];
    let token = null;
    let pages = 0;
    try {
      do {
        const body = { StartTime: start, EndTime: end + 1 };
        if (filter) body.FilterExpression = filter;
        if (token) body.NextToken = token;
        const answer = await XV.api('/TraceSummaries', body);
        if (!ctx.live()) return;
        for (const s of answer.TraceSummaries || []) summaries.push(s);
        token = answer.NextToken || null;
        pages += 1;
      } while (token && pages < MAX_PAGES);
    } catch (err) {
      if (!ctx.live()) return;
      status.textContent = '';
      holder.appendChild(XV.errorBox(err, filter ? 'The filter expression was rejected' : 'Could not load traces'));
      XV.ready(ctx, 'error');
      return;
    }

    summaries.sort((a, b) => (startOf(b) || 0) - (startOf(a) || 0));
    const scope = XV.RANGES.find(([s]) => s === range);
    const within = scope ? scope[1].toLowerCase() : 'last ' + XV.fmtSpan(range);
    status.textContent =
      summaries.length + ' trace' + (summaries.length === 1 ? '' : 's') + ' in the ' + within +
      (filter ? ' matching ' : '') + (filter ? filter : '') +
      (token ? ' (more exist: showing the first ' + pages + ' pages; narrow the range or the filter)' : '');
    status.dataset.count = String(summaries.length);

    if (!summaries.length) {
      holder.appendChild(el('div', { class: 'empty', id: 'empty', text: filter ? 'No trace matches this filter in the time range.' : 'No traces in this time range yet.' }));
      XV.ready(ctx, 'empty');
      return;
    }

    const head = el(
      'thead',
      null,
      el(
        'tr',
        null,
        ['Trace ID', 'Started', 'Method', 'URL', 'Status', 'Response', 'Duration', 'Flags'].map((h) =>
          el('th', { scope: 'col', class: h === 'Response' || h === 'Duration' ? 'num' : '', text: h }),
        ),
      ),
    );
    const body = el('tbody', null, summaries.map((s) => traceRow(s)));
    holder.appendChild(el('table', { class: 'grid traces', id: 'trace-table' }, head, body));
    XV.ready(ctx, 'ok');
  };
})(window.XV);
