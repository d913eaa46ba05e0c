// townreports web page: search, a report with every metric highlighted
// where it was read, a township's indicator over the years, and a place's
// coverage (townships × years, which reports are stored). Plain
// JavaScript over the JSON API; the address bar holds the state (#/…).
"use strict";

const view = document.getElementById("view");
const form = document.getElementById("search");
const DOC_TYPES = {
  government_work_report: "政府工作报告",
  work_summary: "工作总结",
  work_summary_and_plan: "工作总结和计划",
  work_plan: "工作计划",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path) {
  const response = await fetch(path);
  const body = response.headers.get("content-type")?.includes("json") && !path.includes(".jsonl")
    ? await response.json()
    : await response.text();
  if (!response.ok) throw new Error(body.error || body || response.statusText);
  return body;
}

function place(r) {
  return [r.province, r.city, r.county, r.township].filter(Boolean).join(" ") || "（地点未识别）";
}

function years(r) {
  const parts = [];
  if (r.review_year) parts.push(`回顾 ${r.review_year}`);
  if (r.plan_year) parts.push(`计划 ${r.plan_year}`);
  return parts.join(" · ");
}

function showError(error) {
  view.replaceChildren(el("p", { class: "error" }, `出错了：${error.message}`));
}

async function showSearch(params) {
  for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  const page = await api(`/api/reports?${params}`);
  const list = el("ol", { class: "results" },
    page.reports.map((r) => el("li", {},
      el("a", { href: `#/report/${encodeURIComponent(r.id)}` }, r.title || r.id),
      el("div", { class: "meta" },
        [place(r), DOC_TYPES[r.doc_type] || r.doc_type, years(r), `${r.metrics} 项指标`, `${r.sources} 个来源`]
          .filter(Boolean).join(" · ")))));
  const pager = el("div", { class: "pager" });
  if (page.next_cursor) {
    const next = new URLSearchParams(params);
    next.delete("offset");
    next.set("cursor", page.next_cursor);
    pager.append(el("a", { href: `#/?${next}` }, "下一页 →"));
  }
  view.replaceChildren(
    el("p", { class: "summary" }, `共 ${page.total} 份报告，显示第 ${page.offset + 1}–${page.offset + page.reports.length} 份`),
    list, pager);
}

// The report text with each metric's span wrapped in <mark>. Spans count
// characters (code points), as the extractor does.
function highlighted(text, metrics) {
  const chars = Array.from(text);
  const spans = metrics
    .map((m, i) => ({ m, i, start: m.span?.start ?? -1, end: m.span?.end ?? -1 }))
    .filter((s) => s.start >= 0 && s.end > s.start && s.end <= chars.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out = el("div", { class: "text", id: "report-text" });
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue; // overlaps the previous highlight
    out.append(chars.slice(at, s.start).join(""));
    const m = s.m;
    const label = `${m.name}: ${m.value ?? ""}${m.unit ?? ""}${m.growth_pct != null ? `，增长 ${m.growth_pct}%` : ""}（${m.kind === "target" ? "目标" : "实际"}${m.year ? ` ${m.year}` : ""}）`;
    out.append(el("mark", {
      class: `metric ${m.kind}`, title: label, "data-metric": s.i, "data-name": m.name,
    }, chars.slice(s.start, s.end).join("")));
    at = s.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

async function showReport(id) {
  const { report: r, versions, targets } = await api(`/api/reports/${encodeURIComponent(id)}`);
  const d = r.division || {};
  const metrics = r.metrics || [];
  const code = d.code || "";
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "地点"), el("dd", {}, [d.province, d.city, d.county, d.township].filter(Boolean).join(" ") || "未识别", code ? ` (${code})` : ""),
    el("dt", {}, "类型"), el("dd", {}, DOC_TYPES[r.doc_type] || r.doc_type || "—"),
    el("dt", {}, "年份"), el("dd", {}, years(r) || "—"),
    r.meeting?.body ? [el("dt", {}, "会议"), el("dd", {}, r.meeting.body, r.meeting.date ? ` ${r.meeting.date}` : "")] : [],
    r.speaker?.name ? [el("dt", {}, "报告人"), el("dd", {}, [r.speaker.title, r.speaker.name].filter(Boolean).join(" "))] : [],
    el("dt", {}, "版本"), el("dd", {}, `${versions.length}`),
    el("dt", {}, "来源"), el("dd", {}, (r.sources || []).map((s) => el("div", {}, el("a", { href: s.url, rel: "noreferrer" }, s.url)))));
  const metricTable = el("table", { id: "metrics" },
    el("tr", {}, ["指标", "数值", "单位", "类型", "年份"].map((h) => el("th", {}, h))),
    metrics.map((m) => el("tr", {},
      el("td", {}, code.length >= 9
        ? el("a", { href: `#/chart/${code}/${encodeURIComponent(m.name)}`, title: "历年走势" }, m.name)
        : m.name),
      el("td", {}, m.value ?? (m.growth_pct != null ? `${m.growth_pct}%` : "")),
      el("td", {}, m.unit ?? ""),
      el("td", {}, m.kind === "target" ? "目标" : "实际"),
      el("td", {}, m.year ?? ""))));
  const targetTable = targets.length === 0 ? [] : [
    el("h3", {}, "目标与完成"),
    el("table", { id: "targets" },
      el("tr", {}, ["指标", "年份", "目标", "实际", "完成"].map((h) => el("th", {}, h))),
      targets.map((t) => el("tr", {},
        el("td", {}, t.indicator), el("td", {}, t.year ?? ""),
        el("td", {}, t.value ?? (t.growth_pct != null ? `${t.growth_pct}%` : ""), t.unit ?? ""),
        el("td", {}, t.actual_report_id
          ? el("a", { href: `#/report/${encodeURIComponent(t.actual_report_id)}` },
            `${t.actual_value ?? (t.actual_growth_pct != null ? `${t.actual_growth_pct}%` : "")}${t.actual_unit ?? ""}`)
          : "尚无"),
        el("td", { class: t.attained === true ? "yes" : t.attained === false ? "no" : "" },
          t.attained === true ? "达成" : t.attained === false ? "未达成" : "—"))))];
  view.replaceChildren(el("article", { class: "report" },
    el("h1", {}, r.title || r.id), facts,
    el("div", { class: "columns" },
      highlighted(r.text || "", metrics),
      el("aside", {}, el("h3", {}, `指标（${metrics.length}）`), metricTable, targetTable))));
}

