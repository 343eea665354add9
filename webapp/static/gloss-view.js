// Glosses: switch between under-the-word, on-hover-or-focus and hidden at once (the server reads the same cookie on
// the next page), open a popover toward the side with room, close it with Escape.
const VIEWS = ['interlinear', 'hover', 'none'];
const COOKIE = 'kb_gloss_view';
const YEAR_S = 365 * 24 * 3600;
const MARGIN_PX = 8;

function apply(view) {
  for (const box of document.querySelectorAll('.glossed')) {
    for (const name of VIEWS) box.classList.toggle(`gloss-${name}`, name === view);
  }
  // Only popovers need their words in the tab order.
  for (const word of document.querySelectorAll('.gw')) {
    if (view === 'hover') word.tabIndex = 0;
    else word.removeAttribute('tabindex');
  }
  for (const select of document.querySelectorAll('select[data-gloss-view]')) select.value = view;
}

function place(word) {
  // Open toward the wider side of the viewport, and never wider than the room there (no sideways scrolling).
  const box = word.getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  const flip = box.left > width / 2;
  word.classList.toggle('gw-flip', flip);
  word.style.setProperty('--gw-room', `${Math.max(0, (flip ? box.right : width - box.left) - MARGIN_PX)}px`);
}

document.addEventListener('change', (event) => {
  const select = event.target.closest('select[data-gloss-view]');
  if (!select || !VIEWS.includes(select.value)) return;
  document.cookie = `${COOKIE}=${select.value}; path=/; max-age=${YEAR_S}; samesite=lax`;
  apply(select.value);
});

for (const type of ['mouseover', 'focusin']) {
  document.addEventListener(type, (event) => {
    const word = event.target instanceof Element && event.target.closest('.gloss-hover .gw');
    if (word) place(word);
  });
}

// Escape closes the open popover, the focused word's or the one under the pointer, and leaves focus where it is
// (WCAG 1.4.13); the word opens again once the pointer or focus has left it and come back.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const focused = document.activeElement instanceof Element && document.activeElement.closest('.gloss-hover .gw');
  for (const word of [focused, ...document.querySelectorAll('.gloss-hover .gw:hover')]) {
    if (word) word.classList.add('gw-dismissed');
  }
});

for (const type of ['mouseout', 'focusout']) {
  document.addEventListener(type, (event) => {
    const word = event.target instanceof Element && event.target.closest('.gw-dismissed');
    if (!word) return;
    const still = type === 'mouseout' ? word.contains(event.relatedTarget) || word.matches(':focus')
      : word.matches(':hover');
    if (!still) word.classList.remove('gw-dismissed');
  });
}
