// The facilitator's dashboard (issue 20) in a real browser: Debian's chromium, headless, driven by
// puppeteer-core, against the real `tandem` binary with a scripted scenario.
//
// Usage: node tests/web/dashboard_test.mjs TANDEM_BINARY ARTEFACT_DIR
//
// The scenario: collaboration `river` with four organizations; its store is made by a first start
// of `tandem console` that types the commands giving tasks, an approval round and events, then
// seed_scenario.py dates history in the past (answers, this month's nudges, the farmers' silence,
// an overdue task). Then `tandem console --as ana` runs for the whole test (it also serves HTTP on
// a free port) and the browser signs in with the link of Ana's `dashboard`, visits every page,
// checks the scenario's figures, reassigns a task through its form, and is refused where it must
// be: a page without a session, a forged link, a form without its CSRF token (raw requests with the
// session's cookie), a used link, a participant's `dashboard`, a facilitator removed while signed
// in, signing out (all of one's sessions), and last an expired link: Tandem runs under Debian's
// libfaketime, whose offset file the test moves 16 minutes ahead. Every page is checked by axe-core
// (no serious or critical violation) and photographed at desktop (1280x800) and phone (390x844)
// widths into ARTEFACT_DIR, with the console's output (console.txt, first-start.txt).
//
// Needs: /usr/bin/chromium (or $CHROMIUM), node, npm, python3, libfaketime (deploy/install-deps.sh);
// puppeteer-core and axe-core are installed into tests/web/node_modules by `npm ci` when they are
// missing or not the pinned versions. Exit status 1 when any check failed.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [binaryArgument, artefactArgument] = process.argv.slice(2);
if (!binaryArgument || !artefactArgument) {
  console.error('usage: node dashboard_test.mjs TANDEM_BINARY ARTEFACT_DIR');
  process.exit(2);
}
const binary = path.resolve(binaryArgument);
const artefacts = path.resolve(artefactArgument);
const collaboration = 'river';
const pages = [
  { name: 'overview', path: '' },
  { name: 'people', path: '/people' },
  { name: 'tasks', path: '/tasks' },
  { name: 'approvals', path: '/approvals' },
  { name: 'calendar', path: '/calendar' },
  { name: 'reports', path: '/reports' },
  { name: 'audit', path: '/audit' },
];

// --- Checks and steps ---

const failures = [];
function step(what) {
  console.log(`\n== ${what}`);
}
function check(condition, what, detail) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}${!condition && detail !== undefined ? `: ${detail}` : ''}`);
  if (!condition) failures.push(what);
  return Boolean(condition);
}

// --- The npm packages: installed from the committed lock file when missing or not the pinned ones ---

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}
function ensurePackages() {
  const wanted = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).devDependencies;
  const stale = Object.entries(wanted).filter(([name, version]) => installedVersion(name) !== version);
  if (stale.length === 0) return;
  console.log(`npm ci --prefix ${here} (missing or other versions: ${stale.map(([n]) => n).join(', ')})`);
  const run = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error('dashboard_test: npm ci failed');
    process.exit(1);
  }
}
ensurePackages();
const { default: puppeteer } = await import(path.join(here, 'node_modules', 'puppeteer-core', 'lib', 'esm',
                                                      'puppeteer', 'puppeteer-core.js'));
const axeSource = fs.readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

// --- The scenario ---

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function scenarioConfig(port) {
  const person = (id, name, org, roles, tier, tz) =>
    `      - {id: ${id}, name: ${name}, org: ${org}, roles: [${roles}], tier: ${tier}, tz: ${tz}}`;
  return [
    '# The dashboard test\'s scenario (tests/web/dashboard_test.mjs); seeded by seed_scenario.py.',
    'store: scenario.db',
    `http: {listen: "127.0.0.1:${port}"}`,
    'log: {level: warn, format: text}',
    'adapters: {console: {enabled: true}}',
    'engine: {quiet_hours: "off"}',
    'collaborations:',
    '  - id: river',
    '    name: River Restoration Alliance',
    '    rooms: [{platform: console, id: river-room}]',
    '    organizations:',
    '      - {id: backbone, name: Riverside Backbone Trust}',
    '      - {id: city, name: City of Millbrook}',
    '      - {id: farmers, name: Valley Farmers Cooperative}',
    '      - {id: schools, name: Millbrook Schools Network}',
    '    people:',
    person('ana', 'Ana Lima', 'backbone', 'facilitator', 'core', 'Europe/Berlin'),
    person('ben', 'Ben Okafor', 'backbone', 'representative', 'core', 'Europe/London'),
    person('carla', 'Carla Reyes', 'city', 'representative', 'active', 'America/New_York'),
    person('dev', 'Dev Patel', 'city', 'representative, alternate', 'active', 'America/New_York'),
    person('emma', 'Emma Schulz', 'city', 'participant', 'informed', 'Europe/Berlin'),
    person('farid', 'Farid Haddad', 'farmers', 'representative', 'active', 'Europe/London'),
    person('grace', 'Grace Miller', 'farmers', 'participant', 'observer', 'America/Chicago'),
    person('hugo', 'Hugo Martin', 'farmers', 'participant', 'active', 'UTC'),
    person('iris', 'Iris Santos', 'schools', 'representative', 'active', 'Europe/Lisbon'),
    person('bruno', 'Bruno Costa', 'schools', 'participant', 'active', 'Europe/Lisbon'),
    '',
  ].join('\n');
}

// The scenario's two events share a day five days ahead (in Ana's zone), so that they clash and
// one month of the calendar shows both.
const eventDay = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit',
                                                   day: '2-digit' }).format(new Date(Date.now() + 5 * 86400000));

// What the first start types: the state that commands give (who did what is theirs, dated now).
const firstStartCommands = [
  'assign @emma "Draft the spring newsletter" due tomorrow', // 1: made overdue by the seed
  'assign @carla "Collect the riverbank permits" due in 2w', // 2: reassigned to Bruno in the test
  'assign @dev "Book the hall for the open day" due in 1w', // 3: blocked by Dev
  'assign org:farmers "Map the riverbank plots" due in 3w', // 4
  'approval open "2027 budget" to all deadline in 2w', // A1
  `event add ${eventDay} "Spring newsletter" #newsletter`,
  '/as carla',
  'checking A1 until in 1w',
  `event add ${eventDay} "City newsletter" #newsletter`, // clashes with Ana's (same topic, same day)
  '/as ben',
  'approve A1 fine by us',
  '/as dev',
  'blocked 3 the hall is closed for repairs',
];

