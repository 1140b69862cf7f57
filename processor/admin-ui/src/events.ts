// The Events tab: the ledger, what happened to each event, filtered by status, source, type, resource and time.
import { call, type EventItem, query } from './api.ts';
import { $, cell, errorText, filterOf, say } from './dom.ts';
import { dateTime } from './format.ts';

const form = () => $<HTMLFormElement>('#events-filter');

function row(item: EventItem): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.deliveryId = item.deliveryId;
  cell(tr, item.deliveryId);
  cell(tr, item.source);
  cell(tr, item.eventType);
  cell(tr, item.status, `status-${item.status}`);
  cell(tr, item.attempts);
  cell(tr, item.resourceKey);
  cell(tr, item.handler);
  cell(tr, item.lastError ? `${item.lastError.class}: ${item.lastError.message}` : '', 'error');
  cell(tr, dateTime(item.updatedAt));
  return tr;
}

export async function loadEvents(): Promise<void> {
  const message = $('#events-message');
  try {
    const result = await call<{ items: EventItem[] }>(`/events${query(filterOf(form()))}`);
    $('#event-rows').replaceChildren(...result.items.map(row));
    say(message, `${result.items.length} event(s), newest first`);
  } catch (error) {
    say(message, `Could not list events: ${errorText(error)}`, true);
  }
}

export function setUpEvents(): void {
  form().addEventListener('submit', (event) => {
    event.preventDefault();
    void loadEvents();
  });
}
