import type { Table } from './format.js';
import { DEFINITIONS, layoutReport, type Section } from './layout.js';
import type { PeriodReport } from './report-data.js';

export type ReportFormat = 'md' | 'html' | 'csv' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'csv', 'json'];

export interface RenderedReport {
  content: string;
  contentType: string;
  /** File name extension, without the dot. */
  extension: string;
}

const CONTENT_TYPES: Record<ReportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
};

export function renderReport(report: PeriodReport, format: ReportFormat): RenderedReport {
  const content = ((): string => {
    switch (format) {
      case 'md':
        return renderMarkdown(report);
      case 'html':
        return renderHtml(report);
      case 'csv':
        return renderCsv(report);
      case 'json':
        return `${JSON.stringify(report, null, 2)}\n`;
    }
  })();
  return { content, contentType: CONTENT_TYPES[format], extension: format };
}

export function reportTitle(report: PeriodReport): string {
  return `Maintenance report — ${report.site.name} — ${report.period.label}`;
}

// ---- Markdown ----

/** A cell on one line, with the characters that would break a table or the emphasis escaped. */
function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`<>[\]])/g, '\\$1').replace(/\r?\n/g, ' ');
}

function mdTable(t: Table): string[] {
  if (t.rows.length === 0) return [`_${t.empty ?? 'Nothing to show.'}_`];
  return [`| ${t.header.map(mdCell).join(' | ')} |`, `|${t.header.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)];
}

export function renderMarkdown(report: PeriodReport): string {
  const lines: string[] = [`# ${mdCell(reportTitle(report))}`, ''];
  for (const s of layoutReport(report, 'human')) {
    lines.push(`## ${s.title}`, '');
    for (const p of s.paragraphs) lines.push(mdCell(p), '');
    for (const t of s.tables) {
      if (s.tables.length > 1 || t.title !== s.title) lines.push(`### ${t.title}`, '');
      lines.push(...mdTable(t), '');
    }
  }
  lines.push('## Definitions', '', ...DEFINITIONS.map(([k, v]) => `- **${k}**: ${mdCell(v)}`), '');
  return lines.join('\n');
}

// ---- HTML ----

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);
}

const CSS = `
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;color:#1d2733;max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:22px;border-bottom:3px solid #1f5c99;padding-bottom:6px}
h2{font-size:18px;color:#1f5c99;margin-top:28px;border-bottom:1px solid #d5dde6;padding-bottom:3px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d5dde6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3f8}
tr:nth-child(even) td{background:#f8fafc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.empty{color:#6b7785;font-style:italic}
.headline td:nth-child(2){font-weight:600;font-size:15px}
dl{font-size:13px}dt{font-weight:600}dd{margin:0 0 6px 16px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
`;

function htmlTable(t: Table, headline: boolean): string {
  if (t.rows.length === 0) return `<p class="empty">${escapeHtml(t.empty ?? 'Nothing to show.')}</p>`;
  const numeric = (v: string) => /^[−-]?\d[\d.,]*( %| min| h.*| d.*)?$/.test(v);
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td${numeric(v) ? ' class="num"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table${headline ? ' class="headline"' : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** One self-contained page: inline CSS, no scripts, no external resources; prints on A4. */
export function renderHtml(report: PeriodReport): string {
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(reportTitle(report))}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${escapeHtml(reportTitle(report))}</h1>`,
  ];
  for (const s of layoutReport(report, 'human')) parts.push(htmlSection(s));
  parts.push('<h2>Definitions</h2>', '<dl>', ...DEFINITIONS.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`), '</dl>', '</body></html>', '');
  return parts.join('\n');
}

function htmlSection(s: Section): string {
  const out = [`<section id="${escapeHtml(s.id)}">`, `<h2>${escapeHtml(s.title)}</h2>`, ...s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`)];
  for (const t of s.tables) {
    if (s.tables.length > 1 || t.title !== s.title) out.push(`<h3>${escapeHtml(t.title)}</h3>`);
    out.push(htmlTable(t, s.id === 'headline'));
  }
  out.push('</section>');
  return out.join('\n');
}

// ---- CSV ----

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. Formula-like text is defused. */
function csvCell(text: string): string {
  // A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection); numbers stay numbers.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^[-+]?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One CSV file with one table per section: each table starts with a line `# <table id>: <title>`, then its
 * header row, then its rows; a blank line separates the tables. Durations are minutes, times ISO 8601 with
 * the site's UTC offset, percentages plain numbers. A spreadsheet opens it as is; a program splits it at the
 * blank lines.
 */
export function renderCsv(report: PeriodReport): string {
  const blocks: string[] = [];
  for (const s of layoutReport(report, 'data')) {
    for (const t of s.tables) {
      blocks.push([csvCell(`# ${t.id}: ${t.title}`), t.header.map(csvCell).join(','), ...t.rows.map((r) => r.map(csvCell).join(','))].join('\r\n'));
    }
  }
  return `${blocks.join('\r\n\r\n')}\r\n`;
}
