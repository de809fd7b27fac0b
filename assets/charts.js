// Plain SVG drawing for the dashboard (no chart library, no inline styles: the page's
// Content-Security-Policy allows neither). Exposes window.HypersdkCharts.
'use strict';
(function () {
  const NS = 'http://www.w3.org/2000/svg';

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function rateClass(rate) {
    if (rate >= 0.95) return 'good';
    if (rate >= 0.8) return 'poor';
    return 'bad';
  }

  // rows: [{label, group, rate (0..1 or null), succeeded, failed, cancelled}]. One horizontal
  // bar per row with its rate; a row without decided jobs shows "no data".
  function rateChart(container, rows) {
    container.replaceChildren();
    if (rows.length === 0) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'no finished jobs in this period';
      container.appendChild(p);
      return;
    }
    const rowH = 22, labelW = 170, barW = 220, pad = 4;
    const height = rows.length * rowH + pad * 2;
    const svg = el('svg', {width: labelW + barW + 60, height, role: 'img',
                           'aria-label': 'success rate per job type and schedule'});
    rows.forEach((r, i) => {
      const y = pad + i * rowH;
      svg.appendChild(el('text', {x: 0, y: y + 15}, `${r.group}: ${r.label}`));
      svg.appendChild(el('rect', {class: 'track', x: labelW, y: y + 3, width: barW, height: rowH - 6}));
      const g = el('g', {class: 'datum', 'data-key': `${r.group}:${r.label}`,
                         'data-rate': r.rate === null ? '' : r.rate});
      if (r.rate !== null) {
        g.appendChild(el('rect', {class: `bar ${rateClass(r.rate)}`, x: labelW, y: y + 3,
                                  width: Math.max(1, Math.round(barW * r.rate)), height: rowH - 6}));
      }
      const pct = r.rate === null ? 'no data' : `${(r.rate * 100).toFixed(1)} %`;
      g.appendChild(el('text', {x: labelW + barW + 6, y: y + 15}, pct));
      g.appendChild(el('title', {}, `${r.succeeded} succeeded, ${r.failed} failed, ${r.cancelled} cancelled`));
      svg.appendChild(g);
    });
    container.appendChild(svg);
  }

  // A workflow's steps as a layered graph: a step's column is the length of its longest
  // chain of upstreams; edges run from each upstream to the step.
  function workflowGraph(steps) {
    const byName = new Map(steps.map((s) => [s.name, s]));
    const depth = new Map();
    const depthOf = (name, seen) => {
      if (depth.has(name)) return depth.get(name);
      if (seen.has(name)) return 0;  // a cycle cannot be stored; stay finite regardless
      seen.add(name);
      const s = byName.get(name);
      const ups = (s && s.depends_on) || [];
      const d = ups.length === 0 ? 0 : 1 + Math.max(...ups.map((u) => depthOf(u, seen)));
      depth.set(name, d);
      return d;
    };
    steps.forEach((s) => depthOf(s.name, new Set()));
    const columns = [];
    steps.forEach((s) => {
      const d = depth.get(s.name);
      (columns[d] = columns[d] || []).push(s);
    });
    const nodeW = 120, nodeH = 34, gapX = 40, gapY = 12;
    const pos = new Map();
    columns.forEach((col, ci) => col.forEach((s, ri) => {
      pos.set(s.name, {x: 4 + ci * (nodeW + gapX), y: 4 + ri * (nodeH + gapY)});
    }));
    const rows = Math.max(1, ...columns.map((c) => c.length));
    const svg = el('svg', {width: 8 + columns.length * (nodeW + gapX), height: 8 + rows * (nodeH + gapY),
                           role: 'img', 'aria-label': 'workflow steps'});
    steps.forEach((s) => (s.depends_on || []).forEach((u) => {
      const a = pos.get(u), b = pos.get(s.name);
      if (!a || !b) return;
      svg.appendChild(el('line', {class: 'edge', x1: a.x + nodeW, y1: a.y + nodeH / 2,
                                  x2: b.x, y2: b.y + nodeH / 2}));
    }));
    steps.forEach((s) => {
      const p = pos.get(s.name);
      const g = el('g', {class: 'step', 'data-step': s.name, 'data-state': s.state});
      g.appendChild(el('rect', {class: `node ${s.state}`, x: p.x, y: p.y, width: nodeW, height: nodeH, rx: 4}));
      g.appendChild(el('text', {x: p.x + 6, y: p.y + 14}, s.name));
      g.appendChild(el('text', {x: p.x + 6, y: p.y + 28}, s.state));
      g.appendChild(el('title', {}, `${s.name} (${s.type}): ${s.state}`));
      svg.appendChild(g);
    });
    return svg;
  }

  window.HypersdkCharts = {rateChart, workflowGraph};
})();
