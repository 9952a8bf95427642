// The live page of `rotordx serve`: no build step, no library. It polls the API
// (GET /v1/machines every 2 s, ?poll=MS to change it) and redraws a machine when its
// latest diagnosis changes: verdict and evidence, latest spectrum with the running-speed
// orders and the bearing defect frequencies marked, trends of severity and of 1x/2x.
"use strict";

const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(250, Number(params.get("poll")) || 2000);
const state = { key: sessionStorage.getItem("rotordx-key") || "", machines: [], selected: params.get("machine"), shown: null, detail: null, history: [] };
const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";

async function api(path) {
  const headers = state.key ? { Authorization: `Bearer ${state.key}` } : {};
  const r = await fetch(path, { headers, cache: "no-store" });
  if (r.status === 401) { $("keyform").hidden = false; throw new Error("an API key is needed"); }
  if (!r.ok) { let d = r.statusText; try { d = (await r.json()).detail; } catch (e) { /* not JSON */ } throw new Error(`${r.status}: ${d}`); }
  return r.json();
}

function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(digits)).toString();
}
function ago(iso) {
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toISOString().slice(0, 16).replace("T", " ");
}
function verdictClass(v) { return v === "normal" ? "normal" : v === "inconclusive" ? "inconclusive" : "fault"; }
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function badge(verdict) { return el("span", { class: `badge verdict ${verdictClass(verdict)}` }, verdict); }
function zone(z) { return el("span", { class: `zone ${z || ""}` }, z || "–"); }

// -- the list of machines -----------------------------------------------------------------------

function renderMachines() {
  const body = document.querySelector("#machines tbody");
  body.replaceChildren();
  $("empty").hidden = state.machines.length > 0;
  for (const m of state.machines) {
    const tr = el("tr", { "data-machine": m.name, "data-latest": m.latest ? m.latest.id : "" });
    if (m.name === state.selected) tr.classList.add("selected");
    const l = m.latest;
    tr.append(el("td", {}, m.name));
    const st = el("td", { class: "state" }); if (l) st.append(badge(l.verdict)); else st.textContent = "no data";
    const sev = el("td", { class: "severity" });
    if (l) { sev.append(zone(l.severity.zone)); sev.append(` ${fmt(l.severity.velocity_rms_mm_s)} mm/s`); }
    tr.append(st, sev, el("td", {}, l && l.rpm ? fmt(l.rpm, 4) : "–"), el("td", { class: "muted" }, l ? ago(l.time) : "–"), el("td", {}, String(m.diagnoses)));
    tr.addEventListener("click", () => select(m.name));
    body.append(tr);
  }
}

function select(name) {
  state.selected = name; state.shown = null;
  const u = new URL(location.href); u.searchParams.set("machine", name); history.replaceState(null, "", u);
  renderMachines();
  refreshDetail();
}

// -- the selected machine -----------------------------------------------------------------------

async function refreshDetail() {
  const name = state.selected;
  if (!name) return;
  const [detail, hist] = await Promise.all([
    api(`/v1/machines/${encodeURIComponent(name)}`),
    api(`/v1/machines/${encodeURIComponent(name)}/history?limit=500`),
  ]);
  if (name !== state.selected) return;
  state.detail = detail; state.history = hist;
  state.shown = detail.latest ? detail.latest.id : -1;
  renderDetail();
}

