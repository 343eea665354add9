// A running job's page follows the job: it asks the API for the job every few seconds and reloads once the job has
// moved on, never while nothing changed, and not while the reader has paused the updates (no timed refresh the
// reader cannot stop: WCAG 2.2.1). Without script, the page's "Reload now" link does the same by hand.
const box = document.querySelector('[data-job-poll]');
const pause = document.querySelector('[data-job-pause]');

if (box && pause) {
  const every = 1000 * Number(box.dataset.every || 2);
  const seen = box.dataset.jobKey;
  let paused = false;
  let timer = null;  // the one pending check: pausing and resuming never starts a second round of them
  const later = (delay) => {
    clearTimeout(timer);
    timer = setTimeout(check, delay);
  };
  const check = async () => {
    timer = null;
    if (paused) return;
    try {
      const answer = await fetch(box.dataset.jobPoll, {headers: {Accept: 'application/json'}});
      if (answer.ok && jobKey(await answer.json()) !== seen) {
        if (!paused) window.location.reload();
        return;
      }
    } catch (error) {
      // The server restarting or the network gone for a moment: ask again at the next tick.
    }
    if (!paused && timer === null) later(every);
  };
  pause.hidden = false;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
    if (paused) clearTimeout(timer);
    else later(0);
  });
  later(every);
}

function jobKey(job) {
  const progress = job.progress || {};
  return [job.state, job.stage || '', progress.done ?? '', progress.total ?? ''].join('/');
}
