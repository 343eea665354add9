// Every page: "Add to course pack" buttons and the pack counter in the navigation.
import { add, has, remove, showCount } from './pack.js';
import './gloss-view.js';

const status = document.getElementById('pack-status');

function parse(button) {
  try {
    return JSON.parse(button.dataset.item);
  } catch {
    return null;
  }
}

function labelButton(button, item) {
  const inPack = has(item.key);
  button.textContent = inPack ? `Remove ${item.kind} from course pack` : `Add ${item.kind} to course pack`;
  button.classList.toggle('in-pack', inPack);
}

function refreshButtons() {
  for (const button of document.querySelectorAll('button.pack-add')) {
    const item = parse(button);
    if (item) labelButton(button, item);
  }
  showCount();
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button.pack-add');
  const item = button && parse(button);
  if (!item) return;
  const name = item.kind === 'passage' ? item.title : item.label;
  if (has(item.key)) {
    remove(item.key);
    status.textContent = `Removed from the course pack: ${name}`;
  } else {
    add(item);
    status.textContent = `Added to the course pack: ${name}`;
  }
  refreshButtons();
});

// A GET form (search, look-up, glosses) leaves its empty fields out of the URL it opens: "lang=" of "any language"
// is noise in a link, and the API refuses an empty parameter. Without script the pages read empty fields as absent.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form.method !== 'get' || event.defaultPrevented) return;
  const url = new URL(form.action);
  url.search = new URLSearchParams([...new FormData(form)].filter(([, value]) => value !== ''));
  event.preventDefault();
  window.location.assign(url);
});

for (const button of document.querySelectorAll('button.pack-add')) button.hidden = false;
refreshButtons();
window.addEventListener('storage', refreshButtons); // another tab changed the pack
window.addEventListener('pageshow', refreshButtons); // back/forward cache
