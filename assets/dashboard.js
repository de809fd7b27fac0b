// The hypersdk dashboard: reads the API with the tab's bearer token (sessionStorage, sent as
// an Authorization header, never a cookie), redraws on every change the server reports over
// GET /api/v1/events, and offers the operate actions (retry, cancel, replay, pause, resume,
// run now); the server decides whether the token may.
'use strict';
(function () {
  const TOKEN_KEY = 'hypersdk.token';
  const DAY_MS = 24 * 3600 * 1000;
  const $ = (sel) => document.querySelector(sel);

  const token = () => sessionStorage.getItem(TOKEN_KEY) || '';
  const headers = (extra) => {
    const h = Object.assign({Accept: 'application/json'}, extra || {});
    if (token()) h.Authorization = `Bearer ${token()}`;
    return h;
  };

  async function api(method, path, body) {
    const init = {method, headers: headers(body ? {'Content-Type': 'application/json'} : {}),
                  cache: 'no-store', credentials: 'omit'};
    if (body) init.body = JSON.stringify(body);
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return {status: res.status, ok: res.ok, data};
  }
  const errorText = (r) => (r.data && r.data.error ? r.data.error.message : `HTTP ${r.status}`);

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }
  function button(td, label, action, id) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.action = action;
    b.dataset.id = id;
    td.appendChild(b);
    return b;
  }
  const when = (t) => (t ? new Date(t).toLocaleString() : '');
  const fmtBytes = (n) => {
    if (n === null || n === undefined) return 'unknown';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  };
  const errorOf = (job) => {
    const e = job.error || (job.errors && job.errors.length ? job.errors[job.errors.length - 1].error || job.errors[job.errors.length - 1] : null);
    return e ? `${e.class || ''}: ${e.message || ''}` : '';
  };

  function banner(text) {
    const b = $('#banner');
    b.textContent = text || '';
    b.hidden = !text;
  }
  function status(text, isError) {
    const s = $('#action-status');
    s.textContent = text;
    s.className = isError ? 'action-status error' : 'action-status';
  }

  // ---- rendering ----
  function card(parent, label, value, cls) {
    const d = document.createElement('div');
    d.className = `card ${cls || ''}`;
    d.dataset.card = label;
    const l = document.createElement('div');
    l.className = 'label';
    l.textContent = label;
    const v = document.createElement('div');
    v.className = 'value';
    v.textContent = value;
    d.append(l, v);
    parent.appendChild(d);
  }

  function renderOverview(s) {
    const o = $('#overview');
    o.replaceChildren();
    card(o, 'health', s.health, s.health);
    card(o, 'ready', s.ready.status === 'pass' ? 'ready' : `not ready: ${s.ready.output}`, s.ready.status);
    if (s.workers) card(o, 'workers busy', `${s.workers.busy} / ${s.workers.total}`);
    const q = s.queue || {};
    const depth = ['waiting', 'queued', 'retrying'].reduce((n, k) => n + (q[k] || 0), 0);
    card(o, 'queue depth', depth);
    card(o, 'failed (all time)', q.failed || 0, (q.failed || 0) > 0 ? 'fail' : '');
    card(o, 'dead letters', s.dead_letters, s.dead_letters > 0 ? 'fail' : 'pass');
    for (const d of s.disk || []) card(o, `free disk (${d.path_kind})`, fmtBytes(d.free_bytes));
  }

  function renderCharts(s) {
    for (const span of ['24h', '7d']) {
      const r = (s.success && s.success[span]) || {by_type: [], by_schedule: []};
      const rows = r.by_type.map((x) => Object.assign({group: 'type', label: x.type}, x))
        .concat(r.by_schedule.map((x) => Object.assign({group: 'schedule', label: x.schedule}, x)));
      window.HypersdkCharts.rateChart($(`#chart-${span}`), rows);
    }
  }

  function fillTable(sel, items, fill, empty) {
    const body = $(`${sel} tbody`);
    body.replaceChildren();
    if (items.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(tr, empty, 'muted');
      td.colSpan = 8;
      body.appendChild(tr);
      return;
    }
    for (const it of items) {
      const tr = document.createElement('tr');
      fill(tr, it);
      body.appendChild(tr);
    }
  }

  function renderFailed(jobs, now) {
    const recent = jobs.filter((j) => j.finished_at && Date.parse(j.finished_at) >= now - DAY_MS);
    fillTable('#failed', recent, (tr, j) => {
      tr.dataset.job = j.id;
      cell(tr, j.id);
      cell(tr, j.type);
      cell(tr, j.target);
      cell(tr, errorOf(j), 'error');
      cell(tr, j.attempt);
      cell(tr, when(j.finished_at));
      const td = cell(tr, '');
      button(td, 'Retry', 'retry', j.id);
      button(td, 'Log', 'log', j.id);
    }, 'no failures in the last day');
  }

  function renderJobs(jobs) {
    fillTable('#jobs', jobs, (tr, j) => {
      tr.dataset.job = j.id;
      cell(tr, j.id);
      cell(tr, j.type);
      cell(tr, j.status, `status-${j.status}`);
      cell(tr, j.attempt);
      cell(tr, when(j.created_at));
      const td = cell(tr, '');
      if (['waiting', 'queued', 'running', 'retrying'].includes(j.status)) button(td, 'Cancel', 'cancel', j.id);
      if (['failed', 'cancelled'].includes(j.status)) button(td, 'Retry', 'retry', j.id);
      button(td, 'Log', 'log', j.id);
    }, 'no jobs yet');
  }

  function renderSchedules(list, summary) {
    const stats = new Map((summary.schedules || []).map((s) => [s.name, s]));
    fillTable('#schedules', list, (tr, s) => {
      tr.dataset.schedule = s.name;
      const st = stats.get(s.name) || {};
      cell(tr, s.name);
      cell(tr, s.cron);
      cell(tr, s.type);
      cell(tr, s.next_fire ? s.next_fire.local : '—');
      cell(tr, st.missed_24h || 0, st.missed_24h ? 'bad' : '');
      cell(tr, st.skipped_24h || 0);
      cell(tr, s.paused ? 'paused' : (s.enabled ? 'active' : 'disabled'));
      const td = cell(tr, '');
      if (s.paused) button(td, 'Resume', 'resume', s.name);
      else button(td, 'Pause', 'pause', s.name);
      button(td, 'Run now', 'run', s.name);
    }, 'no schedules');
  }

  function renderDlq(letters) {
    fillTable('#dlq', letters, (tr, d) => {
      const j = d;
      tr.dataset.job = j.id;
      cell(tr, j.id);
      cell(tr, j.type);
      cell(tr, d.dead_letter ? d.dead_letter.reason : '');
      cell(tr, errorOf(j), 'error');
      button(cell(tr, ''), 'Replay', 'replay', j.id);
    }, 'no dead letters');
  }

  function renderWorkflows(list) {
    const box = $('#workflows');
    box.replaceChildren();
    if (list.length === 0) {
      box.textContent = 'no workflows';
      return;
    }
    for (const w of list.slice(0, 8)) {
      const div = document.createElement('div');
      div.className = 'workflow';
      div.dataset.workflow = w.id;
      const h = document.createElement('div');
      h.textContent = `${w.id} ${w.name}: ${w.status}`;
      div.append(h, window.HypersdkCharts.workflowGraph(w.steps || []));
      box.appendChild(div);
    }
  }

  function renderDeliveries(r) {
    if (!r.ok) {
      fillTable('#deliveries', [], () => {}, errorText(r));
      return;
    }
    fillTable('#deliveries', (r.data.notifications || []).slice(0, 20), (tr, n) => {
      cell(tr, n.event);
      cell(tr, n.subject);
      cell(tr, n.receiver);
      cell(tr, n.status, n.status === 'failed' ? 'bad' : '');
      cell(tr, n.attempts);
      cell(tr, when(n.created_at));
    }, 'no deliveries');
  }

  async function renderExports(running) {
    const box = $('#exports');
    const rows = [];
    for (const j of running) {
      const r = await api('GET', `/api/v1/jobs/${encodeURIComponent(j.id)}`);
      if (r.ok && r.data.progress) rows.push(r.data);
    }
    box.replaceChildren();
    if (rows.length === 0) {
      box.textContent = 'nothing in progress';
      return;
    }
    for (const j of rows) {
      const p = j.progress;
      const div = document.createElement('div');
      div.className = 'progress-row';
      div.dataset.job = j.id;
      const label = document.createElement('span');
      label.textContent = `${j.id} ${j.type} ${j.target || ''}`;
      const bar = document.createElement('progress');
      bar.max = 100;
      if (p.percent !== null && p.percent !== undefined) bar.value = p.percent;
      const txt = document.createElement('span');
      txt.textContent = `${fmtBytes(p.done_bytes)} of ${p.total_bytes ? fmtBytes(p.total_bytes) : 'unknown size'}` +
        (p.eta_seconds ? `, ${Math.round(p.eta_seconds)} s left` : '');
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.textContent = 'Cancel';
      cancel.dataset.action = 'cancel';
      cancel.dataset.id = j.id;
      div.append(label, bar, txt, cancel);
      box.appendChild(div);
    }
  }

  // ---- loading ----
  let loading = false, again = false;
  async function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      do {
        again = false;
        await load();
      } while (again);
    } catch (e) {
      banner(`cannot reach the server: ${e.message}`);
    } finally {
      loading = false;
    }
  }

  async function load() {
    const summary = await api('GET', '/api/v1/dashboard');
    if (summary.status === 401 || summary.status === 403) {
      banner(`${errorText(summary)}: enter a token above`);
      return;
    }
    if (!summary.ok) {
      banner(errorText(summary));
      return;
    }
    banner('');
    const s = summary.data;
    const [failed, jobs, running, schedules, dlq, workflows, deliveries] = await Promise.all([
      api('GET', '/api/v1/jobs?status=failed&limit=200'),
      api('GET', '/api/v1/jobs?limit=25'),
      api('GET', '/api/v1/jobs?status=running&limit=50'),
      api('GET', '/api/v1/schedules?limit=200'),
      api('GET', '/api/v1/dlq'),
      api('GET', '/api/v1/workflows'),
      api('GET', '/api/v1/notifications'),
    ]);
    renderOverview(s);
    renderCharts(s);
    renderFailed(failed.ok ? failed.data.jobs : [], s.now);
    renderJobs(jobs.ok ? jobs.data.jobs : []);
    renderSchedules(schedules.ok ? schedules.data.schedules : [], s);
    renderDlq(dlq.ok ? dlq.data.dead_letters : []);
    renderWorkflows(workflows.ok ? workflows.data.workflows : []);
    renderDeliveries(deliveries);
    await renderExports(running.ok ? running.data.jobs : []);
    document.body.dataset.loaded = String(Date.now());
  }

  // ---- live updates (live.js) ----
  function setLive(on, text) {
    const l = $('#live');
    l.className = `live ${on ? 'on' : 'off'}`;
    l.textContent = text;
  }
  const live = window.HypersdkLive.stream('/api/v1/events', () => headers({Accept: 'text/event-stream'}), {
    change: () => refresh(),
    heartbeat: () => setLive(true, `live, heartbeat ${new Date().toLocaleTimeString()}`),
  }, setLive);
  const follow = () => live.restart();

  // ---- actions ----
  const ACTIONS = {
    retry: (id) => ['POST', `/api/v1/jobs/${encodeURIComponent(id)}/retry`, `retried ${id}`],
    cancel: (id) => ['POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`, `cancel requested for ${id}`],
    replay: (id) => ['POST', `/api/v1/dlq/${encodeURIComponent(id)}/replay`, `replayed ${id}`],
    pause: (n) => ['POST', `/api/v1/schedules/${encodeURIComponent(n)}/pause`, `paused ${n}`],
    resume: (n) => ['POST', `/api/v1/schedules/${encodeURIComponent(n)}/resume`, `resumed ${n}`],
    run: (n) => ['POST', `/api/v1/schedules/${encodeURIComponent(n)}/run`, `started a run of ${n}`],
  };

  async function showLog(id) {
    const r = await api('GET', `/api/v1/jobs/${encodeURIComponent(id)}/logs`);
    const pre = $('#log');
    pre.hidden = false;
    pre.dataset.job = id;
    pre.textContent = r.ok
      ? `log of ${id}\n` + r.data.lines.map((l) => `${l.ts} ${l.stream}: ${l.line}`).join('\n')
      : `log of ${id}: ${errorText(r)}`;
  }

  document.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const {action, id} = b.dataset;
    if (action === 'log') return showLog(id);
    const make = ACTIONS[action];
    if (!make) return;
    const [method, path, done] = make(id);
    b.disabled = true;
    try {
      const r = await api(method, path, action === 'run' ? {} : undefined);
      if (r.ok) status(done, false);
      else status(`${action} ${id} refused: ${errorText(r)}`, true);
    } catch (err) {
      status(`${action} ${id} failed: ${err.message}`, true);
    } finally {
      b.disabled = false;
      refresh();
    }
  });

  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('#token').value.trim();
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    $('#token').value = '';
    status(v ? 'token set for this tab' : '', false);
    refresh();
    follow();
  });
  $('#token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    status('token forgotten', false);
    refresh();
    follow();
  });

  refresh();
  follow();
})();
