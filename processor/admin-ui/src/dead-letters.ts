// The Dead letters tab: list and filter what the dead-letter subscription holds, read one, and redrive (replay) a
// selection or everything matching, each after a dry run that says how many would go.
import { call, type DeadLetterItem, type DeadLetterList, query, type RedriveSummary } from './api.ts';
import { $, button, cell, errorText, filterOf, say } from './dom.ts';
import { dateTime, expiresSoon } from './format.ts';

const form = () => $<HTMLFormElement>('#dead-filter');
const message = () => $('#message');

function selectedIds(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>('#dead-rows input[type=checkbox]:checked')].map((box) => box.value);
}

function updateButtons(): void {
  $<HTMLButtonElement>('#replay-selected').disabled = selectedIds().length === 0;
}

function row(item: DeadLetterItem): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.deliveryId = item.deliveryId ?? '';
  const pick = document.createElement('input');
  pick.type = 'checkbox';
  pick.value = item.deliveryId ?? '';
  pick.setAttribute('aria-label', `select ${item.deliveryId ?? item.messageId}`);
  pick.addEventListener('change', updateButtons);
  tr.appendChild(document.createElement('td')).appendChild(pick);
  cell(tr, item.deliveryId);
  cell(tr, item.source);
  cell(tr, item.eventType);
  cell(tr, (item.errorClass ?? '') + (item.errorMessage ? `: ${item.errorMessage}` : ''), 'error');
  cell(tr, item.attempts);
  cell(tr, item.replayCount);
  cell(tr, dateTime(item.deadLetteredAt));
  cell(tr, dateTime(item.expiresAt), expiresSoon(item.expiresAt) ? 'expires expiring' : 'expires');
  cell(tr, `${item.size} B`);
  const actions = cell(tr, '');
  const id = item.deliveryId;
  if (id !== undefined) {
    actions.append(
      button('View', 'action secondary', () => void showDetail(id)),
      ' ',
      button('Replay', 'action', () => void replayIds([id])),
    );
  }
  return tr;
}

export async function loadDeadLetters(): Promise<void> {
  try {
    const result = await call<DeadLetterList>(`/dead-letters${query(filterOf(form()))}`);
    $('#dead-rows').replaceChildren(...result.items.map(row));
    let text = `${result.items.length} dead letter(s) shown, of ${result.matched} matching in the ${result.scanned} looked at`;
    if (result.oversizedPulls > 0) text += '; some were too large to read together and stay hidden for about a minute: refresh then';
    else if (result.more) text += '; more may match: narrow the filter, or list them all with the CLI (npx hookpipe dlq list)';
    say(message(), text);
    updateButtons();
  } catch (error) {
    say(message(), `Could not list dead letters: ${errorText(error)}`, true);
  }
}

async function showDetail(deliveryId: string): Promise<void> {
  const detail = $('#detail');
  detail.classList.remove('hidden');
  let item: DeadLetterItem | undefined;
  try {
    item = (await call<DeadLetterList>(`/dead-letters${query({ showBody: '1', limit: '1', deliveryId })}`)).items[0];
  } catch (error) {
    detail.textContent = `Could not read ${deliveryId}: ${errorText(error)}`;
    return;
  }
  detail.replaceChildren();
  if (!item) {
    detail.textContent = 'No longer in the dead-letter subscription.';
    return;
  }
  const title = document.createElement('h3');
  title.textContent = `${item.deliveryId} (${item.source}, ${item.eventType ?? 'no type'})`;
  const error = document.createElement('p');
  error.className = 'error';
  const where = item.handler ? ` (handler ${item.handler}, attempt ${item.attempts})` : '';
  error.textContent = `${item.errorClass ?? ''}: ${item.errorMessage ?? ''}${where}`;
  const attributes = document.createElement('pre');
  attributes.textContent = JSON.stringify(item.attributes, null, 2);
  const body = document.createElement('pre');
  body.id = 'payload';
  try {
    body.textContent = JSON.stringify(JSON.parse(item.body ?? ''), null, 2);
  } catch {
    // Not JSON (a form post, say): shown as it came.
    body.textContent = item.body ?? '';
  }
  detail.append(title, error, 'Attributes', attributes, 'Payload', body);
}

function redriveCall(filter: Record<string, unknown>, dryRun: boolean): Promise<RedriveSummary> {
  return call<RedriveSummary>('/dead-letters/redrive', { method: 'POST', body: JSON.stringify(dryRun ? { filter, dryRun } : { filter }) });
}

async function replay(filter: Record<string, unknown>, description: string): Promise<void> {
  const preview = await redriveCall(filter, true);
  const count = preview.matched - preview.skipped;
  if (count === 0) {
    say(message(), `Nothing to replay${preview.refused[0] ? `: ${preview.refused[0].reason}` : '.'}`);
    return;
  }
  if (!confirm(`Replay ${count} dead letter(s) ${description}?`)) return;
  const summary = await redriveCall(filter, false);
  await loadDeadLetters();
  const failure = summary.failures[0];
  say(
    message(),
    `Replayed ${summary.replayed}, republished but not acked ${summary.ackFailed}, failed ${summary.failed}, skipped ${summary.skipped}.` +
      (failure ? ` First failure (${failure.deliveryId}): ${failure.error.message}.` : '') +
      (summary.refused[0] ? ` Refused: ${summary.refused[0].reason}` : ''),
    summary.failed + summary.ackFailed > 0,
  );
}

function replayIds(ids: string[]): Promise<void> {
  const description = ids.length === 1 ? `(${ids[0]})` : '(the selection)';
  return replay({ deliveryIds: ids }, description).catch((error) => say(message(), `Replay failed: ${errorText(error)}`, true));
}

export function setUpDeadLetters(): void {
  form().addEventListener('submit', (event) => {
    event.preventDefault();
    void loadDeadLetters();
  });
  $<HTMLInputElement>('#select-all').addEventListener('change', (event) => {
    const checked = (event.target as HTMLInputElement).checked;
    for (const box of document.querySelectorAll<HTMLInputElement>('#dead-rows input[type=checkbox]')) box.checked = checked;
    updateButtons();
  });
  $('#replay-selected').addEventListener('click', () => void replayIds(selectedIds()));
  $('#replay-matching').addEventListener('click', () => {
    replay(filterOf(form()), 'matching the filter').catch((error) => say(message(), `Replay failed: ${errorText(error)}`, true));
  });
}
