// The course pack: an ordered list of passages and concepts kept in localStorage, and its exports.
// Data only ever reaches the page through textContent or DOM properties, never through HTML strings.

const KEY = 'kb-course-pack-v1';

export function load() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(items) ? items.filter((i) => i && typeof i.key === 'string') : [];
  } catch {
    return []; // a damaged or foreign value must not break every page
  }
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
}

export function has(key) {
  return load().some((i) => i.key === key);
}

export function add(item) {
  const items = load();
  if (!items.some((i) => i.key === item.key)) save([...items, item]);
}

export function remove(key) {
  save(load().filter((i) => i.key !== key));
}

export function clear() {
  save([]);
}

/** Move an item up (-1) or down (+1); returns its new position. */
export function move(key, delta) {
  const items = load();
  const from = items.findIndex((i) => i.key === key);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= items.length) return from;
  [items[from], items[to]] = [items[to], items[from]];
  save(items);
  return to;
}

/** Show the number of items next to every "Course pack" link. */
export function showCount() {
  const n = load().length;
  for (const el of document.querySelectorAll('[data-pack-count]')) el.textContent = n ? `(${n})` : '';
}

export function absolute(url) {
  return new URL(url, window.location.origin).href;
}

export function title(item) {
  return item.kind === 'passage' ? item.title : `Concept: ${item.label}`;
}

export function citation(item) {
  if (item.kind === 'passage') return `${item.title}. ${item.source}, ${item.langName} (${item.lang}).`;
  return `${item.label} (${item.family}), concept catalogue.`;
}

const md = (text) => String(text).replace(/([\\`*_[\]<>#|])/g, '\\$1');
const mdQuote = (text) => text.trim().split('\n').map((line) => `> ${line}`.trimEnd()).join('\n');

function itemMarkdown(item, n) {
  const lines = [`## ${n}. ${md(title(item))}`, ''];
  if (item.kind === 'passage') {
    const sentence = item.sentence ? `**${md(item.sentence)}**` : '';
    lines.push(mdQuote(md(item.before) + sentence + md(item.after)), '');
  } else {
    lines.push(md(item.definition), '');
    const labels = (item.labels || []).map(([lang, label]) => `${lang}: ${md(label)}`);
    if (labels.length) lines.push(`Labels — ${labels.join('; ')}`, '');
  }
  lines.push(`Source: ${md(citation(item))} <${absolute(item.url)}>`, '');
  return lines.join('\n');
}

export function toMarkdown(items) {
  const date = new Date().toISOString().slice(0, 10);
  const body = items.map((item, i) => itemMarkdown(item, i + 1));
  return [`# Course pack`, '', `Compiled ${date} from the strategy knowledge base.`, '', ...body].join('\n');
}

/** Fill `parent` with the readable form of an item (used on the page and in the HTML export). */
export function renderItem(doc, parent, item) {
  const el = (tag, text, attrs = {}) => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  };
  parent.append(el('h2', title(item)));
  if (item.kind === 'passage') {
    const quote = el('blockquote', undefined, { lang: item.lang });
    quote.append(item.before.trimStart(), el('mark', item.sentence), item.after.trimEnd());
    parent.append(quote);
  } else {
    parent.append(el('p', item.definition));
    const labels = (item.labels || []).map(([lang, label]) => `${lang}: ${label}`).join('; ');
    if (labels) parent.append(el('p', `Labels — ${labels}`));
  }
  const cite = el('p', `Source: ${citation(item)} `, { class: 'citation' });
  cite.append(el('a', absolute(item.url), { href: absolute(item.url) }));
  parent.append(cite);
}

export function toHtml(items) {
  const doc = document.implementation.createHTMLDocument('Course pack');
  const style = doc.createElement('style');
  style.textContent = 'body{font:16px/1.5 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem}' +
    'blockquote{margin:0;padding-left:1rem;border-left:3px solid #888}mark{background:#fff3a3}' +
    '.citation{font-size:.9rem;color:#333;overflow-wrap:anywhere}article{break-inside:avoid;margin-bottom:2rem}';
  doc.head.append(style);
  doc.body.append(Object.assign(doc.createElement('h1'), { textContent: 'Course pack' }));
  for (const item of items) {
    const article = doc.createElement('article');
    renderItem(doc, article, item);
    doc.body.append(article);
  }
  return `<!doctype html>\n${doc.documentElement.outerHTML}`;
}

export function download(filename, type, text) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
