// The admin page's entry point: three tabs (Overview, Dead letters, Events), the one shown named in the URL's
// fragment so a reload or a shared link opens the same tab.
import { loadDeadLetters, setUpDeadLetters } from './dead-letters.ts';
import { $ } from './dom.ts';
import { loadEvents, setUpEvents } from './events.ts';
import { loadOverview, setUpOverview } from './overview.ts';

const TABS = {
  overview: { section: '#overview', button: '#tab-overview', load: loadOverview },
  dead: { section: '#dead', button: '#tab-dead', load: loadDeadLetters },
  events: { section: '#events', button: '#tab-events', load: loadEvents },
} as const;
type Tab = keyof typeof TABS;
const isTab = (name: string): name is Tab => Object.hasOwn(TABS, name);

function show(tab: Tab): void {
  for (const [name, parts] of Object.entries(TABS)) {
    $(parts.section).classList.toggle('hidden', name !== tab);
    $(parts.button).setAttribute('aria-selected', String(name === tab));
  }
  history.replaceState(null, '', tab === 'overview' ? location.pathname + location.search : `#${tab}`);
  void TABS[tab].load();
}

for (const [name, parts] of Object.entries(TABS)) {
  if (isTab(name)) $(parts.button).addEventListener('click', () => show(name));
}
setUpOverview();
setUpDeadLetters();
setUpEvents();
const requested = location.hash.slice(1);
show(isTab(requested) ? requested : 'overview');