function renderDetail() {
  const d = state.detail;
  $("detail").hidden = false;
  $("detail-name").textContent = d.name;
  const meta = [d.bearing ? `bearing ${d.bearing}` : "bearing not set", d.rpm ? `${d.rpm} rpm (nominal)` : "speed estimated", d.units ? `sensors in ${d.units}` : "", `${d.diagnoses} diagnoses`];
  $("detail-meta").textContent = meta.filter(Boolean).join(" · ");
  const dx = d.diagnosis;
  const v = $("detail-verdict");
  if (!dx) {
    v.className = "badge"; v.textContent = "no diagnosis yet";
    $("detail-confidence").textContent = ""; $("detail-meaning").textContent = ""; $("detail-zone").textContent = "";
    $("detail-evidence").replaceChildren();
  } else {
    v.className = `badge verdict ${verdictClass(dx.verdict)}`; v.textContent = dx.verdict;
    v.dataset.id = String(d.latest.id);
    $("detail-confidence").textContent = `confidence ${fmt(dx.confidence, 2)} · ${fmt(dx.rpm, 4)} rpm (${dx.rpm_source}) · ${ago(d.latest.time)}`;
    const z = $("detail-zone"); z.className = `zone ${dx.severity.zone || ""}`; z.textContent = dx.severity.zone || "";
    z.title = `${fmt(dx.severity.velocity_rms_mm_s)} mm/s at ${dx.severity.channel}`;
    $("detail-meaning").textContent = dx.meaning + (dx.faults.length ? ` — faults: ${dx.faults.join(", ")}` : "");
    $("detail-evidence").replaceChildren(...dx.evidence.map((s) => el("li", {}, s)));
  }
  const sel = $("channel");
  const chans = d.spectrum ? d.spectrum.channels : [];
  if ([...sel.options].map((o) => o.value).join() !== chans.map((_, i) => String(i)).join()) {
    sel.replaceChildren(...chans.map((c, i) => el("option", { value: String(i) }, c)));
  }
  drawSpectrum(); drawTrends();
}

function decode(b64) {
  const bin = atob(b64); const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// -- plots (SVG) ----------------------------------------------------------------------------------

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function ticks(lo, hi, n = 5) {
  const span = hi - lo || 1; const step0 = span / n; const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = []; for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) out.push(t);
  return out;
}

function timeTicks(lo, hi) {
  const steps = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080, 43200].map((m) => m * 60000);
  const step = steps.find((s) => (hi - lo) / s <= 8) || steps[steps.length - 1];
  const out = []; for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
  return out;
}

