// The concept form: other languages come one at a time through "Add a language" instead of all at once (without
// script, they all wait behind the form's <details>).
const control = document.querySelector('[data-add-language]');
const more = document.querySelector('[data-more-languages]');

if (control && more) {
  const select = control.querySelector('select');
  const button = control.querySelector('button');
  control.hidden = false;
  more.hidden = true;
  button.addEventListener('click', () => {
    const fieldset = document.getElementById(`language-${select.value}`);
    if (!fieldset) return;
    control.before(fieldset);
    select.selectedOptions[0].remove();
    if (!select.options.length) control.hidden = true;
    fieldset.querySelector('input').focus();
  });
}
