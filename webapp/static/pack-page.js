// The course pack page: list, reorder, remove and export the collected items.
import { clear, exportUrl, load, move, remove, renderItem, showCount, title } from './pack.js';

const list = document.querySelector('[data-pack-list]');
const empty = document.querySelector('[data-pack-empty]');
const exportBox = document.querySelector('[data-pack-export]');
const markdown = document.querySelector('[data-pack-markdown]');
const exportLinks = document.querySelectorAll('a[data-export-format]');
const status = document.getElementById('pack-status');
// Keys of items the knowledge base no longer has (their passage or concept was deleted after they were added).
let missing = new Set();

function control(action, text, item, disabled) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.action = action;
  button.dataset.key = item.key;
  button.textContent = text;
  button.setAttribute('aria-label', `${text}: ${title(item)}`);
  button.disabled = disabled;
  return button;
}

/** Ask the server for each item on its own: a 404 (or a 400, a span past a changed passage) marks it missing. */
async function check(items) {
  const answers = await Promise.all(items.map((item) => fetch(exportUrl([item], 'markdown'), { method: 'HEAD' })
    .then((response) => response.status, () => 0)));
  const found = new Set(items.filter((_, i) => [400, 404].includes(answers[i])).map((item) => item.key));
  const changed = [...found].some((key) => !missing.has(key));
  missing = found;
  if (found.size) status.textContent = `${found.size} item${found.size === 1 ? ' is' : 's are'} no longer in the knowledge base`;
  return changed;
}

// Item key -> {line, url}: its source line and link as the server cites them now, asked once per item and page: a
// document's title, authors or date may have been edited since the item was stored, and the link is the server's
// public address (a page read through a proxy or on localhost would give its own).
const cited = new Map();

function showCited() {
  for (const [key, { line, url }] of cited) {
    const shown = list.querySelector(`li[data-key="${CSS.escape(key)}"] p.citation`);
    if (!shown) continue;
    shown.firstChild.textContent = line;
    const link = shown.querySelector('a');
    if (link && url) {
      link.href = url;
      link.textContent = url;
    }
  }
}

/** Ask the server how it cites the items not asked about yet: its HTML export holds one cited article per item. */
function refreshCitations(kept) {
  const asking = kept.filter((item) => !cited.has(item.key));
  if (!asking.length) return;
  fetch(exportUrl(asking, 'html'))
    .then((response) => (response.ok ? response.text() : null))
    .then((page) => {
      if (!page) return;
      // Without its stylesheet: this page's CSP would report the parsed copy's inline style.
      const bare = page.replace(/<style[\s\S]*?<\/style>/gi, '');
      const lines = new DOMParser().parseFromString(bare, 'text/html').querySelectorAll('article > p.citation');
      if (lines.length !== asking.length) return;
      asking.forEach((item, i) => {
        const line = lines[i].firstChild;
        const url = lines[i].querySelector('a')?.getAttribute('href');
        if (line && line.nodeType === Node.TEXT_NODE) cited.set(item.key, { line: line.textContent, url });
      });
      showCited();
    })
    .catch(() => {}); // the stored citation stays shown
}

function render(focus) {
  const items = load();
  const kept = items.filter((item) => !missing.has(item.key));
  list.replaceChildren();
  items.forEach((item, i) => {
    const li = document.createElement('li');
    li.className = `card pack-item pack-${item.kind}`;
    li.dataset.key = item.key;
    renderItem(document, li, item);
    if (missing.has(item.key)) {
      li.classList.add('pack-missing');
      const note = document.createElement('p');
      note.className = 'error';
      note.textContent = 'No longer in the knowledge base (deleted since it was added): the exports leave it out. Remove it from the pack.';
      li.querySelector('h2').after(note);
    }
    const controls = document.createElement('div');
    controls.className = 'button-row';
    controls.append(
      control('up', 'Move up', item, i === 0),
      control('down', 'Move down', item, i === items.length - 1),
      control('remove', 'Remove', item, false),
    );
    li.append(controls);
    list.append(li);
  });
  showCited();
  empty.hidden = items.length > 0;
  exportBox.hidden = kept.length === 0;
  // Every export is written by the server from the served index: the same citations in every format, of the items
  // it still has.
  for (const link of exportLinks) link.href = kept.length ? exportUrl(kept, link.dataset.exportFormat) : '#';
  markdown.value = '';
  if (kept.length) {
    fetch(exportUrl(kept, 'markdown'))
      .then(async (response) => {
        if (response.ok) {
          markdown.value = await response.text();
          refreshCitations(kept);
        } else if ([400, 404].includes(response.status) && await check(items)) {
          render(); // an item has left the index since the page loaded: export the others
        } else {
          markdown.value = 'The export is not available now: reload the page to try again.';
        }
      })
      .catch(() => { markdown.value = 'The export is not available now: reload the page to try again.'; });
  }
  showCount();
  if (focus) {
    // Keep keyboard users where they were: on the same control of the moved item, or the nearest one left.
    const target = list.querySelector(`button[data-action="${focus.action}"][data-key="${CSS.escape(focus.key)}"]:not(:disabled)`)
      || list.querySelector('button:not(:disabled)') || document.getElementById('main');
    target.focus();
  }
}

list.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const { action, key } = button.dataset;
  if (action === 'remove') {
    remove(key);
    status.textContent = 'Removed from the course pack';
  } else {
    const position = move(key, action === 'up' ? -1 : 1);
    status.textContent = `Moved to position ${position + 1}`;
  }
  render({ action, key });
});

exportBox.addEventListener('click', (event) => {
  const kind = event.target.closest('button[data-export]')?.dataset.export;
  if (kind === 'print') window.print();
  if (kind === 'clear' && window.confirm('Remove every item from the course pack?')) {
    clear();
    status.textContent = 'The course pack is empty';
    render();
  }
});

window.addEventListener('storage', () => render());
// One request checks the whole pack as it exports it; only when it fails is each item checked on its own.
render();