// Debian's libfaketime: how the test moves Tandem's clock past a link's 15 minutes without waiting.
const libfaketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

// --- `tandem console` as a child: its output kept, waited on for a pattern with a deadline ---

class Console {
  /// With `clockFile`, the console's wall clock is the real one moved by the offset written in that
  /// file ("+0", "+16m"), read at every look at the clock (libfaketime); its monotonic clock, which
  /// its timers use, is left alone.
  constructor(configPath, clockFile) {
    this.output = '';
    const env = { ...process.env };
    if (clockFile) {
      Object.assign(env, { LD_PRELOAD: libfaketime, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1',
                           FAKETIME_DONT_FAKE_MONOTONIC: '1' });
    }
    this.process = spawn(binary, ['console', '--config', configPath, '--as', 'ana'], {
      cwd: path.dirname(configPath),
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    this.process.stdout.setEncoding('utf8');
    this.process.stderr.setEncoding('utf8');
    this.process.stdout.on('data', (text) => { this.output += text; });
    this.process.stderr.on('data', (text) => { this.output += `[stderr] ${text}`; });
  }
  /// Types `line`; returns the output's length before it, from where its answer is looked for.
  type(line) {
    const from = this.output.length;
    console.log(`   console> ${line}`);
    this.process.stdin.write(`${line}\n`);
    return from;
  }
  /// The first match of `pattern` in the output after `from`, or null after `seconds`.
  async waitFor(pattern, from, seconds = 15) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const match = this.output.slice(from).match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.process.exitCode !== null) return null;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  async stop() {
    this.process.stdin.end();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

// --- Pages ---

const base = (port) => `http://127.0.0.1:${port}`;
const pageUrl = (port, p) => `${base(port)}/dashboard/${collaboration}${p.path}`;
const signInPattern = /http:\/\/127\.0\.0\.1:\d+\/dashboard\/sign-in\/[A-Za-z0-9_\-~.%]+/;
const text = (s) => (s ?? '').replace(/\s+/g, ' ').trim();

/// The security headers every dashboard response has.
function checkSecurityHeaders(headers, where) {
  const csp = headers['content-security-policy'] ?? '';
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0])
    .map(([name, ...values]) => [name.toLowerCase(), values]));
  const scripts = directives['script-src'] ?? directives['default-src'];
  check(scripts !== undefined && !scripts.includes("'unsafe-inline'") && !scripts.includes('*'),
        `${where}: Content-Security-Policy allows no inline script`, JSON.stringify(csp));
  check((headers['x-frame-options'] ?? '').toUpperCase() === 'DENY', `${where}: X-Frame-Options: DENY`,
        headers['x-frame-options']);
  check((headers['referrer-policy'] ?? '').toLowerCase() === 'no-referrer', `${where}: Referrer-Policy: no-referrer`,
        headers['referrer-policy']);
}