// series: [{x: [], y: [], color, label}]; opts: {xlabel, ylabel, marks: [{x, label, kind}], hlines: [{y, label, color}], time}
function plot(svg, series, opts) {
  const W = 900, H = Number(svg.getAttribute("viewBox").split(" ")[3]);
  const L = 58, R = 14, T = opts.marks && opts.marks.length ? 26 : 12, B = 34;
  svg.replaceChildren();
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y).filter((v) => Number.isFinite(v));
  if (!xs.length || !ys.length) { svg.append(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, opts.empty || "no data yet")); return; }
  let x0 = opts.xmin ?? Math.min(...xs), x1 = opts.xmax ?? Math.max(...xs);
  if (x1 <= x0) { x0 -= 1; x1 += 1; }
  let y1 = Math.max(...ys, ...(opts.hlines || []).map((h) => h.y)) * 1.08 || 1;
  const y0 = 0;
  const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R), sy = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  for (const t of ticks(y0, y1)) {
    svg.append(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: sy(t), y2: sy(t) }));
    svg.append(svgEl("text", { x: L - 6, y: sy(t) + 4, "text-anchor": "end" }, fmt(t)));
  }
  for (const t of opts.time ? timeTicks(x0, x1) : ticks(x0, x1, 8)) {
    const label = opts.time ? new Date(t).toISOString().slice(5, 16).replace("T", " ") : fmt(t);
    svg.append(svgEl("text", { x: sx(t), y: H - B + 15, "text-anchor": "middle" }, label));
  }
  svg.append(svgEl("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  svg.append(svgEl("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  if (opts.xlabel) svg.append(svgEl("text", { x: W - R, y: H - 4, "text-anchor": "end" }, opts.xlabel));
  if (opts.ylabel) svg.append(svgEl("text", { x: 4, y: T - 2 }, opts.ylabel));
  for (const h of opts.hlines || []) {
    if (h.y > y1) continue;
    svg.append(svgEl("line", { class: "zoneline", x1: L, x2: W - R, y1: sy(h.y), y2: sy(h.y), stroke: h.color }));
    svg.append(svgEl("text", { x: W - R - 2, y: sy(h.y) - 3, "text-anchor": "end" }, h.label));
  }
  for (const m of opts.marks || []) {
    if (m.x < x0 || m.x > x1) continue;
    svg.append(svgEl("line", { class: `mark ${m.kind}`, x1: sx(m.x), x2: sx(m.x), y1: T, y2: H - B }));
    svg.append(svgEl("text", { class: m.kind, x: sx(m.x), y: m.kind === "order" ? T - 4 : T + 10, "text-anchor": "middle" }, m.label));
  }
  series.forEach((s, k) => {
    let d = "";
    s.x.forEach((x, i) => { if (Number.isFinite(s.y[i]) && x >= x0 && x <= x1) d += `${d ? "L" : "M"}${sx(x).toFixed(1)},${sy(s.y[i]).toFixed(1)}`; });
    svg.append(svgEl("path", { d, fill: "none", stroke: s.color, "stroke-width": 1.3 }));
    if (opts.dots) s.x.forEach((x, i) => { if (Number.isFinite(s.y[i])) svg.append(svgEl("circle", { cx: sx(x), cy: sy(s.y[i]), r: 2.2, fill: s.color })); });
    if (s.label) svg.append(svgEl("text", { x: L + 10 + 90 * k, y: T + 12, fill: s.color, style: `fill:${s.color}` }, s.label));
  });
}

function drawSpectrum() {
  const d = state.detail, svg = $("spectrum");
  if (!d || !d.spectrum) { plot(svg, [], { empty: "no spectrum yet" }); return; }
  const s = d.spectrum, ch = Number($("channel").value || 0), vel = $("quantity").value === "v";
  const amp = decode(s.amplitudes[Math.min(ch, s.amplitudes.length - 1)]);
  const x = [], y = [];
  for (let i = 0; i < amp.length; i++) {
    const f = s.f0 + i * s.df; if (f <= 0 && vel) continue;
    x.push(f); y.push(vel ? (f < 2 ? NaN : amp[i] / (2 * Math.PI * f) * 1000) : amp[i]);
  }
  const shaft = d.marks.shaft_hz, upto = Number($("fmax").value);
  const xmax = shaft && upto ? Math.min(x[x.length - 1], upto * shaft) : x[x.length - 1];
  const marks = d.marks.orders.map((o) => ({ x: o.hz, label: o.label, kind: "order" }))
    .concat(Object.entries(d.marks.bearing).map(([k, hz]) => ({ x: hz, label: k, kind: "bearing" })));
  plot(svg, [{ x, y, color: "#1d2733" }], { xlabel: "Hz", ylabel: vel ? "mm/s" : "m/s²", marks, xmin: 0, xmax });
}

function drawTrends() {
  const d = state.detail, h = [...state.history].reverse();
  const t = h.map((r) => Date.parse(r.time));
  const zl = d.zones;
  plot($("trend-severity"), [{ x: t, y: h.map((r) => r.severity.velocity_rms_mm_s ?? NaN), color: "#2864b4", label: "velocity RMS" }],
    { ylabel: "mm/s", time: true, dots: true, hlines: [{ y: zl.ab, label: "A|B", color: "#8fbf3f" }, { y: zl.bc, label: "B|C", color: "#e3a21a" }, { y: zl.cd, label: "C|D", color: "#d2452f" }] });
  plot($("trend-orders"), [
    { x: t, y: h.map((r) => r.orders["1x"] ?? NaN), color: "#2864b4", label: "1x" },
    { x: t, y: h.map((r) => r.orders["2x"] ?? NaN), color: "#b0408f", label: "2x" },
  ], { ylabel: "mm/s", time: true, dots: true });
}

// -- polling --------------------------------------------------------------------------------------

async function poll() {
  try {
    state.machines = await api("/v1/machines");
    if (!state.selected && state.machines.length) state.selected = state.machines[0].name;
    renderMachines();
    const m = state.machines.find((x) => x.name === state.selected);
    const latest = m && m.latest ? m.latest.id : -1;
    if (m && latest !== state.shown) await refreshDetail();
    const st = $("status"); st.className = "status";
    st.textContent = `${state.machines.length} machine(s) · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    const st = $("status"); st.className = "status error"; st.textContent = String(e.message || e);
  }
  setTimeout(poll, POLL_MS);
}

$("keyform").addEventListener("submit", (ev) => {
  ev.preventDefault(); state.key = $("key").value.trim(); sessionStorage.setItem("rotordx-key", state.key);
  $("keyform").hidden = true;
});
for (const id of ["channel", "quantity", "fmax"]) $(id).addEventListener("change", drawSpectrum);
api("/v1/model").then((m) => { document.title = `rotordx — ${m.kind === "physics" ? "physics" : m.name}`; }).catch(() => {});
poll();
