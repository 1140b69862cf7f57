// The admin page: one self-contained document (no build, no external assets) over the admin API. Everything
// shown is set with textContent, so a payload can never inject markup.
export const ADMIN_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>hookpipe admin</title>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; }
  nav button { background: none; border: 0; color: #aab; font: inherit; cursor: pointer; padding: 4px 8px; }
  nav button[aria-selected=true] { color: #fff; border-bottom: 2px solid #6cf; }
  main { padding: 16px 20px; }
  form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 12px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #556; }
  input, select { font: inherit; padding: 4px 6px; border: 1px solid #ccd; border-radius: 4px; min-width: 120px; }
  button.action { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid #2a6; background: #2a6; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #1d2330; border-color: #ccd; }
  button:disabled { opacity: .5; cursor: default; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e6ea; vertical-align: top; }
  th { font-size: 12px; color: #556; background: #eef0f3; }
  td.error { color: #a32; max-width: 360px; }
  .status-processed { color: #2a6; } .status-failed, .status-dead-lettered { color: #a32; } .status-processing { color: #a70; }
  #message { margin: 8px 0; min-height: 1.4em; }
  #detail { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 12px; margin-top: 12px; }
  #detail pre { white-space: pre-wrap; word-break: break-all; max-height: 320px; overflow: auto; background: #f6f7f9; padding: 8px; }
  .hidden { display: none; }
  .muted { color: #778; }
</style>
</head>
<body>
<header>
  <h1>hookpipe</h1>
  <nav>
    <button id="tab-dead" aria-selected="true">Dead letters</button>
    <button id="tab-events" aria-selected="false">Events</button>
  </nav>
</header>
<main>
  <section id="dead">
    <form id="dead-filter">
      <label>Source <input name="source" placeholder="stripe"></label>
      <label>Event type <input name="eventType" placeholder="payment_intent.*"></label>
      <label>Error class <input name="errorClass" placeholder="PermanentError"></label>
      <label>Since <input name="since" type="datetime-local"></label>
      <label>Until <input name="until" type="datetime-local"></label>
      <button class="action secondary" type="submit">Filter</button>
      <button class="action" type="button" id="replay-selected" disabled>Replay selected</button>
      <button class="action" type="button" id="replay-matching">Replay all matching…</button>
    </form>
    <div id="message" role="status"></div>
    <table>
      <thead><tr><th><input type="checkbox" id="select-all" aria-label="select all"></th><th>Delivery</th><th>Source</th><th>Event type</th><th>Error</th><th>Attempts</th><th>Replays</th><th>Dead-lettered</th><th>Size</th><th></th></tr></thead>
      <tbody id="dead-rows"></tbody>
    </table>
    <div id="detail" class="hidden"></div>
  </section>
  <section id="events" class="hidden">
    <form id="events-filter">
      <label>Status <select name="status"><option value="">any</option><option>processed</option><option>failed</option><option>dead-lettered</option><option>processing</option></select></label>
      <label>Source <input name="source"></label>
      <label>Event type <input name="eventType"></label>
      <label>Resource <input name="resourceKey" placeholder="pi_..."></label>
      <label>Since <input name="since" type="datetime-local"></label>
      <button class="action secondary" type="submit">Filter</button>
    </form>
    <table>
      <thead><tr><th>Delivery</th><th>Source</th><th>Event type</th><th>Status</th><th>Attempts</th><th>Resource</th><th>Handler</th><th>Last error</th><th>Updated</th></tr></thead>
      <tbody id="event-rows"></tbody>
    </table>
  </section>
</main>
<script>
const $ = (selector) => document.querySelector(selector);
const base = location.pathname.endsWith('/') ? location.pathname.slice(0, -1) : location.pathname;
const api = base + '/api';
let deadLetters = [];

function say(text, isError) {
  const el = $('#message');
  el.textContent = text;
  el.style.color = isError ? '#a32' : '';
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function filterOf(form) {
  const filter = {};
  for (const [key, value] of new FormData(form)) {
    if (!value) continue;
    filter[key] = form.elements[key].type === 'datetime-local' ? new Date(value).toISOString() : value;
  }
  return filter;
}

async function call(path, options = {}) {
  const response = await fetch(api + path, {
    ...options,
    headers: { 'content-type': 'application/json', 'x-hookpipe-admin': '1', ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + response.status);
  return body;
}

function selectedIds() {
  return [...document.querySelectorAll('#dead-rows input[type=checkbox]:checked')].map((box) => box.value);
}

function updateButtons() {
  $('#replay-selected').disabled = selectedIds().length === 0;
}

async function loadDead() {
  const query = new URLSearchParams(filterOf($('#dead-filter')));
  try {
    const result = await call('/dead-letters?' + query);
    deadLetters = result.items;
    const rows = $('#dead-rows');
    rows.replaceChildren();
    for (const item of deadLetters) {
      const row = document.createElement('tr');
      row.dataset.deliveryId = item.deliveryId ?? '';
      const pick = document.createElement('input');
      pick.type = 'checkbox';
      pick.value = item.deliveryId ?? '';
      pick.setAttribute('aria-label', 'select ' + item.deliveryId);
      pick.addEventListener('change', updateButtons);
      row.appendChild(document.createElement('td')).appendChild(pick);
      cell(row, item.deliveryId);
      cell(row, item.source);
      cell(row, item.eventType);
      cell(row, (item.errorClass ?? '') + (item.errorMessage ? ': ' + item.errorMessage : ''), 'error');
      cell(row, item.attempts);
      cell(row, item.replayCount);
      cell(row, new Date(item.deadLetteredAt).toLocaleString());
      cell(row, item.size + ' B');
      const actions = cell(row, '');
      const view = document.createElement('button');
      view.className = 'action secondary';
      view.textContent = 'View';
      view.addEventListener('click', () => showDetail(item.deliveryId));
      const replay = document.createElement('button');
      replay.className = 'action';
      replay.textContent = 'Replay';
      replay.addEventListener('click', () => replayIds([item.deliveryId]));
      actions.append(view, ' ', replay);
      rows.appendChild(row);
    }
    let text = deadLetters.length + ' dead letter(s) shown, of ' + result.matched + ' matching in the ' + result.scanned + ' looked at';
    if (result.oversizedPulls > 0) text += '; some were too large to read together and stay hidden for about a minute: refresh then';
    else if (result.more) text += '; more may match: narrow the filter, or list them all with the CLI (npx hookpipe dlq list)';
    say(text);
    updateButtons();
  } catch (error) {
    say('Could not list dead letters: ' + error.message, true);
  }
}

async function showDetail(deliveryId) {
  const result = await call('/dead-letters?showBody=1&limit=1&deliveryId=' + encodeURIComponent(deliveryId));
  const item = result.items[0];
  const detail = $('#detail');
  detail.replaceChildren();
  detail.classList.remove('hidden');
  if (!item) { detail.textContent = 'No longer in the dead-letter subscription.'; return; }
  const title = document.createElement('h3');
  title.textContent = item.deliveryId + ' (' + item.source + ', ' + (item.eventType ?? 'no type') + ')';
  const error = document.createElement('p');
  error.className = 'error';
  error.textContent = (item.errorClass ?? '') + ': ' + (item.errorMessage ?? '') + (item.handler ? ' (handler ' + item.handler + ', attempt ' + item.attempts + ')' : '');
  const attributes = document.createElement('pre');
  attributes.textContent = JSON.stringify(item.attributes, null, 2);
  const body = document.createElement('pre');
  body.id = 'payload';
  try { body.textContent = JSON.stringify(JSON.parse(item.body), null, 2); } catch { body.textContent = item.body; }
  detail.append(title, error, 'Attributes', attributes, 'Payload', body);
}

async function replay(filter, description) {
  const preview = await call('/dead-letters/redrive', { method: 'POST', body: JSON.stringify({ filter, dryRun: true }) });
  const count = preview.matched - preview.skipped;
  if (count === 0) { say('Nothing to replay' + (preview.refused.length ? ': ' + preview.refused[0].reason : '.')); return; }
  if (!confirm('Replay ' + count + ' dead letter(s) ' + description + '?')) return;
  const summary = await call('/dead-letters/redrive', { method: 'POST', body: JSON.stringify({ filter }) });
  await loadDead();
  const failure = summary.failures[0];
  say(
    'Replayed ' + summary.replayed + ', republished but not acked ' + summary.ackFailed + ', failed ' + summary.failed +
      ', skipped ' + summary.skipped + '.' +
      (failure ? ' First failure (' + failure.deliveryId + '): ' + failure.error.message + '.' : '') +
      (summary.refused.length ? ' Refused: ' + summary.refused[0].reason : ''),
    summary.failed + summary.ackFailed > 0,
  );
}

function replayIds(ids) {
  return replay({ deliveryIds: ids }, ids.length === 1 ? '(' + ids[0] + ')' : '(the selection)').catch((error) => say('Replay failed: ' + error.message, true));
}

async function loadEvents() {
  const query = new URLSearchParams(filterOf($('#events-filter')));
  try {
    const result = await call('/events?' + query);
    const rows = $('#event-rows');
    rows.replaceChildren();
    for (const item of result.items) {
      const row = document.createElement('tr');
      row.dataset.deliveryId = item.deliveryId;
      cell(row, item.deliveryId);
      cell(row, item.source);
      cell(row, item.eventType);
      cell(row, item.status, 'status-' + item.status);
      cell(row, item.attempts);
      cell(row, item.resourceKey);
      cell(row, item.handler);
      cell(row, item.lastError ? item.lastError.class + ': ' + item.lastError.message : '', 'error');
      cell(row, new Date(item.updatedAt).toLocaleString());
      rows.appendChild(row);
    }
  } catch (error) {
    say('Could not list events: ' + error.message, true);
  }
}

function show(tab) {
  $('#dead').classList.toggle('hidden', tab !== 'dead');
  $('#events').classList.toggle('hidden', tab !== 'events');
  $('#tab-dead').setAttribute('aria-selected', tab === 'dead');
  $('#tab-events').setAttribute('aria-selected', tab === 'events');
  (tab === 'dead' ? loadDead : loadEvents)();
}

$('#tab-dead').addEventListener('click', () => show('dead'));
$('#tab-events').addEventListener('click', () => show('events'));
$('#dead-filter').addEventListener('submit', (event) => { event.preventDefault(); loadDead(); });
$('#events-filter').addEventListener('submit', (event) => { event.preventDefault(); loadEvents(); });
$('#select-all').addEventListener('change', (event) => {
  for (const box of document.querySelectorAll('#dead-rows input[type=checkbox]')) box.checked = event.target.checked;
  updateButtons();
});
$('#replay-selected').addEventListener('click', () => replayIds(selectedIds()));
$('#replay-matching').addEventListener('click', () => {
  const filter = filterOf($('#dead-filter'));
  replay(filter, 'matching the filter').catch((error) => say('Replay failed: ' + error.message, true));
});
loadDead();
</script>
</body>
</html>
`;