/// Structure, scripts and accessibility of the page open in `page`.
async function checkPageStructure(page, name, port) {
  const facts = await page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    lang: document.documentElement.lang,
    navLinks: [...document.querySelectorAll('nav a[href]')].map((a) => new URL(a.href).pathname),
    tables: [...document.querySelectorAll('table')].map((t) => ({
      id: t.id, caption: t.querySelector(':scope > caption')?.textContent.trim() ?? '' })),
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    handlerAttributes: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes])
      .filter((a) => /^on/i.test(a.name)).map((a) => a.name),
    scriptOrigins: [...document.querySelectorAll('script[src]')].map((s) => new URL(s.src).origin),
  }));
  check(facts.h1 === 1, `${name}: one <h1>`, facts.h1);
  check(facts.lang !== '', `${name}: <html lang> is set`);
  const missing = pages.map((p) => `/dashboard/${collaboration}${p.path}`).filter((p) => !facts.navLinks.includes(p));
  check(missing.length === 0, `${name}: <nav> links to every page`, `missing ${missing.join(', ')}`);
  const uncaptioned = facts.tables.filter((t) => t.caption === '');
  check(uncaptioned.length === 0, `${name}: every table has a <caption>`,
        uncaptioned.map((t) => t.id || '(no id)').join(', '));
  check(facts.inlineScripts === 0 && facts.handlerAttributes.length === 0, `${name}: no inline script`,
        `${facts.inlineScripts} inline <script>, handlers ${facts.handlerAttributes.join(' ')}`);
  check(facts.scriptOrigins.every((o) => o === base(port)), `${name}: scripts only from Tandem itself`,
        facts.scriptOrigins.join(' '));

  // axe-core is evaluated through the DevTools protocol: the page's own CSP (rightly) refuses a
  // script tag added to it, and the page is tested as it is served.
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  const serious = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of results.filter((x) => !serious.includes(x))) {
    console.log(`     axe (${v.impact}, not failing): ${v.id}: ${v.help}`);
  }
  check(serious.length === 0, `${name}: no serious or critical accessibility violation (axe-core)`,
        serious.map((v) => `${v.id} [${v.impact}] ${v.help} at ${v.targets.join(' | ')}`).join('; '));
}

/// Screenshots at desktop and phone widths; on the phone, the page itself does not scroll sideways.
async function screenshots(page, name) {
  await page.setViewport({ width: 1280, height: 800 });
  await page.screenshot({ path: path.join(artefacts, `${name}-desktop-1280x800.png`), fullPage: true });
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `${name}: on a 390 px phone the page does not scroll sideways`, `${overflow} px wider`);
  await page.screenshot({ path: path.join(artefacts, `${name}-phone-390x844.png`), fullPage: true });
  await page.setViewport({ width: 1280, height: 800 });
}

/// Opens `url` in `page`: the final response, or null when the navigation failed.
async function visit(page, url) {
  try {
    return await page.goto(url, { waitUntil: 'load', timeout: 20000 });
  } catch (error) {
    console.log(`     navigation to ${url} failed: ${error.message}`);
    return null;
  }
}

/// The text of each cell `td[data-field]` (or `td[data-org]`) of the row `selector`, by field.
async function rowCells(page, selector, attribute = 'data-field') {
  return page.evaluate((sel, attr) => {
    const row = document.querySelector(sel);
    if (!row) return null;
    return Object.fromEntries([...row.querySelectorAll(`td[${attr}]`)]
      .map((td) => [td.getAttribute(attr), td.textContent.replace(/\s+/g, ' ').trim()]));
  }, selector, attribute);
}

/// A page is refused when it does not show: 401 or 403, or a redirect away from it.
function refused(response, url) {
  if (response === null) return false;
  if ([401, 403, 410].includes(response.status())) return true;
  return response.request().redirectChain().length > 0 && response.url() !== url;
}

// --- The figures each page must show ---

const orgFigures = {
  //          people, active this month, response rate, open, overdue, blocked tasks
  backbone: { people: '2', active: '2', 'response-rate': '100%', 'open-tasks': '0', 'overdue-tasks': '0', 'blocked-tasks': '0' },
  city: { people: '3', active: '3', 'response-rate': '67%', 'open-tasks': '3', 'overdue-tasks': '1', 'blocked-tasks': '1' },
  farmers: { people: '3', active: '0', 'response-rate': '0%', 'open-tasks': '1', 'overdue-tasks': '0', 'blocked-tasks': '0' },
  schools: { people: '2', active: '2', 'response-rate': '50%', 'open-tasks': '0', 'overdue-tasks': '0', 'blocked-tasks': '0' },
};
const roundA1 = { backbone: 'approved', city: 'checking', farmers: 'asked', schools: 'asked' };
const everyone = ['ana', 'ben', 'carla', 'dev', 'emma', 'farid', 'grace', 'hugo', 'iris', 'bruno'];