async function showChart(code, indicator) {
  const params = new URLSearchParams({ code, indicator, kind: "actual" });
  const lines = (await api(`/api/metrics.jsonl?${params}`)).split("\n").filter(Boolean).map(JSON.parse);
  const byYear = new Map();
  for (const row of lines) {
    if (row.indicator !== indicator || row.year == null) continue;
    const value = row.value_normalized ?? row.value;
    if (value == null || byYear.has(row.year)) continue;
    byYear.set(row.year, { value, unit: row.unit_normalized ?? row.unit ?? "", report: row.report_id });
  }
  const points = [...byYear.entries()].sort((a, b) => a[0] - b[0]);
  const title = el("h1", {}, `${lines[0]?.township ?? code} · ${indicator}`);
  if (points.length === 0) {
    view.replaceChildren(title, el("p", { class: "summary" }, "没有这一指标的实际值。"));
    return;
  }
  const W = 720, H = 320, P = 48;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1].value);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  const x = (v) => P + (x1 === x0 ? (W - 2 * P) / 2 : ((v - x0) / (x1 - x0)) * (W - 2 * P));
  const y = (v) => H - P - (y1 === y0 ? 0 : ((v - y0) / (y1 - y0)) * (H - 2 * P));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  svg.setAttribute("id", "chart");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  add("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#888" });
  add("line", { x1: P, y1: P, x2: P, y2: H - P, stroke: "#888" });
  add("polyline", { points: points.map(([yr, p]) => `${x(yr)},${y(p.value)}`).join(" "), fill: "none", stroke: "#b3261e", "stroke-width": 2 });
  for (const [yr, p] of points) {
    add("circle", { cx: x(yr), cy: y(p.value), r: 4, fill: "#b3261e", class: "point" });
    add("text", { x: x(yr), y: H - P + 18, "text-anchor": "middle", "font-size": 12 }, yr);
    add("text", { x: x(yr), y: y(p.value) - 8, "text-anchor": "middle", "font-size": 11 }, `${p.value.toLocaleString("zh-CN")}`);
  }
  view.replaceChildren(title,
    el("p", { class: "summary" }, `单位：${points[0][1].unit} · ${points.length} 个年份`),
    el("div", { class: "chart" }, svg));
}

const TYPE_MARKS = {
  government_work_report: "报",
  work_summary: "结",
  work_summary_and_plan: "结计",
  work_plan: "计",
};

// Townships as rows, years as columns: a cell names the reports stored for
// that year, an empty cell is marked missing, so gaps show at a glance.
async function showCoverage(code) {
  const c = await api(`/api/coverage?code=${encodeURIComponent(code)}`);
  const withReports = c.townships.filter((t) => Object.keys(t.reports).length > 0).length;
  const withColumns = c.townships.filter((t) => t.columns).length;
  const legend = Object.entries(TYPE_MARKS).map(([type, mark]) => `${mark} = ${DOC_TYPES[type]}`).join("，");
  const head = el("tr", {}, el("th", {}, "乡镇"), el("th", {}, "栏目"), c.years.map((y) => el("th", {}, y)));
  const rows = c.townships.map((t) => el("tr", { "data-code": t.code },
    el("th", { scope: "row", title: `${t.county} ${t.code}` }, t.name),
    el("td", { class: t.columns ? "site" : "no-site" },
      t.columns ? el("a", { href: t.columns[0] }, `${t.columns.length} 个`) : (c.columns_known ? "无" : "?")),
    c.years.map((y) => {
      const types = t.reports[y] ?? [];
      return types.length
        ? el("td", { class: "stored", title: types.map((x) => DOC_TYPES[x] ?? x).join("、") },
          types.map((x) => TYPE_MARKS[x] ?? x).join(" "))
        : el("td", { class: "missing", title: "缺" }, "·");
    })));
  view.replaceChildren(
    el("h1", {}, `${c.name}（${c.code}）报告覆盖`),
    el("p", { class: "summary" },
      `${c.townships.length} 个乡镇，${withReports} 个有已存报告，${withColumns} 个找到栏目。${legend}；· = 缺。`),
    el("table", { class: "coverage", id: "coverage" }, el("thead", {}, head), el("tbody", {}, rows)));
}

async function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "report" && parts[1]) await showReport(parts[1]);
    else if (parts[0] === "chart" && parts[2]) await showChart(parts[1], parts[2]);
    else if (parts[0] === "coverage" && parts[1]) await showCoverage(parts[1]);
    else await showSearch(new URLSearchParams(query));
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "yes";
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) params.set(k, String(v).trim());
  location.hash = `#/?${params}`;
});
window.addEventListener("hashchange", route);
route();
