// The course pack page: list, reorder, remove and export the collected items.
import { clear, exportUrl, load, move, remove, renderItem, showCount, title } from './pack.js';

const list = document.querySelector('[data-pack-list]');
const empty = document.querySelector('[data-pack-empty]');
const exportBox = document.querySelector('[data-pack-export]');
const markdown = document.querySelector('[data-pack-markdown]');
const exportLinks = document.querySelectorAll('a[data-export-format]');
const status = document.getElementById('pack-status');

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

function render(focus) {
  const items = load();
  list.replaceChildren();
  items.forEach((item, i) => {
    const li = document.createElement('li');
    li.className = `card pack-item pack-${item.kind}`;
    renderItem(document, li, item);
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
  empty.hidden = items.length > 0;
  exportBox.hidden = items.length === 0;
  // Every export is written by the server from the served index: the same citations in every format.
  for (const link of exportLinks) link.href = items.length ? exportUrl(items, link.dataset.exportFormat) : '#';
  markdown.value = '';
  if (items.length) {
    fetch(exportUrl(items, 'markdown'))
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`${response.status}`))))
      .then((text) => { markdown.value = text; })
      .catch(() => { markdown.value = 'The export is not available now: an item may have left the index.'; });
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
render();
