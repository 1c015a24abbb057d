// Local X-Ray viewer: shared helpers (DOM building, API calls, formatting, hash routes).
// Every piece of data goes into the DOM through text nodes or attributes, never as markup.
'use strict';

window.XV = window.XV || {};

(function (XV) {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /** Time ranges offered by the trace list and the service map: [seconds, label]. */
  XV.RANGES = [
    [300, 'Last 5 minutes'],
    [3600, 'Last hour'],
    [21600, 'Last 6 hours'],
    [86400, 'Last 24 hours'],
    [604800, 'Last 7 days'],
    [2592000, 'Last 30 days'],
  ];
  XV.DEFAULT_RANGE = 3600;
  XV.MAX_RANGE = 2592000;

  function applyAttrs(node, attrs, isSvg) {
    if (!attrs) return;
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') {
        if (isSvg) node.setAttribute('class', value);
        else node.className = value;
      } else if (key === 'text') {
        node.textContent = String(value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
      } else if (key === 'style') {
        // CSSOM assignment (allowed by the page's Content-Security-Policy).
        for (const [k, v] of Object.entries(value)) node.style.setProperty(k, String(v));
      } else if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else if (value === true) {
        node.setAttribute(key, '');
      } else {
        node.setAttribute(key, String(value));
      }
    }
  }

  function appendChildren(node, children) {
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      if (Array.isArray(child)) appendChildren(node, child);
      else if (child instanceof Node) node.appendChild(child);
      else node.appendChild(document.createTextNode(String(child)));
    }
  }

  /** Creates an HTML element: el('td', {class: 'x'}, 'text', childNode, [more]). */
  XV.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    applyAttrs(node, attrs, false);
    appendChildren(node, children);
    return node;
  };

  /** Creates an SVG element. */
  XV.svg = function (tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    applyAttrs(node, attrs, true);
    appendChildren(node, children);
    return node;
  };

  /** An error reported by the API (HTTP status, x-amzn-ErrorType, message) or the network. */
  class ApiError extends Error {
    constructor(message, type, status) {
      super(message);
      this.name = 'ApiError';
      this.type = type || '';
      this.status = status || 0;
    }
  }
  XV.ApiError = ApiError;

  /** POSTs a JSON body to the X-Ray API of this origin and returns the parsed JSON answer. */
  XV.api = async function (path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body || {}),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError('Cannot reach the server: ' + (e && e.message ? e.message : e), 'NetworkError', 0);
    }
    const text = await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch (e) {
        json = null;
      }
    }
    if (!response.ok) {
      const type = (response.headers.get('x-amzn-ErrorType') || '').split(':')[0];
      const message =
        (json && (json.message || json.Message)) || text || response.statusText || 'request failed';
      throw new ApiError(String(message), type, response.status);
    }
    if (json === null || typeof json !== 'object') {
      throw new ApiError('The server answered ' + path + ' with something that is not JSON', 'BadResponse', response.status);
    }
    return json;
  };

  /** The visible error box: the API's message, plus its error type and status when known. */
  XV.errorBox = function (err, what) {
    const type = err && err.type ? err.type : '';
    const status = err && err.status ? 'HTTP ' + err.status : '';
    const meta = [type, status].filter(Boolean).join(' · ');
    return XV.el(
      'div',
      { class: 'error-box', id: 'error', role: 'alert' },
      XV.el('strong', { class: 'error-title', text: what || 'Request failed' }),
      XV.el('div', { class: 'error-message', text: err && err.message ? err.message : String(err) }),
      meta ? XV.el('div', { class: 'error-meta', text: meta }) : null,
    );
  };

  /** Splits location.hash into a path ("/traces") and its query parameters. */
  XV.parseHash = function () {
    let hash = location.hash || '';
    if (hash.startsWith('#')) hash = hash.slice(1);
    const q = hash.indexOf('?');
    const path = q >= 0 ? hash.slice(0, q) : hash;
    const params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
    return { path: path || '/traces', params };
  };

  /** Builds a hash route: XV.hashFor('/traces', {range: 300, filter: 'x'}). */
  XV.hashFor = function (path, params) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    }
    const qs = p.toString();
    return '#' + path + (qs ? '?' + qs : '');
  };

  /** The range parameter in seconds, clamped to what the viewer offers. */
  XV.rangeParam = function (params) {
    const n = Number.parseInt(params.get('range') || '', 10);
    if (!Number.isFinite(n) || n <= 0) return XV.DEFAULT_RANGE;
    return Math.min(n, XV.MAX_RANGE);
  };

  /** The <select> of time ranges; onChange(seconds). */
  XV.rangeSelect = function (current, onChange) {
    const select = XV.el('select', { id: 'range', 'aria-label': 'Time range' });
    let known = false;
    for (const [seconds, label] of XV.RANGES) {
      const option = XV.el('option', { value: seconds, text: label });
      if (seconds === current) {
        option.selected = true;
        known = true;
      }
      select.appendChild(option);
    }
    if (!known) {
      const option = XV.el('option', { value: current, text: 'Last ' + XV.fmtSpan(current) });
      option.selected = true;
      select.appendChild(option);
    }
    if (onChange) select.addEventListener('change', () => onChange(Number(select.value)));
    return select;
  };

  /** "12.3 ms", "1.25 s", "3 min 4 s" from seconds. */
  XV.fmtDuration = function (seconds) {
    if (seconds === undefined || seconds === null || !Number.isFinite(Number(seconds))) return '–';
    const s = Number(seconds);
    if (s < 0) return '–';
    if (s < 0.001) return (s * 1e6).toFixed(0) + ' µs';
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 1) + ' ms';
    if (s < 60) return s.toFixed(2) + ' s';
    const m = Math.floor(s / 60);
    return m + ' min ' + Math.round(s - m * 60) + ' s';
  };

  /** "5 minutes", "7 days" from seconds. */
  XV.fmtSpan = function (seconds) {
    const units = [
      [86400, 'day'],
      [3600, 'hour'],
      [60, 'minute'],
    ];
    for (const [size, name] of units) {
      if (seconds >= size && seconds % size === 0) {
        const n = seconds / size;
        return n + ' ' + name + (n === 1 ? '' : 's');
      }
    }
    return seconds + ' seconds';
  };

  /** Local date and time with milliseconds, from epoch seconds. */
  XV.fmtTime = function (epochSeconds) {
    if (!Number.isFinite(Number(epochSeconds))) return '–';
    const d = new Date(Number(epochSeconds) * 1000);
    if (Number.isNaN(d.getTime())) return '–';
    const pad = (n, w) => String(n).padStart(w || 2, '0');
    return (
      d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' +
      pad(d.getMilliseconds(), 3)
    );
  };

  /** "12%", "0.5%" */
  XV.fmtPercent = function (fraction) {
    if (!Number.isFinite(fraction)) return '–';
    const p = fraction * 100;
    return (p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)) + '%';
  };

  /** The epoch seconds encoded in an X-Ray trace id (1-<8 hex>-<24 hex>), or NaN. */
  XV.traceIdEpoch = function (id) {
    const m = /^1-([0-9a-fA-F]{8})-/.exec(String(id || ''));
    return m ? Number.parseInt(m[1], 16) : NaN;
  };

  /** The status class of a flagged object: fault beats error beats throttle. */
  XV.statusClass = function (o) {
    if (!o) return 'ok';
    if (o.fault || o.HasFault) return 'fault';
    if (o.throttle || o.HasThrottle) return 'throttle';
    if (o.error || o.HasError) return 'error';
    return 'ok';
  };

  /** A small coloured badge. */
  XV.badge = function (kind, text) {
    return XV.el('span', { class: 'badge badge-' + kind, text: text || kind });
  };

  /** Pretty JSON for <pre> blocks. */
  XV.pretty = function (value) {
    try {
      return JSON.stringify(value, null, 2);
    } catch (e) {
      return String(value);
    }
  };

  /** A two-column key/value table; rows whose value is undefined, null or '' are left out. */
  XV.kvTable = function (rows, cls) {
    const table = XV.el('table', { class: 'kv' + (cls ? ' ' + cls : '') });
    const body = XV.el('tbody');
    for (const [key, value] of rows) {
      if (value === undefined || value === null || value === '') continue;
      let cell;
      if (value instanceof Node) cell = value;
      else if (typeof value === 'object') cell = XV.el('code', { text: JSON.stringify(value) });
      else cell = String(value);
      body.appendChild(XV.el('tr', null, XV.el('th', { scope: 'row', text: key }), XV.el('td', null, cell)));
    }
    table.appendChild(body);
    return body.childElementCount ? table : null;
  };

  /** Summary statistics of a service or an edge, with the numbers derived from them. */
  XV.stats = function (s) {
    s = s || {};
    const errs = s.ErrorStatistics || {};
    const faults = s.FaultStatistics || {};
    const total = Number(s.TotalCount) || 0;
    const error = Number(errs.TotalCount) || 0;
    const throttle = Number(errs.ThrottleCount) || 0;
    const fault = Number(faults.TotalCount) || 0;
    const ok = Number.isFinite(Number(s.OkCount)) ? Number(s.OkCount) : Math.max(0, total - error - fault);
    const responseTime = Number(s.TotalResponseTime) || 0;
    return {
      total,
      ok,
      error,
      throttle,
      fault,
      avg: total > 0 ? responseTime / total : NaN,
      errorRate: total > 0 ? error / total : 0,
      throttleRate: total > 0 ? throttle / total : 0,
      faultRate: total > 0 ? fault / total : 0,
      known: s.TotalCount !== undefined,
    };
  };

  /** The health class of statistics: any fault → fault, any error → error, any throttle → throttle. */
  XV.healthClass = function (st) {
    if (!st.known) return 'unknown';
    if (st.fault > 0) return 'fault';
    if (st.throttle > 0 && st.throttle >= st.error) return 'throttle';
    if (st.error > 0) return 'error';
    return 'ok';
  };

  /** Marks the page as rendered (the headless tests wait for data-ready="1"). */
  XV.ready = function (ctx, state) {
    if (ctx && !ctx.live()) return;
    document.body.dataset.state = state || 'ok';
    document.body.dataset.ready = '1';
  };
})(window.XV);