function checkRound(cells, where) {
  if (!check(cells !== null, `${where}: round A1 is listed`)) return;
  for (const [org, state] of Object.entries(roundA1)) {
    check((cells[org] ?? '').toLowerCase().includes(state), `${where}: A1 shows ${org} ${state}`, cells[org]);
  }
}

async function checkFigures(page, name) {
  if (name === 'overview') {
    for (const [org, figures] of Object.entries(orgFigures)) {
      const cells = await rowCells(page, `#organizations tr[data-org="${org}"]`);
      if (!check(cells !== null, `overview: organization ${org} has a row`)) continue;
      for (const [field, expected] of Object.entries(figures)) {
        // The cell's figure is its first number (a cell may go on: "67% (2 of 3)").
        const shown = (cells[field] ?? '').replace(/\s/g, '').match(/^\d+(?:[.,]\d+)?%?/)?.[0];
        check(shown === expected, `overview: ${org} ${field} is ${expected}`, cells[field]);
      }
    }
    const silences = await page.$$eval('#silences tr[data-subject]', (rows) => rows.map((r) => r.dataset.subject));
    for (const subject of ['farid', 'hugo', 'farmers']) {
      check(silences.includes(subject), `overview: the silence of ${subject} is listed`, silences.join(' '));
    }
    check(silences.length === 3, 'overview: only the farmers\' silences are listed', silences.join(' '));
    checkRound(await rowCells(page, '#approvals tr[data-round="A1"]', 'data-org'), 'overview');
  } else if (name === 'people') {
    const listed = await page.$$eval('#people tr[data-person]', (rows) => rows.map((r) => r.dataset.person));
    check(everyone.every((p) => listed.includes(p)), 'people: every member has a row', listed.join(' '));
    const farid = await page.$eval('#people tr[data-person="farid"]', (r) => r.textContent).catch(() => '');
    check(/Valley Farmers Cooperative|farmers/.test(farid), 'people: Farid\'s row names his organization', text(farid));
  } else if (name === 'tasks') {
    const expected = {
      1: { assignee: 'Emma Schulz', state: 'overdue' },
      2: { assignee: 'Carla Reyes', state: 'open' },
      3: { assignee: 'Dev Patel', state: 'blocked' },
      4: { assignee: 'Valley Farmers Cooperative', state: 'open' },
    };
    for (const [number, want] of Object.entries(expected)) {
      const cells = await rowCells(page, `#tasks tr[data-task="${number}"]`);
      if (!check(cells !== null, `tasks: task ${number} has a row`)) continue;
      check((cells.assignee ?? '').includes(want.assignee), `tasks: task ${number} is assigned to ${want.assignee}`,
            cells.assignee);
      check(`${cells.state ?? ''} ${cells.due ?? ''}`.toLowerCase().includes(want.state),
            `tasks: task ${number} reads ${want.state}`, `${cells.state} / ${cells.due}`);
    }
  } else if (name === 'approvals') {
    checkRound(await rowCells(page, '#approvals tr[data-round="A1"]', 'data-org'), 'approvals');
    const body = await page.$eval('body', (b) => b.textContent);
    check(body.includes('2027 budget'), 'approvals: the round\'s title is shown');
    check(body.includes('fine by us'), 'approvals: Ben\'s note is shown');
  } else if (name === 'calendar') {
    const ics = await page.$$eval('a[href]', (links) => links.map((a) => a.href).filter((h) => /\.ics(\?|$)/.test(h)));
    check(ics.length > 0, 'calendar: the .ics link is there');
    // The events are 5 days ahead: perhaps next month, which `?month=` shows.
    const shown = page.url();
    await visit(page, `${pageUrl(port, pages[4])}?month=${eventMonth}`);
    const body = await page.$eval('body', (b) => b.textContent);
    check(body.includes('Spring newsletter') && body.includes('City newsletter'),
          `calendar: both events are shown (month ${eventMonth})`);
    const clashes = await page.$$eval('tr[data-event].clash', (rows) => rows.map((r) => r.dataset.event));
    check(clashes.length > 0, 'calendar: the clash is marked', 'no tr[data-event].clash');
    await visit(page, shown);
  } else if (name === 'reports') {
    const body = await page.$eval('body', (b) => b.textContent);
    for (const org of ['Riverside Backbone Trust', 'City of Millbrook', 'Valley Farmers Cooperative',
                       'Millbrook Schools Network']) {
      check(body.includes(org), `reports: ${org} is reported`);
    }
    const exports = await page.$$eval('a[href]', (links) => links.map((a) => a.href));
    check(exports.some((h) => /csv/i.test(h)) && exports.some((h) => /json/i.test(h)),
          'reports: the CSV and JSON export links are there');
    check(await page.$('svg') !== null, 'reports: charts are SVG');
  } else if (name === 'audit') {
    const actions = await page.$$eval('#audit tr[data-action]', (rows) => rows.map((r) => r.dataset.action));
    check(actions.includes('task.assign'), 'audit: the task assignments are logged', [...new Set(actions)].join(' '));
    check(actions.includes('approval.open') || actions.some((a) => a.startsWith('approval')),
          'audit: the approval round is logged');
  }
}

