"""The review page's HTML, CSS and JavaScript (:mod:`.review` fills in ``__DATA__``).

Everything is inline and nothing is fetched, so the page works offline from ``file://``. File
and class names reach the page only through ``textContent``, never as markup.
"""

PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #f6f6f4; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 12px 20px; }
h1 { font-size: 18px; margin: 0 0 6px; }
.counts span, .pairs span { margin-right: 14px; }
.bar { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ddd;
       padding: 8px 20px; display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.bar label { font-size: 13px; }
.bar input[type=number] { width: 5em; }
#cards { padding: 14px 20px; display: grid; gap: 12px;
         grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); }
.card { background: #fff; border: 2px solid #ddd; border-radius: 6px; padding: 10px; }
.card:focus { outline: 3px solid #2a6fdb; }
.card.keep { border-color: #3a9a4a; } .card.remove { border-color: #c0392b; opacity: .6; }
.card.relabel { border-color: #d98e04; }
.main { display: flex; gap: 10px; }
img.px { image-rendering: pixelated; background: #000; }
.main img { width: 96px; height: 96px; object-fit: contain; }
.reasons b { background: #eee; border-radius: 3px; padding: 0 5px; margin-right: 4px; }
.scores { font-size: 12px; color: #555; }
.ev { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 8px; }
.ev figure { margin: 0; text-align: center; font-size: 11px; }
.ev img { width: 44px; height: 44px; object-fit: contain; }
.ev .same { color: #3a9a4a; } .ev .other { color: #c0392b; }
.scale { position: relative; height: 8px; background: linear-gradient(90deg, #000, #888, #ddd);
         border-radius: 4px; margin: 6px 0 2px; }
.scale i { position: absolute; top: -4px; width: 3px; height: 16px; background: #c0392b; }
.act { margin-top: 8px; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.act .state { font-weight: bold; margin-left: auto; }
.help { font-size: 12px; color: #555; }
</style></head>
<body>
<header>
  <h1 id="title"></h1>
  <div class="counts" id="counts"></div>
  <div class="pairs" id="pairs"></div>
  <div class="help" id="settings"></div>
  <div class="help">Keys: <kbd>j</kbd>/<kbd>&darr;</kbd> next, <kbd>&uarr;</kbd>/<kbd>p</kbd>
  previous, <kbd>k</kbd> keep, <kbd>r</kbd> remove, <kbd>s</kbd> relabel to the suggested
  class, <kbd>0</kbd>-<kbd>9</kbd> relabel to that class, <kbd>u</kbd> undo.
  Decisions are kept in this browser until you export them.</div>
</header>
<div class="bar">
  <label>reason <select id="f-reason"><option value="">all</option></select></label>
  <label>given &rarr; suggested <select id="f-pair"><option value="">all</option></select></label>
  <label>margin from <input id="f-min" type="number" step="0.05" min="-1" max="1"></label>
  <label>to <input id="f-max" type="number" step="0.05" min="-1" max="1"></label>
  <label>show <select id="f-state"><option value="">all</option>
    <option value="open">undecided</option><option value="done">decided</option></select></label>
  <label>sort <select id="f-sort"><option value="i">image index</option>
    <option value="margin">label margin</option><option value="information">information</option>
    <option value="duplicate NCD">duplicate distance</option></select></label>
  <span id="shown"></span>
  <button id="all-keep">keep all shown</button>
  <button id="all-remove">remove all shown</button>
  <button id="all-relabel">relabel all shown</button>
  <button id="export">export decisions.csv</button>
</div>
<main id="cards"></main>
<div id="more" style="height: 40px"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const CL = D.classes;
let dec = {};
try { dec = JSON.parse(localStorage.getItem(D.key) || "{}"); } catch (e) { dec = {}; }
const save = () => { try { localStorage.setItem(D.key, JSON.stringify(dec)); } catch (e) {} };
const el = (tag, text, cls) => { const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };

document.getElementById("title").textContent = D.title;
document.title = D.title;
const counts = document.getElementById("counts");
counts.append(el("span", D.cards.length + " of " + D.n_images + " images flagged"));
for (const [r, n] of Object.entries(D.by_reason)) counts.append(el("span", r + ": " + n));
const pairs = document.getElementById("pairs");
if (D.pairs.length) pairs.append(el("span", "most flagged (given \u2192 suggested):"));
for (const p of D.pairs.slice(0, 6)) pairs.append(el("span", p.given + " \u2192 " + p.suggested + " (" + p.n + ")"));
document.getElementById("settings").textContent = "settings: " + Object.entries(D.settings)
  .map(([k, v]) => k + " " + JSON.stringify(v)).join(", ");

const fReason = document.getElementById("f-reason"), fPair = document.getElementById("f-pair");
for (const r of Object.keys(D.by_reason)) fReason.append(new Option(r, r));
for (const p of D.pairs) fPair.append(new Option(p.given + " \u2192 " + p.suggested, p.given + "\u0000" + p.suggested));

function state(c) { const d = dec[c.i]; return d ? d.d : ""; }
function describe(c) {
  const d = dec[c.i];
  if (!d) return "undecided";
  return d.d === "relabel" ? "relabel \u2192 " + CL[d.l] : d.d;
}
function decide(c, d, label) {
  if (d === null) delete dec[c.i];
  else dec[c.i] = d === "relabel" ? { d: d, l: label } : { d: d };
  save();
  const card = document.querySelector('.card[data-i="' + c.i + '"]');
  if (card) paint(card, c);
}
function paint(card, c) {
  card.className = "card " + state(c);
  card.querySelector(".state").textContent = describe(c);
}

let shown = [], drawn = 0;
function filtered() {
  const r = fReason.value, p = fPair.value, st = document.getElementById("f-state").value;
  const lo = parseFloat(document.getElementById("f-min").value);
  const hi = parseFloat(document.getElementById("f-max").value);
  const key = document.getElementById("f-sort").value;
  let out = D.cards.filter(c => (!r || c.r.includes(r))
    && (!p || (c.s >= 0 && CL[c.y] + "\u0000" + CL[c.s] === p && c.r.includes("label")))
    && (isNaN(lo) || (c.sc.margin !== undefined && c.sc.margin >= lo))
    && (isNaN(hi) || (c.sc.margin !== undefined && c.sc.margin <= hi))
    && (!st || (st === "open") === !dec[c.i]));
  if (key !== "i") out = out.slice().sort((a, b) =>
    (a.sc[key] ?? Infinity) - (b.sc[key] ?? Infinity) || a.i - b.i);
  return out;
}
function thumb(src, alt, cls) {
  const im = el("img", undefined, "px " + (cls || ""));
  im.loading = "lazy"; im.decoding = "async"; im.src = src; im.alt = alt;
  return im;
}
function card(c) {
  const div = el("div", undefined, "card"); div.tabIndex = 0; div.dataset.i = c.i;
  const main = el("div", undefined, "main");
  main.append(thumb("thumbs/" + c.i + ".png", "image " + c.i));
  const info = el("div");
  info.append(el("div", "#" + c.i + (c.f ? "  " + c.f : "")));
  const lab = el("div", "given: " + CL[c.y] + (c.s >= 0 && c.s !== c.y ? "   suggested: " + CL[c.s] : ""));
  info.append(lab);
  const rs = el("div", undefined, "reasons");
  for (const r of c.r) rs.append(el("b", r));
  info.append(rs);
  info.append(el("div", Object.entries(c.sc).map(([k, v]) => k + " " + v).join(" \u00b7 "), "scores"));
  main.append(info); div.append(main);
  if (c.nb) {
    const ev = el("div", undefined, "ev");
    ev.append(el("span", "nearest:"));
    for (const [j, d] of c.nb) {
      const f = el("figure"); const jy = labelOf(j);
      f.append(thumb("thumbs/" + j + ".png", "neighbor " + j));
      f.append(el("figcaption", (jy === null ? "#" + j : CL[jy]) + " " + d.toFixed(2), jy === c.y ? "same" : "other"));
      ev.append(f);
    }
    div.append(ev);
  }
  if (c.dup !== undefined || c.leak !== undefined) {
    const ev = el("div", undefined, "ev");
    if (c.dup !== undefined) { const f = el("figure"); f.append(thumb("thumbs/" + c.dup + ".png", "kept " + c.dup));
      f.append(el("figcaption", "kept #" + c.dup)); ev.append(el("span", "copy of:")); ev.append(f); }
    if (c.leak !== undefined) { const f = el("figure"); f.append(thumb("thumbs/test-" + c.leak + ".png", "test " + c.leak));
      f.append(el("figcaption", "test #" + c.leak)); ev.append(el("span", "in the test set:")); ev.append(f); }
    div.append(ev);
  }
  if (c.sc.information !== undefined && (c.r.includes("blank") || c.r.includes("noise") || c.r.includes("outlier"))) {
    const s = el("div", undefined, "scale"); const m = el("i");
    m.style.left = Math.max(0, Math.min(100, 100 * c.sc.information)) + "%"; s.append(m);
    div.append(el("div", "information score: 0 constant \u2026 1 uniform noise", "help")); div.append(s);
  }
  const act = el("div", undefined, "act");
  const b = (t, f) => { const x = el("button", t); x.addEventListener("click", f); act.append(x); };
  b("keep (k)", () => decide(c, "keep"));
  b("remove (r)", () => decide(c, "remove"));
  if (c.s >= 0 && c.s !== c.y) b("relabel \u2192 " + CL[c.s] + " (s)", () => decide(c, "relabel", c.s));
  const sel = el("select"); sel.append(new Option("relabel to\u2026", ""));
  CL.forEach((n, k) => sel.append(new Option(k + ": " + n, k)));
  sel.addEventListener("change", () => { if (sel.value !== "") decide(c, "relabel", +sel.value); sel.value = ""; });
  act.append(sel);
  act.append(el("span", "", "state"));
  div.append(act);
  div.addEventListener("focus", () => { current = shown.indexOf(c); });
  paint(div, c);
  return div;
}
const labels = new Map(D.cards.map(c => [c.i, c.y]));
const neighborLabels = D.neighbor_labels || {};
function labelOf(j) { return labels.has(j) ? labels.get(j) : (j in neighborLabels ? neighborLabels[j] : null); }

const box = document.getElementById("cards");
function drawMore(n) {
  const frag = document.createDocumentFragment();
  const end = Math.min(shown.length, drawn + n);
  for (; drawn < end; drawn++) frag.append(card(shown[drawn]));
  box.append(frag);
}
function redraw() {
  shown = filtered(); drawn = 0; box.textContent = ""; current = -1;
  document.getElementById("shown").textContent = shown.length + " shown";
  drawMore(60);
}
new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) drawMore(120); })
  .observe(document.getElementById("more"));
for (const id of ["f-reason", "f-pair", "f-min", "f-max", "f-state", "f-sort"])
  document.getElementById(id).addEventListener("change", redraw);

let current = -1;
function focusCard(k) {
  if (!shown.length) return;
  current = Math.max(0, Math.min(shown.length - 1, k));
  if (current >= drawn) drawMore(current - drawn + 60);
  const c = document.querySelector('.card[data-i="' + shown[current].i + '"]');
  c.focus(); c.scrollIntoView({ block: "nearest" });
}
document.addEventListener("keydown", e => {
  if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
  const c = current >= 0 ? shown[current] : null;
  const k = e.key;
  if (k === "j" || k === "ArrowDown") { focusCard(current + 1); }
  else if (k === "p" || k === "ArrowUp") { focusCard(current - 1); }
  else if (c && k === "k") { decide(c, "keep"); focusCard(current + 1); }
  else if (c && k === "r") { decide(c, "remove"); focusCard(current + 1); }
  else if (c && k === "s" && c.s >= 0 && c.s !== c.y) { decide(c, "relabel", c.s); focusCard(current + 1); }
  else if (c && k === "u") { decide(c, null); }
  else if (c && /^[0-9]$/.test(k) && +k < CL.length) { decide(c, "relabel", +k); focusCard(current + 1); }
  else return;
  e.preventDefault();
});
const all = d => () => { for (const c of shown) {
  if (d !== "relabel") decide(c, d); else if (c.s >= 0 && c.s !== c.y) decide(c, d, c.s); } };
document.getElementById("all-keep").addEventListener("click", all("keep"));
document.getElementById("all-remove").addEventListener("click", all("remove"));
document.getElementById("all-relabel").addEventListener("click", all("relabel"));

function csvField(v) { v = String(v); return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }
document.getElementById("export").addEventListener("click", () => {
  const rows = [["index", "file", "decision", "label"]];
  for (const c of D.cards) {
    const d = dec[c.i]; if (!d) continue;
    rows.push([c.i, c.f || "", d.d, d.d === "relabel" ? CL[d.l] : d.d === "keep" ? CL[c.y] : ""]);
  }
  const blob = new Blob([rows.map(r => r.map(csvField).join(",")).join("\r\n") + "\r\n"], { type: "text/csv" });
  const a = el("a"); a.href = URL.createObjectURL(blob); a.download = "decisions.csv";
  document.body.append(a); a.click(); a.remove();
});
redraw();
</script>
</body></html>
"""
