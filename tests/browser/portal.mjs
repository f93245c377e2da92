// The portal in a real browser (issue 17): Debian's headless Chromium driven by
// playwright-core, axe-core injected into every page.
// Usage: node tests/browser/portal.mjs TOLLGATE_BINARY SOURCE_DIR ARTIFACT_DIR
// Starts `tollgate serve` on a free loopback port with the example service and
// a ledger of the example's delivery events moved to end a few days ago, signs
// in with a token link, opens every page in PAGES, fails on serious or
// critical axe violations, script errors or CSP refusals, saves a PNG of every
// page in ARTIFACT_DIR, and checks the service page's DORA charts plot the
// numbers `tollgate dora report --format json` gives for the same window.
// Exit 77 (CTest: skipped) without Chromium or web/node_modules, unless
// TOLLGATE_REQUIRE_BROWSER=1.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [tollgate, source, artifacts] = process.argv.slice(2).map((a) => path.resolve(a));
const CHROMIUM = process.env.TOLLGATE_CHROMIUM || '/usr/bin/chromium';
const required = process.env.TOLLGATE_REQUIRE_BROWSER === '1';
const modules = path.join(source, 'web', 'node_modules');

function skip(why) {
  console.log(`portal_browser: ${required ? 'FAILED' : 'skipped'}: ${why}`);
  process.exit(required ? 1 : 77);
}
if (!fs.existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (!fs.existsSync(path.join(modules, 'playwright-core'))) skip('web/node_modules is missing (make web)');
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
const axePath = require.resolve('axe-core/axe.min.js');

const failures = [];
const fail = (msg) => {
  failures.push(msg);
  console.log('FAIL: ' + msg);
};

// ---- seed: the example's events, moved by whole weeks to end 2-9 days ago ----
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-browser-'));
const ledger = path.join(work, 'ledger.db');
const ex = path.join(source, 'examples', 'payments-api');
const WEEK = 7 * 86400e3;
const deploys = fs.readFileSync(path.join(ex, 'events', 'deploys.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const latest = Math.max(...deploys.map((d) => Date.parse(d.time)));
const shift = Math.floor((Date.now() - 2 * 86400e3 - latest) / WEEK) * WEEK;
const moved = (t) => new Date(Date.parse(t) + shift).toISOString().replace('.000Z', 'Z');
for (const d of deploys) {
  d.time = moved(d.time);
  for (const c of d.changes || []) c.time = moved(c.time);
}
fs.writeFileSync(path.join(work, 'deploys.jsonl'), deploys.map((d) => JSON.stringify(d)).join('\n') + '\n');
const csv = fs.readFileSync(path.join(ex, 'events', 'incidents.csv'), 'utf8').split('\n').filter(Boolean);
const timeCol = csv[0].split(',').indexOf('time');
const movedCsv = [csv[0], ...csv.slice(1).map((l) => l.split(',').map((v, i) => (i === timeCol ? moved(v) : v)).join(','))];
fs.writeFileSync(path.join(work, 'incidents.csv'), movedCsv.join('\n') + '\n');
const tg = (...args) => execFileSync(tollgate, [...args, '--ledger', ledger], { encoding: 'utf8' });
tg('event', 'import', path.join(work, 'deploys.jsonl'));
tg('event', 'import', path.join(work, 'incidents.csv'));

// ---- the server --------------------------------------------------------------
const server = spawn(tollgate, ['serve', '--listen', '127.0.0.1:0', '--ledger', ledger, '--threads', '8',
  '--service', `payments-api=${path.join(ex, 'tollgate.yaml')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const started = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(false), 20000);
  server.stdout.on('data', (b) => {
    out += b;
    if (/admin token: \S+/.test(out) && /portal: http:\/\/\S+\//.test(out)) {
      clearTimeout(timer);
      resolve(true);
    }
  });
  server.on('exit', () => resolve(false));
});
if (!started) {
  console.log('FAIL: tollgate serve did not start:\n' + out);
  process.exit(1);
}
const token = out.match(/admin token: (\S+)/)[1];
const base = out.match(/portal: (http:\/\/\S+?)\/ /)[1];

// ---- the pages: extend here (waiver queue, change, ledger pages) --------------
// Each: a name (the screenshot's file), a path, and checks run on the page.
const PAGES = [
  { name: 'overview', path: '/', check: async (page) => {
    if ((await page.locator('a[href="/services/payments-api"]').count()) !== 1) fail('overview: no link to payments-api');
  } },
  { name: 'service-payments-api', path: '/services/payments-api', check: checkDoraCharts },
];

async function checkDoraCharts(page) {
  await page.waitForFunction(() => window.tollgatePortal && window.tollgatePortal.charts.length === 4, null, { timeout: 10000 });
  const charts = await page.evaluate(() => window.tollgatePortal.charts.map((c) => ({ id: c.id, labels: c.labels, data: c.data })));
  const block = JSON.parse(await page.locator('#dora-by-week').textContent());
  // The CLI's report over the very window the page used.
  const cli = JSON.parse(tg('dora', 'report', '--service', 'payments-api', '--from', block.window.from, '--to', block.window.to,
    '--by', 'week', '--format', 'json'));
  const weeks = cli.periods.map((p) => p.services?.['payments-api'] ?? null);
  const get = (m, keys) => keys.reduce((o, k) => (o == null ? null : o[k] ?? null), m);
  const expected = {
    'deploys': [['deployments']],
    'lead-time': [['lead_time_hours', 'median'], ['lead_time_hours', 'p90']],
    'change-failure-rate': [['change_failure_rate']],
    'time-to-restore': [['time_to_restore_hours', 'median']],
  };
  let compared = 0;
  for (const c of charts) {
    const xs = cli.periods.map((p) => Date.parse(p.from) / 1000);
    if (JSON.stringify(c.data[0]) !== JSON.stringify(xs)) fail(`chart ${c.id}: weeks ${c.data[0]} != CLI ${xs}`);
    expected[c.id].forEach((keys, i) => {
      const want = weeks.map((m) => get(m, keys));
      const got = c.data[i + 1];
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`chart ${c.id} ${c.labels[i]}: ${JSON.stringify(got)} != CLI ${JSON.stringify(want)}`);
      compared += want.filter((v) => v != null).length;
    });
  }
  const deploys = charts.find((c) => c.id === 'deploys').data[1].reduce((a, b) => a + (b || 0), 0);
  if (deploys !== cli.overall.deployments) fail(`deploys per week add to ${deploys}, CLI overall ${cli.overall.deployments}`);
  if (compared < 20) fail(`only ${compared} charted figures compared: the seed did not land in the window`);
  console.log(`service page: ${charts.length} charts, ${compared} figures equal to tollgate dora report (${deploys} deploys)`);
}

// ---- drive the browser ---------------------------------------------------------
fs.mkdirSync(artifacts, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
try {
  // bypassCSP only so axe-core can be injected; the CSP itself is checked by
  // a second context below, which keeps it.
  for (const bypassCSP of [false, true]) {
    const context = await browser.newContext({ bypassCSP, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (r.status() >= 400 && u.pathname !== '/favicon.ico') errors.push(`HTTP ${r.status()} for ${u.pathname}`);
    });
    const login = await page.goto(`${base}/login?token=${token}&next=/`);
    if (!login.ok() || new URL(page.url()).pathname !== '/') fail(`sign-in link: ${login.status()} at ${page.url()}`);
    for (const p of PAGES) {
      const r = await page.goto(base + p.path);
      if (r.status() !== 200) fail(`${p.path}: HTTP ${r.status()}`);
      await p.check(page);
      if (!bypassCSP) continue;
      await page.screenshot({ path: path.join(artifacts, `${p.name}.png`), fullPage: true });
      await page.addScriptTag({ path: axePath });
      const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'))
        fail(`${p.path}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
      console.log(`${p.path}: ${res.violations.length} axe violations (none serious or critical allowed); screenshot ${p.name}.png`);
    }
    for (const e of errors) fail(`browser error (CSP ${bypassCSP ? 'bypassed' : 'enforced'}): ${e}`);
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(`screenshots in ${artifacts}`);
console.log(`portal_browser: ${PAGES.length} pages, ${failures.length} failures`);
process.exit(failures.length ? 1 : 0);