// --- The test ---

fs.rmSync(artefacts, { recursive: true, force: true });
fs.mkdirSync(artefacts, { recursive: true });
const scenario = path.join(artefacts, 'scenario');
fs.mkdirSync(scenario);

const port = await freePort();
const configPath = path.join(scenario, 'scenario.yaml');
fs.writeFileSync(configPath, scenarioConfig(port));

let eventMonth; // YYYY-MM of the scenario's events
step(`scenario: first start in ${scenario} (port ${port})`);
{
  const first = spawnSync(binary, ['console', '--config', configPath, '--as', 'ana'], {
    cwd: scenario, input: `${firstStartCommands.join('\n')}\n`, encoding: 'utf8', timeout: 60000 });
  fs.writeFileSync(path.join(artefacts, 'first-start.txt'), `${first.stdout}\n--- stderr\n${first.stderr}`);
  const out = first.stdout ?? '';
  check(first.status === 0, 'the first start types its commands and exits 0', first.stderr || first.error);
  check(out.includes('Task #4 "Map the riverbank plots" assigned to Valley Farmers Cooperative'),
        'the first start created task 4', 'see first-start.txt');
  check(out.includes('A1'), 'the first start opened round A1', 'see first-start.txt');
  eventMonth = eventDay.slice(0, 7);
  check(out.includes(`Added E1 "Spring newsletter" on ${eventDay}`) && out.includes(`Added E2 "City newsletter" on ${eventDay}`),
        `the first start added events E1 and E2 on ${eventDay}`, 'see first-start.txt');
}

step('scenario: seed the past (seed_scenario.py)');
{
  const seed = spawnSync('python3', [path.join(here, 'seed_scenario.py'), path.join(scenario, 'scenario.db')],
                         { encoding: 'utf8' });
  process.stdout.write(seed.stdout);
  check(seed.status === 0, 'the store is seeded', seed.stderr);
}

if (failures.length > 0) {
  console.log(`\ndashboard test: the scenario could not be built; ${failures.length} checks failed`);
  process.exit(1);
}

step('start `tandem console --as ana` and ask for the dashboard');
const clockFile = path.join(scenario, 'clock-offset');
fs.writeFileSync(clockFile, '+0\n');
// A program built with AddressSanitizer aborts when libfaketime is preloaded into it (a double
// free in the loader's memory, before the sanitizer starts): under the sanitizer presets CMake
// says so (TANDEM_SANITIZED), and the expired link is not tried there, which the test prints.
const sanitized = process.env.TANDEM_SANITIZED === '1';
if (sanitized) console.log('skip the expired link: libfaketime cannot be preloaded into a sanitized program');
const canMoveClock = !sanitized && check(fs.existsSync(libfaketime), `libfaketime is installed (${libfaketime})`,
                                         'deploy/install-deps.sh installs it');
