// The page's DOM helpers. Text reaches the page only through textContent: nothing from the API is ever parsed as
// markup, so a payload cannot inject any.

/** The one element a selector names; its absence is a bug in index.html, so it throws. */
export function $<E extends Element = HTMLElement>(selector: string, root: ParentNode = document): E {
  const element = root.querySelector<E>(selector);
  if (!element) throw new Error(`the page has no ${selector}`);
  return element;
}

export function cell(row: HTMLTableRowElement, text: string | number | undefined, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text === undefined ? '' : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

export function button(text: string, className: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = className;
  element.textContent = text;
  element.addEventListener('click', onClick);
  return element;
}

/** A status line: its text, marked as an error or not. */
export function say(element: HTMLElement, text: string, isError = false): void {
  element.textContent = text;
  element.classList.toggle('error', isError);
}

/** A form's non-empty fields; datetime-local values as ISO instants (the API reads instants, the field local time). */
export function filterOf(form: HTMLFormElement): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const [key, value] of new FormData(form)) {
    if (typeof value !== 'string' || value === '') continue;
    const field = form.elements.namedItem(key);
    filter[key] = field instanceof HTMLInputElement && field.type === 'datetime-local' ? new Date(value).toISOString() : value;
  }
  return filter;
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
