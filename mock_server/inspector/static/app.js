// The inspector page: polls /_admin/inspector/* every second and draws what the server holds.
// Hand-written SVG charts; no library. Every number drawn carries data-* attributes, so tests read the DOM.
"use strict";

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#ea580c", "#db2777", "#9333ea", "#ca8a04", "#475569"];
let activeTab = "requests";
let latestId = null;
let journalRows = [];
let timer = null;

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function fmt(n) {
  if (n === null || n === undefined) return "–";
  if (typeof n !== "number") return String(n);
  return Number.isInteger(n) ? n.toLocaleString("en") : n.toLocaleString("en", { maximumFractionDigits: 3 });
}

function timeOf(seconds) {
  const d = new Date(seconds * 1000);
  return d.toISOString().replace("T", " ").slice(0, 19);
}

// -- charts -------------------------------------------------------------------------------------
// series: [{name, color, type: line|area|column, points: [{x, y}], axis, cumulative}]
// opts: {labels, width, height, axes: {axis: {min, max, show}}, reverse (y grows down), labelshow}
function cartesian(series, opts) {
  const width = opts.width || 640, height = opts.height || 220, left = 48, right = 12, top = 12, bottom = 28;
  const labels = opts.labels;
  const svg = el("svg:svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, "data-points": 0 });
  const plotW = width - left - right, plotH = height - top - bottom;
  const n = Math.max(labels.length, 1);
  const step = plotW / n;
  const xOf = (i) => left + step * (i + 0.5);
  // One scale per y axis: the metrics that share an axis number share a scale.
  const scales = {};
  for (const s of series) {
    const axis = s.axis ?? "default";
    const conf = (opts.axes && opts.axes[axis]) || {};
    const scale = scales[axis] || (scales[axis] = { min: Infinity, max: -Infinity, conf });
    for (const p of s.points) { scale.min = Math.min(scale.min, p.y); scale.max = Math.max(scale.max, p.y); }
  }
  for (const scale of Object.values(scales)) {
    if (!isFinite(scale.min)) { scale.min = 0; scale.max = 1; }
    scale.min = Math.min(0, scale.min);
    if (scale.conf.min !== undefined && scale.conf.min !== null) scale.min = scale.conf.min;
    if (scale.conf.max !== undefined && scale.conf.max !== null) scale.max = scale.conf.max;
    if (scale.max <= scale.min) scale.max = scale.min + 1;
  }
  const yOf = (scale, y) => {
    const f = (y - scale.min) / (scale.max - scale.min);
    return opts.reverse ? top + f * plotH : top + plotH - f * plotH;
  };
  const firstScale = Object.values(scales)[0];
  for (let g = 0; g <= 4; g++) {
    const y = top + (plotH * g) / 4;
    svg.append(el("svg:line", { class: "grid", x1: left, x2: width - right, y1: y, y2: y }));
    const showAxis = !firstScale || firstScale.conf.show !== false;
    if (firstScale && showAxis) {
      const value = opts.reverse ? firstScale.min + ((firstScale.max - firstScale.min) * g) / 4
        : firstScale.max - ((firstScale.max - firstScale.min) * g) / 4;
      svg.append(el("svg:text", { x: 4, y: y + 3, text: fmt(Math.round(value * 100) / 100) }));
    }
  }
  const every = Math.ceil(n / 8);
  labels.forEach((label, i) => {
    if (i % every === 0) svg.append(el("svg:text", { x: xOf(i) - 20, y: height - 8, text: label }));
  });
  const columns = series.filter((s) => s.type === "column");
  let drawn = 0;
  series.forEach((s) => {
    const scale = scales[s.axis ?? "default"];
    const g = el("svg:g", { class: "series", "data-metric": s.name, "data-type": s.type, "data-color": s.color,
      "data-axis": s.axis ?? "" });
    const byX = new Map(s.points.map((p) => [p.x, p.y]));
    const pts = labels.map((label, i) => (byX.has(label) ? { i, x: label, y: byX.get(label) } : null)).filter(Boolean);
    if (s.type === "column") {
      const k = columns.indexOf(s), w = (step * 0.8) / columns.length;
      for (const p of pts) {
        const y0 = yOf(scale, Math.max(scale.min, 0)), y1 = yOf(scale, p.y);
        g.append(el("svg:rect", { class: "pt", x: xOf(p.i) - step * 0.4 + k * w, y: Math.min(y0, y1), width: w,
          height: Math.abs(y0 - y1), fill: s.color, "data-x": p.x, "data-y": p.y }));
      }
    } else {
      const coords = pts.map((p) => `${xOf(p.i)},${yOf(scale, p.y)}`).join(" ");
      if (s.type === "area" && pts.length) {
        const base = yOf(scale, Math.max(scale.min, 0));
        g.append(el("svg:polygon", { points: `${xOf(pts[0].i)},${base} ${coords} ${xOf(pts[pts.length - 1].i)},${base}`,
          fill: s.color, "fill-opacity": 0.25, stroke: "none" }));
      }
      g.append(el("svg:polyline", { points: coords, fill: "none", stroke: s.color, "stroke-width": 2 }));
      for (const p of pts) {
        g.append(el("svg:circle", { class: "pt", cx: xOf(p.i), cy: yOf(scale, p.y), r: 3, fill: s.color,
          "data-x": p.x, "data-y": p.y }));
      }
    }
    if (opts.labelshow) {
      for (const p of pts) g.append(el("svg:text", { x: xOf(p.i) - 8, y: yOf(scale, p.y) - 6, text: fmt(p.y) }));
    }
    drawn += pts.length;
    svg.append(g);
  });
  svg.setAttribute("data-points", drawn);
  return svg;
}

// Horizontal bars: one row a label, one bar a series.
function horizontal(series, labels, opts = {}) {
  const rowH = 18 * Math.max(series.length, 1), width = opts.width || 640, left = 110;
  const height = labels.length * (rowH + 6) + 10;
  const svg = el("svg:svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}` });
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  labels.forEach((label, i) => {
    const y = 5 + i * (rowH + 6);
    svg.append(el("svg:text", { x: 4, y: y + rowH / 2 + 3, text: label }));
    series.forEach((s, k) => {
      const p = s.points.find((q) => q.x === label);
      if (!p) return;
      const w = ((width - left - 40) * Math.max(p.y, 0)) / max;
      svg.append(el("svg:rect", { class: "pt", x: left, y: y + k * 18, width: w, height: 14, fill: s.color,
        "data-metric": s.name, "data-x": label, "data-y": p.y }));
      svg.append(el("svg:text", { x: left + w + 4, y: y + k * 18 + 11, text: fmt(p.y) }));
    });
  });
  return svg;
}

function pie(slices, { donut = false, size = 220 } = {}) {
  const svg = el("svg:svg", { class: "chart", width: size, height: size, viewBox: `0 0 ${size} ${size}` });
  const total = slices.reduce((a, s) => a + Math.max(s.value, 0), 0);
  const c = size / 2, r = size / 2 - 8;
  let angle = -Math.PI / 2;
  for (const s of slices) {
    const value = Math.max(s.value, 0);
    const sweep = total ? (value / total) * Math.PI * 2 : 0;
    const a2 = angle + sweep;
    const large = sweep > Math.PI ? 1 : 0;
    const d = sweep >= Math.PI * 2 - 1e-9
      ? `M ${c} ${c - r} A ${r} ${r} 0 1 1 ${c - 0.01} ${c - r} Z`
      : `M ${c} ${c} L ${c + r * Math.cos(angle)} ${c + r * Math.sin(angle)} A ${r} ${r} 0 ${large} 1 ${c + r * Math.cos(a2)} ${c + r * Math.sin(a2)} Z`;
    svg.append(el("svg:path", { class: "slice", d, fill: s.color, "data-metric": s.name, "data-value": s.value }));
    angle = a2;
  }
  if (donut) svg.append(el("svg:circle", { cx: c, cy: c, r: r * 0.55, fill: "#fff" }));
  return svg;
}

function legend(series) {
  return el("div", { class: "legend" }, series.map((s) => el("span", {}, el("i", { style: `background:${s.color}` }), s.name)));
}

// -- the journal --------------------------------------------------------------------------------
function journalQuery() {
  const params = new URLSearchParams({ limit: "200" });
  const service = document.getElementById("f-service").value;
  const status = document.getElementById("f-status").value.trim();
  const path = document.getElementById("f-path").value.trim();
  // The server's own journal filters (those of /_admin/requests); the path box finds its text anywhere in the
  // path, as a path_pattern.
  if (service) params.set("service", service);
  if (status) params.set("status", status);
  if (path) params.set("path_pattern", ".*" + escapeRegExp(path) + ".*");
  return params;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function refreshJournal(full) {
  const params = journalQuery();
  if (!full && latestId) params.set("after", latestId);
  const body = await getJSON(`/_admin/inspector/journal?${params}`);
  const replace = full || body.complete;
  journalRows = (replace ? [] : journalRows).concat(body.requests).slice(-200);
  latestId = body.latest;
  const tbody = document.querySelector("#journal tbody");
  if (replace || body.requests.length) {
    tbody.replaceChildren(...journalRows.slice().reverse().map(journalRow));
  }
  document.getElementById("request-count").textContent = journalRows.length;
}

function journalRow(e) {
  const errors = (e.validation_errors || []).map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join("; ");
  const retry = e.retry_count && e.retry_count !== "0" ? e.retry_count : "";
  return el("tr", { "data-id": e.id, "data-service": e.service, "data-status": e.status, on: { click: () => showEntry(e.id) } },
    el("td", { class: "time", text: timeOf(e.time) }),
    el("td", { class: "service", text: e.service || "" }),
    el("td", { class: "method", text: e.method }),
    el("td", { class: "path", text: e.path + (e.query ? `?${e.query}` : "") }),
    el("td", { class: `status s${String(e.status)[0]}`, text: e.status }),
    el("td", { class: "retry", text: retry }),
    el("td", { class: "errors", text: errors }));
}

async function showEntry(id) {
  const entry = await getJSON(`/_admin/inspector/journal/${encodeURIComponent(id)}`);
  document.querySelectorAll("#journal tr.selected").forEach((tr) => tr.classList.remove("selected"));
  const row = document.querySelector(`#journal tr[data-id="${id}"]`);
  if (row) row.classList.add("selected");
  document.getElementById("entry").hidden = false;
  document.getElementById("entry-id").textContent = id;
  const lines = [`${entry.method} ${entry.path}${entry.query ? "?" + entry.query : ""}`, `status ${entry.status}`, ""];
  for (const [k, v] of Object.entries(entry.headers || {})) lines.push(`${k}: ${v}`);
  lines.push("");
  if (entry.body_kept && entry.body) {
    let body = entry.body;
    if (!entry.body_truncated) {
      try { body = JSON.stringify(JSON.parse(entry.body), null, 2); } catch (_) { /* not JSON: as sent */ }
    }
    lines.push(body + (entry.body_truncated ? `\n… (cut: ${entry.body_bytes} bytes were sent)` : ""));
  } else if (entry.body_kept) {
    lines.push("(no body)");
  } else {
    lines.push(`(${entry.body_bytes || 0} bytes; this server's journal does not keep bodies)`);
  }
  if ((entry.validation_errors || []).length) lines.push("", "validation errors:", ...entry.validation_errors.map(String));
  document.getElementById("entry-body").textContent = lines.join("\n");
}

// -- StatHat ------------------------------------------------------------------------------------
function renderStathat(body) {
  const panel = document.getElementById("panel-stathat");
  const stats = body.stats.filter((s) => s.points);
  if (!stats.length) return panel.replaceChildren(el("p", { class: "empty", text: "No stat has a point yet." }));
  panel.replaceChildren(el("div", { class: "cards" }, stats.map((s, i) => {
    // Labels must stay unique (they are the x positions): the date, the time, or both.
    const span = s.series.length ? s.series[s.series.length - 1].t - s.series[0].t : 0;
    const label = (t) => (s.interval >= 86400 ? timeOf(t).slice(0, 10)
      : span < 86400 ? timeOf(t).slice(11) : timeOf(t).slice(5, 16));
    const labels = s.series.map((p) => label(p.t));
    const points = s.series.map((p) => ({ x: label(p.t), y: p.y }));
    const chart = cartesian([{ name: s.name, color: PALETTE[i % PALETTE.length], type: s.kind === "counter" ? "column" : "line", points }],
      { labels, width: 560, height: 180 });
    chart.querySelectorAll(".pt").forEach((node, k) => node.setAttribute("data-t", s.series[k].t));
    return el("section", { class: "card stat", "data-name": s.name, "data-kind": s.kind, "data-interval": s.interval },
      el("h2", { text: s.name }),
      el("h3", { text: `${s.kind} · ${s.kind === "counter" ? "sum" : "average"} per ${s.interval} s · ${s.points} points` }),
      el("div", { class: "summary-line" }, s.kind === "counter" ? "total " : "average ",
        el("b", { class: "summary", "data-value": s.summary, text: fmt(s.summary) })),
      chart);
  })));
}

// -- Cyfe ---------------------------------------------------------------------------------------
const CARTESIAN = { line: "line", spline: "line", area: "area", areaspline: "area", column: "column" };

function renderCyfe(body) {
  const panel = document.getElementById("panel-cyfe");
  const widgets = body.widgets.filter((w) => w.rows.length);
  if (!widgets.length) return panel.replaceChildren(el("p", { class: "empty", text: "No widget has rows yet." }));
  panel.replaceChildren(el("div", { class: "cards" }, widgets.map(renderWidget)));
}

function renderWidget(w) {
  const opt = (name, metric) => (w.options[name] || {})[metric];
  const flag = (name, metric) => String(opt(name, metric)) === "1";
  const label = w.label;
  const labels = w.rows.map((r) => String(r[label]));
  const series = w.metrics.map((m, i) => {
    let running = 0;
    const points = w.rows.filter((r) => r[m] !== undefined && r[m] !== null).map((r) => {
      const y = parseFloat(String(r[m]).replace("%", ""));
      running += y;
      return { x: String(r[label]), y: flag("cumulative", m) ? running : y };
    });
    const type = opt("type", m) || "line";
    return { name: m, color: opt("color", m) || PALETTE[i % PALETTE.length], type, points,
      axis: opt("yaxis", m) !== undefined ? String(opt("yaxis", m)) : "default" };
  });
  const first = series[0] ? series[0].type : "line";
  const heads = el("div", { class: "heads" }, w.metrics.map((m) => {
    const h = w.header[m] || {};
    const cmp = h.comparison;
    const cls = cmp === null || cmp === undefined ? "" : h.good ? "good" : "bad";
    const arrow = cmp === null || cmp === undefined ? "" : Number(cmp) >= 0 ? " ▲" : " ▼";
    return el("div", { class: "metric-head", "data-metric": m },
      el("span", { class: "label", text: m }),
      el("span", { class: "total", "data-value": h.total, text: fmt(h.total) }),
      el("span", { class: `comparison ${cls}`, "data-value": cmp ?? "", text: cmp === null || cmp === undefined ? "" : `${fmt(Number(cmp))}%${arrow}` }));
  }));
  let chart;
  if (first === "pie" || first === "donut") {
    chart = pie(series.map((s) => ({ name: s.name, color: s.color, value: Number((w.header[s.name] || {}).total) || 0 })),
      { donut: first === "donut" });
  } else if (first === "bar" || first === "funnel") {
    chart = horizontal(series, labels);
  } else {
    const axes = {};
    for (const m of w.metrics) {
      const axis = opt("yaxis", m) !== undefined ? String(opt("yaxis", m)) : "default";
      const a = axes[axis] || (axes[axis] = {});
      if (opt("yaxismin", m) !== undefined) a.min = Number(opt("yaxismin", m));
      if (opt("yaxismax", m) !== undefined) a.max = Number(opt("yaxismax", m));
      if (opt("yaxisshow", m) !== undefined) a.show = String(opt("yaxisshow", m)) !== "0";
    }
    const cart = series.map((s) => ({ ...s, type: CARTESIAN[s.type] || "line" }));
    chart = cartesian(cart, { labels, axes, reverse: w.metrics.some((m) => flag("reversegraph", m)),
      labelshow: w.metrics.some((m) => flag("labelshow", m)) });
  }
  chart.setAttribute("data-chart", first);
  return el("section", { class: "card wide widget", "data-key": w.key, "data-name": w.name },
    el("h2", { text: `${w.name} ` }, el("code", { text: w.key })),
    w.period ? el("h3", { text: `${w.period.current} vs ${w.period.previous}` }) : null,
    heads, chart, legend(series));
}

// -- Countly ------------------------------------------------------------------------------------
const DASH = [["total_sessions", "Total sessions"], ["total_users", "Total users"], ["new_users", "New users"],
  ["total_time", "Time spent"], ["avg_time", "Avg. time spent"], ["avg_requests", "Avg. requests received"]];

function renderCountly(body) {
  const panel = document.getElementById("panel-countly");
  panel.replaceChildren(el("div", { class: "cards" }, body.apps.map((app) => {
    if (!app.dashboard) return el("section", { class: "card app", "data-app-id": app.app_id }, el("h2", { text: app.name }),
      el("p", { class: "empty", text: "No admin member to read this app with." }));
    const nums = el("div", { class: "nums" }, DASH.map(([key, title]) => {
      const m = app.dashboard[key];
      const arrow = m.trend === "d" ? "▼" : "▲";
      return el("div", { class: "num", "data-key": key },
        el("span", { class: "label", text: title }),
        el("span", { class: "total", "data-value": m.total, text: fmt(m.total) }),
        el("span", { class: `change trend-${m.trend}`, "data-trend": m.trend, text: `${m.change} ${arrow}` }));
    }));
    const platforms = el("div", { class: "bars platforms" }, app.top.platforms.length ? app.top.platforms.map((p) =>
      el("div", { class: "bar-row", "data-name": p.name, "data-value": p.value, "data-percent": p.percent },
        el("span", { class: "bar-name", text: p.name }),
        el("span", { class: "bar", style: `width:${p.percent * 2}px` }),
        el("span", { text: `${fmt(p.value)} (${p.percent}%)` }))) : el("p", { class: "empty", text: "no sessions yet" }));
    const days = app.sessions_daily;
    const labels = days.map((d) => d.date.slice(5));
    const chart = cartesian([
      { name: "Total sessions", color: PALETTE[0], type: "area", points: days.map((d) => ({ x: d.date.slice(5), y: d.t })) },
      { name: "New users", color: PALETTE[2], type: "line", points: days.map((d) => ({ x: d.date.slice(5), y: d.n })) },
    ], { labels, width: 640, height: 200 });
    chart.classList.add("sessions");
    return el("section", { class: "card wide app", "data-app-id": app.app_id },
      el("h2", { text: `${app.name} ` }, el("code", { text: app.app_id })),
      el("h3", { text: `${app.period} (${app.timezone})` }), nums,
      el("h3", { text: "Top platforms" }), platforms,
      el("h3", { text: "Sessions, last 30 days" }), chart,
      legend([{ name: "Total sessions", color: PALETTE[0] }, { name: "New users", color: PALETTE[2] }]));
  })));
}

// -- Taplytics ----------------------------------------------------------------------------------
function renderTaplytics(body) {
  const panel = document.getElementById("panel-taplytics");
  const counts = el("div", { class: "nums" }, Object.entries(body.counts).map(([k, v]) =>
    el("div", { class: "num", "data-key": k }, el("span", { class: "label", text: k }),
      el("span", { class: "total", "data-value": v, text: fmt(v) }))));
  const users = el("table", { class: "users" },
    el("thead", {}, el("tr", {}, ["id", "user_id", "email", "name", "custom_data", "sessions"].map((h) => el("th", { text: h })))),
    el("tbody", {}, body.users.map((u) => el("tr", { class: "user", "data-user-id": u.user_id || "" },
      el("td", { text: u.id }), el("td", { text: u.user_id || "" }), el("td", { text: u.email || "" }),
      el("td", { text: u.name || [u.first_name, u.last_name].filter(Boolean).join(" ") }),
      el("td", { text: JSON.stringify(u.custom_data || {}) }), el("td", { text: u.session_count || 0 })))));
  const pushes = el("table", { class: "pushes" },
    el("thead", {}, el("tr", {}, ["id", "name", "alert", "filters", "matched", "delivered", "suppressed"].map((h) => el("th", { text: h })))),
    el("tbody", {}, body.pushes.map((p) => {
      const a = p.audience || {};
      const note = p.notification || {};
      return el("tr", { class: "push", "data-id": p.id },
        el("td", { text: p.id }), el("td", { text: p.name || "" }), el("td", { text: note.alert || p.alert || "" }),
        el("td", { text: JSON.stringify(p.filters || []) }),
        ...["matched", "delivered", "suppressed"].map((k) => {
          const ids = Array.isArray(a[k]) ? a[k] : [];
          return el("td", { class: k, "data-value": ids.length, title: ids.join(", ") },
            el("b", { text: fmt(ids.length) }), ids.length ? el("div", { class: "ids", text: ids.slice(0, 5).join(", ") + (ids.length > 5 ? " …" : "") }) : null);
        }));
    })));
  panel.replaceChildren(counts,
    el("div", { class: "card wide" }, el("h2", { text: "Push notifications and their audiences" }),
      body.pushes.length ? pushes : el("p", { class: "empty", text: "No push notification yet." })),
    el("div", { class: "card wide" }, el("h2", { text: `Users (latest ${body.users.length})` }),
      body.users.length ? users : el("p", { class: "empty", text: "No user yet." })));
}

// -- reports ------------------------------------------------------------------------------------
const WEEK = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function renderReports(body) {
  const panel = document.getElementById("panel-reports");
  const channels = body.channels.filter((c) => c.range);
  if (!channels.length) return panel.replaceChildren(el("p", { class: "empty", text: "No channel holds a report yet (mock-server --demo-data loads some)." }));
  panel.replaceChildren(el("div", { class: "cards" }, channels.map((c) => {
    const over = c.over_time.map((b) => ({ x: b.datetime_range_start.slice(0, 10), y: b.report_count }));
    const hours = Array.from({ length: 24 }, (_, h) => String(h));
    const perHour = c.per_day_hour.map((r) => ({ x: String(r.hour), y: r.report_count }));
    const perDay = c.per_week_day.map((r) => ({ x: WEEK[r.dow ?? r.day ?? 0], y: r.report_count }));
    const states = c.per_state.map((s) => s.name);
    const overChart = cartesian([{ name: "reports", color: PALETTE[0], type: "line", points: over }], { labels: over.map((p) => p.x) });
    overChart.classList.add("over-time");
    const hourChart = cartesian([{ name: "reports", color: PALETTE[1], type: "column", points: perHour }], { labels: hours, width: 480, height: 180 });
    hourChart.classList.add("per-day-hour");
    const dayChart = cartesian([{ name: "reports", color: PALETTE[2], type: "column", points: perDay }], { labels: WEEK, width: 320, height: 180 });
    dayChart.classList.add("per-week-day");
    const stateChart = horizontal([{ name: "reports", color: PALETTE[3], points: c.per_state.map((s) => ({ x: s.name, y: s.report_count })) }], states, { width: 480 });
    stateChart.classList.add("per-state");
    return el("section", { class: "card wide channel", "data-channel-id": c.id },
      el("h2", { text: `${c.name} (channel ${c.id})` }), el("h3", { text: `${c.range[0]} – ${c.range[1]}` }),
      el("h3", { text: `Reports over time (per ${c.over_time[0] ? c.over_time[0].datetime_range_width : "day"})` }), overChart,
      el("div", { class: "cards" },
        el("div", {}, el("h3", { text: "Per hour of day (UTC)" }), hourChart),
        el("div", {}, el("h3", { text: "Per week day" }), dayChart),
        el("div", {}, el("h3", { text: "Per state" }), stateChart)));
  })));
}

const RENDER = { stathat: renderStathat, cyfe: renderCyfe, countly: renderCountly, taplytics: renderTaplytics, reports: renderReports };

async function refreshService(name) {
  const body = await getJSON(`/_admin/inspector/${name}`);
  RENDER[name](body);
  document.getElementById(`panel-${name}`).setAttribute("data-loaded", "1");
}

async function tick(full = false) {
  const live = document.getElementById("live");
  try {
    await refreshJournal(full);
    if (activeTab !== "requests") await refreshService(activeTab);
    live.classList.remove("stale");
    live.textContent = "live";
    document.body.setAttribute("data-ticks", String(Number(document.body.getAttribute("data-ticks") || 0) + 1));
  } catch (err) {
    live.classList.add("stale");
    live.textContent = `offline: ${err.message}`;
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => { await tick(); schedule(); }, POLL_MS);
}

function selectTab(name) {
  activeTab = name;
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === `panel-${name}`));
  history.replaceState(null, "", `#${name}`);
  tick().then(schedule);
}

document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
for (const id of ["f-service", "f-status", "f-path"]) {
  document.getElementById(id).addEventListener("input", () => { latestId = null; tick(true).then(schedule); });
}
// A hash typed or followed (#countly, the back button) switches the tab without a reload.
window.addEventListener("hashchange", () => {
  const tab = location.hash.slice(1);
  if (tab !== activeTab && (RENDER[tab] || tab === "requests")) selectTab(tab);
});
const initial = location.hash.slice(1);
selectTab(RENDER[initial] ? initial : "requests");
