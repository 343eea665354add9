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
  if (item.kind === 'passage') return item.citation || `${item.title}. ${item.langName} (${item.lang}).`;
  return `${item.label} (${item.family}), concept catalogue.`;
}

/** The pack as the server's export API names it: item keys in order, a passage's marked sentence included. */
export function exportUrl(items, format) {
  const keys = items.map((i) => (i.kind === 'passage' && Array.isArray(i.span) ? `${i.key}:${i.span[0]}-${i.span[1]}` : i.key));
  return `/api/pack?${new URLSearchParams({ items: keys.join(','), format })}`;
}

/** Fill `parent` with the readable form of an item. */
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