const tandem = new Console(configPath, canMoveClock ? clockFile : undefined);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu',
         '--no-first-run', '--no-default-browser-check'],
});
try {
  let from = tandem.type('dashboard');
  const anaLink = (await tandem.waitFor(signInPattern, from))?.[0];
  if (!check(anaLink !== undefined, 'Ana\'s `dashboard` answers with a sign-in link',
             tandem.output.slice(from).slice(0, 500))) {
    throw new Error('no sign-in link: nothing more to test');
  }
  console.log(`     link: ${anaLink}`);
  check(anaLink.startsWith(`${base(port)}/dashboard/sign-in/`), 'the link is on http.listen\'s address');

  step('refusals without a session (plain HTTP)');
  {
    const response = await fetch(pageUrl(port, pages[0]), { redirect: 'manual' });
    check(response.status === 303 || response.status === 401, 'a page without a session cookie is 303 or 401',
          response.status);
    let body = await response.text();
    if (response.status === 303) {
      const to = new URL(response.headers.get('location') ?? '', base(port));
      check(to.pathname !== `/dashboard/${collaboration}`, 'it redirects away from the page', to.href);
      body = await (await fetch(to)).text();
    }
    check(/dashboard/i.test(body), 'the page without a session says how to sign in (`dashboard`)', body.slice(0, 200));
    checkSecurityHeaders(Object.fromEntries(response.headers), 'the page without a session');

    const forged = await fetch(`${base(port)}/dashboard/sign-in/${'A'.repeat(43)}`, { redirect: 'manual' });
    const forgedBody = await forged.text();
    check(forged.status === 403, 'a forged sign-in link is 403', forged.status);
    check(/dashboard/i.test(forgedBody), 'the forged link\'s page says how to get a new link', forgedBody.slice(0, 200));
    checkSecurityHeaders(Object.fromEntries(forged.headers), 'the forged link\'s page');
  }

  step('sign in by link');
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const cspViolations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.setViewport({ width: 1280, height: 800 });
  {
    const response = await visit(page, anaLink);
    const chain = response?.request().redirectChain() ?? [];
    check(chain.length >= 1 && chain[0].response()?.status() === 303, 'the sign-in link answers 303',
          chain[0]?.response()?.status());
    check(response?.url() === pageUrl(port, pages[0]) && response.status() === 200,
          `it lands on /dashboard/${collaboration}`, `${response?.status()} ${response?.url()}`);
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === 'tandem_session');
    if (check(session !== undefined, 'a tandem_session cookie is set', cookies.map((c) => c.name).join(' '))) {
      check(session.httpOnly, 'the session cookie is HttpOnly');
      check(session.sameSite === 'Lax', 'the session cookie is SameSite=Lax', session.sameSite);
      check(session.path === '/dashboard', 'the session cookie\'s Path is /dashboard', session.path);
    }
  }

  for (const p of pages) {
    step(`page: ${p.name}`);
    const response = await visit(page, pageUrl(port, p));
    if (!check(response?.status() === 200, `${p.name}: 200`, response?.status())) continue;
    checkSecurityHeaders(response.headers(), p.name);
    await checkPageStructure(page, p.name, port);
    await checkFigures(page, p.name);
    await screenshots(page, p.name);
  }

  step('reassign task 2 to Bruno through the form');
  {
    await visit(page, pageUrl(port, pages[2]));
    const form = 'tr[data-task="2"] form[data-action="reassign"]';
    const found = await page.$(form);
    if (check(found !== null, 'task 2 has a reassign form')) {
      const options = await page.$$eval(`${form} select[name="to"] option`, (os) => os.map((o) => o.value));
      check(options.includes('@bruno'), 'the form offers @bruno', options.join(' '));
      check(await page.$(`${form} input[type="hidden"][name="csrf"]`) !== null, 'the form carries a csrf field');
      await page.click('tr[data-task="2"] details.change > summary');  // the row's forms are folded
      await page.select(`${form} select[name="to"]`, '@bruno');
      from = tandem.output.length;
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load', timeout: 20000 }).catch(() => null),
        page.click(`${form} [type="submit"]`),
      ]);
      const chain = response?.request().redirectChain() ?? [];
      check(chain.length >= 1 && chain[0].response()?.status() === 303, 'the POST answers 303',
            chain[0]?.response()?.status());
      check(response !== null && new URL(response.url()).pathname === `/dashboard/${collaboration}/tasks`,
            'it comes back to the tasks page', response?.url());
      const status = await page.$eval('[role="status"]', (e) => e.textContent).catch(() => '');
      check(/Bruno/.test(status), 'the tasks page shows the command\'s result', text(status));
      const cells = await rowCells(page, '#tasks tr[data-task="2"]');
      check(/Bruno Costa/.test(cells?.assignee ?? ''), 'task 2 is now Bruno\'s', cells?.assignee);
      const notice = await tandem.waitFor(/tandem -> bruno:[^\n]*(\n[ \t]+[^\n]*)*/, from);
      check(notice !== null, 'Bruno hears of it in his chat (`tandem -> bruno:`)',
            tandem.output.slice(from).slice(0, 400));
      if (notice) console.log(`     ${notice[0].split('\n').join('\n     ')}`);

      await visit(page, pageUrl(port, pages[6]));
      const via = await page.$$eval('#audit tr[data-action="task.reassign"]', (rows) => rows.map((r) => ({
        text: r.textContent.replace(/\s+/g, ' ').trim(),
        via: r.querySelector('td[data-field="via"]')?.textContent.trim() ?? '' })));
      check(via.length === 1, 'the audit log has one task.reassign line', via.length);
      check(via.some((v) => v.via === 'dashboard'), 'it is marked as from the dashboard', JSON.stringify(via));
      check(via.some((v) => /#2\b/.test(v.text) && /bruno|Bruno/.test(v.text)), 'it names task 2 and Bruno',
            JSON.stringify(via));
    }
  }

  step('a form without its CSRF token is refused');
  {
    await visit(page, pageUrl(port, pages[2]));
    const form = 'tr[data-task="2"] form[data-action="reassign"]';
    // A raw request with the session's cookie and the browser's Origin: the page's own CSP
    // (connect-src) rightly keeps a script in the page from posting. The form's own fields are
    // sent (any other hidden field included), to Carla, but for the csrf field.
    const form_ = await page.evaluate((sel) => {
      const f = document.querySelector(sel);
      return f ? { action: f.action, fields: [...new FormData(f).entries()] } : null;
    }, form);
    const session = (await page.cookies()).find((c) => c.name === 'tandem_session');
    const post = async (to, csrf) => {
      const fields = new URLSearchParams(form_.fields);
      fields.set('to', to);
      if (csrf === undefined) fields.delete('csrf'); else fields.set('csrf', csrf);
      const response = await fetch(form_.action, {
        method: 'POST', body: fields, redirect: 'manual',
        headers: { Cookie: `tandem_session=${session?.value}`, Origin: base(port) } });
      return response.status;
    };
    if (check(form_ !== null && session !== undefined, 'the tasks page has task 2\'s form and a session')) {
      const without = await post('@carla', undefined);
      const wrong = await post('@carla', 'not-the-token');
      check(without === 403, 'a POST without csrf is 403', without);
      check(wrong === 403, 'a POST with a wrong csrf is 403', wrong);
      // The same request with the form's csrf is taken (task 2 is Bruno's already: nothing changes).
      const control = await post('@bruno', form_.fields.find(([name]) => name === 'csrf')?.[1]);
      check(control === 303, 'the same request with the form\'s csrf is taken (303)', control);
    }
    await visit(page, pageUrl(port, pages[2]));
    const cells = await rowCells(page, '#tasks tr[data-task="2"]');
    check(/Bruno Costa/.test(cells?.assignee ?? ''), 'task 2 is still Bruno\'s', cells?.assignee);
  }

  step('a used link is refused');
  {
    const other = await browser.createBrowserContext();
    const fresh = await other.newPage();
    const response = await visit(fresh, anaLink);
    check(response !== null && [403, 410].includes(response.status()), 'opening the same link again is 403 or 410',
          `${response?.status()} ${response?.url()}`);
    const body = response ? await fresh.$eval('body', (b) => b.textContent).catch(() => '') : '';
    check(/dashboard/i.test(body), 'its page says how to get a new link', text(body).slice(0, 200));
    check((await fresh.cookies()).every((c) => c.name !== 'tandem_session'), 'it sets no session');
    await other.close();
  }


  step('a participant gets no link');
  {
    tandem.type('/as emma');
    from = tandem.type('dashboard');
    const reply = await tandem.waitFor(/tandem:[^\n]*(\n[ \t]+[^\n]*)*/, from);
    check(reply !== null, 'Emma\'s `dashboard` is answered', tandem.output.slice(from));
    check(reply !== null && !signInPattern.test(reply[0]), 'the answer has no sign-in link', reply?.[0]);
    check(reply !== null && /particip|facilitator|representative/i.test(reply[0]),
          'it says the dashboard is not for participants', reply?.[0]);
    tandem.type('/as ana');
  }

  step('a removed facilitator loses access at the next request');
  {
    from = tandem.type('facilitator add @iris');
    check(await tandem.waitFor(/Iris Santos is now a facilitator/, from) !== null, 'Iris is made a facilitator');
    tandem.type('/as iris');
    from = tandem.type('dashboard');
    const irisLink = (await tandem.waitFor(signInPattern, from))?.[0];
    if (check(irisLink !== undefined, 'Iris gets a sign-in link', tandem.output.slice(from).slice(0, 300))) {
      check(irisLink !== anaLink, 'her link is not Ana\'s');
      const irisContext = await browser.createBrowserContext();
      const irisPage = await irisContext.newPage();
      const signedIn = await visit(irisPage, irisLink);
      check(signedIn?.status() === 200 && signedIn.url() === pageUrl(port, pages[0]), 'Iris signs in',
            `${signedIn?.status()} ${signedIn?.url()}`);
      tandem.type('/as ana');
      from = tandem.type('member remove @iris');
      check(await tandem.waitFor(/Iris Santos is no longer a member/, from) !== null, 'Ana removes Iris');
      const after = await visit(irisPage, pageUrl(port, pages[2]));
      check(refused(after, pageUrl(port, pages[2])), 'Iris\'s next page request is refused',
            `${after?.status()} ${after?.url()}`);
      await irisContext.close();
    }
  }

  step('signing out ends all of one\'s sessions');
  {
    from = tandem.type('dashboard');
    const second = (await tandem.waitFor(signInPattern, from))?.[0];
    const elsewhere = await browser.createBrowserContext();
    const other = await elsewhere.newPage();
    const signedIn = second ? await visit(other, second) : null;
    check(signedIn?.status() === 200, 'Ana signs in in a second browser too', signedIn?.status());
    await visit(page, pageUrl(port, pages[0]));
    const signOut = 'form[action="/dashboard/sign-out"]';
    if (check(await page.$(`${signOut} input[name="csrf"]`) !== null, 'the page has a sign-out form with csrf')) {
      const [done] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load', timeout: 20000 }).catch(() => null),
        page.click(`${signOut} [type="submit"]`),
      ]);
      const body = done ? await page.$eval('body', (b) => b.textContent).catch(() => '') : '';
      check(/dashboard/i.test(body), 'the page after signing out says how to sign in again', text(body).slice(0, 200));
      const here = await visit(page, pageUrl(port, pages[0]));
      check(refused(here, pageUrl(port, pages[0])), 'this browser is signed out', `${here?.status()} ${here?.url()}`);
      const there = await visit(other, pageUrl(port, pages[0]));
      check(refused(there, pageUrl(port, pages[0])), 'the second browser is signed out too',
            `${there?.status()} ${there?.url()}`);
    }
    await elsewhere.close();
  }

  // Last: from here on Tandem's clock is 16 minutes ahead.
  step('an expired link is refused (Tandem\'s clock moved 16 minutes ahead by libfaketime)');
  if (canMoveClock) {
    // Control: a link asked for now and opened at once works.
    from = tandem.type('dashboard');
    const fresh = (await tandem.waitFor(signInPattern, from))?.[0];
    const control = await browser.createBrowserContext();
    const opened = fresh ? await visit(await control.newPage(), fresh) : null;
    check(opened?.status() === 200 && opened.url() === pageUrl(port, pages[0]),
          'a new link opened at once signs Ana in (control)', `${opened?.status()} ${opened?.url()}`);
    await control.close();
    from = tandem.type('dashboard');
    const link = (await tandem.waitFor(signInPattern, from))?.[0];
    if (check(link !== undefined, 'Ana gets a new sign-in link', tandem.output.slice(from).slice(0, 300))) {
      fs.writeFileSync(clockFile, '+16m\n');
      // The audit line of a command typed now tells the time Tandem reads (in Ana's zone).
      tandem.type('event add tomorrow "Clock probe"');
      from = tandem.type('audit');
      const probe = await tandem.waitFor(/(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) Ana Lima: event\.add E\d+ \S+ "Clock probe"/, from);
      const berlin = (ms) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', year: 'numeric',
        month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
      const ahead = [-1, 0, 1].map((m) => berlin(Date.now() + (16 + m) * 60000));
      check(probe !== null && ahead.includes(probe[1]), 'Tandem\'s clock reads 16 minutes ahead',
            `${probe?.[1]} (expected one of ${ahead.join(', ')})`);
      const other = await browser.createBrowserContext();
      const late = await other.newPage();
      const response = await visit(late, link);
      check(response !== null && [403, 410].includes(response.status()), 'a link opened after 16 minutes is refused',
            `${response?.status()} ${response?.url()}`);
      const body = response ? await late.$eval('body', (b) => b.textContent).catch(() => '') : '';
      check(/dashboard/i.test(body), 'its page says how to get a new link', text(body).slice(0, 200));
      await other.close();
    }
  }

  step('the browser saw no Content-Security-Policy violation');
  check(cspViolations.length === 0, 'no page broke its own Content-Security-Policy', cspViolations.join(' | '));
} catch (error) {
  check(false, 'the test ran to its end', error.stack);
} finally {
  await browser.close();
  const code = await tandem.stop();
  fs.writeFileSync(path.join(artefacts, 'console.txt'), tandem.output);
  check(code === 0, 'the console exits 0 at the end of its input', code);
}

console.log(`\nscreenshots and the console's output are in ${artefacts}`);
const total = failures.length;
console.log(`dashboard test: ${total === 0 ? 'all checks passed' : `${total} checks failed:\n  - ${failures.join('\n  - ')}`}`);
process.exit(total === 0 ? 0 : 1);
