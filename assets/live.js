// Server-Sent Events read with fetch for the dashboard. EventSource cannot send an
// Authorization header, so the same text/event-stream is parsed here: the bearer token stays
// a header, out of URLs (and so out of access logs and browser history). Reconnects 2 s
// after the stream ends or fails. Exposes window.HypersdkLive.
'use strict';
(function () {
  // Calls handlers[event](data) for every complete event of the stream at `url`;
  // onState(live, text) when the connection comes up or goes down. restart() drops the
  // current connection (a new token) and opens another.
  function stream(url, headers, handlers, onState) {
    let current = null;

    function dispatch(ev) {
      const h = handlers[ev.event];
      if (h) h(ev.data);
    }

    async function run(ctl) {
      try {
        const res = await fetch(url, {headers: headers(), signal: ctl.signal, cache: 'no-store',
                                      credentials: 'omit'});
        if (!res.ok) {
          onState(false, `not live (HTTP ${res.status})`);
        } else {
          onState(true, 'live');
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          let buf = '', ev = {event: 'message', data: []};
          for (;;) {
            const {value, done} = await reader.read();
            if (done) break;
            buf += decoder.decode(value, {stream: true});
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).replace(/\r$/, '');
              buf = buf.slice(nl + 1);
              if (line === '') {  // the blank line ends an event
                if (ev.data.length) dispatch({event: ev.event, data: ev.data.join('\n')});
                ev = {event: 'message', data: []};
              } else if (!line.startsWith(':')) {  // ':' starts a keep-alive comment
                const i = line.indexOf(':');
                const field = i < 0 ? line : line.slice(0, i);
                const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
                if (field === 'event') ev.event = val;
                if (field === 'data') ev.data.push(val);
              }
            }
          }
          onState(false, 'reconnecting…');
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        onState(false, 'reconnecting…');
      }
      if (current === ctl) setTimeout(() => { if (current === ctl) restart(); }, 2000);
    }

    function restart() {
      if (current) current.abort();
      const ctl = new AbortController();
      current = ctl;
      run(ctl);
    }

    return {restart};
  }

  window.HypersdkLive = {stream};
})();
