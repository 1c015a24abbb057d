// Local X-Ray viewer: the hash router. Loaded last; starts the page.
'use strict';

(function (XV) {
  let generation = 0;

  function setNav(name) {
    for (const link of document.querySelectorAll('nav a[data-nav]')) {
      if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  /** Renders the view the location hash names; a newer navigation makes older renders stop. */
  XV.route = function () {
    generation += 1;
    const mine = generation;
    const ctx = { live: () => mine === generation };
    delete document.body.dataset.ready;
    delete document.body.dataset.state;
    const view = document.getElementById('view');
    if (!view) return;
    view.replaceChildren();
    const { path, params } = XV.parseHash();
    let run;
    const trace = /^\/trace\/(.+)$/.exec(path);
    if (trace) {
      let id = trace[1];
      try {
        id = decodeURIComponent(id);
      } catch (e) {
        // keep the raw text
      }
      document.body.dataset.view = 'trace';
      document.title = 'Trace ' + id + ' · Local X-Ray';
      setNav('traces');
      run = XV.renderTrace(view, id, params, ctx);
    } else if (path === '/map') {
      document.body.dataset.view = 'map';
      document.title = 'Service map · Local X-Ray';
      setNav('map');
      run = XV.renderMap(view, params, ctx);
    } else {
      document.body.dataset.view = 'traces';
      document.title = 'Traces · Local X-Ray';
      setNav('traces');
      run = XV.renderTraces(view, params, ctx);
    }
    Promise.resolve(run).catch((err) => {
      if (!ctx.live()) return;
      view.appendChild(XV.errorBox(err, 'The viewer failed'));
      XV.ready(ctx, 'error');
    });
  };

  window.addEventListener('hashchange', XV.route);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', XV.route);
  else XV.route();
})(window.XV);
