// Draws digits on digitinfer-server's page (GET /) in headless Chromium, as a person would.
//
//   node draw_test.mjs [BASE_URL]        (or DIGITINFER_SERVER_URL; e.g. http://127.0.0.1:8080)
//
// Environment: DIGITINFER_SCREENSHOT (PNG path, default artifacts/page.png beside this file; a
// phone-sized one goes beside it as *-phone.png), CHROMIUM (default /usr/bin/chromium),
// DIGITINFER_MODEL_NAME (default convnet), DIGITINFER_BROWSER_TIMEOUT (seconds, default 60);
// DIGITINFER_PAGE=FILE (page development only): answer GET / with FILE instead of the page built
// into the server, with the server's own headers (Content-Security-Policy included).
// Exit status: 0 passed, 1 failed (with the reason on stderr), 2 usage error.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = (process.argv[2] || process.env.DIGITINFER_SERVER_URL || '').replace(/\/+$/, '');
if (!/^https?:\/\/[^/]+$/.test(base)) {
  console.error('usage: node draw_test.mjs BASE_URL   (or DIGITINFER_SERVER_URL), e.g. http://127.0.0.1:8080');
  process.exit(2);
}
const screenshot = path.resolve(process.env.DIGITINFER_SCREENSHOT || path.join(here, 'artifacts', 'page.png'));
const phoneShot = screenshot.replace(/(\.png)?$/i, '-phone.png');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const modelName = process.env.DIGITINFER_MODEL_NAME || 'convnet';
const timeoutSeconds = Number(process.env.DIGITINFER_BROWSER_TIMEOUT || 60);
const STEP_TIMEOUT = 15000;
const pageOverride = process.env.DIGITINFER_PAGE || '';
let overrideResponse = null;  // { headers, body } when DIGITINFER_PAGE is set

// Strokes in pad fractions (0..1 of the drawing pad's side), drawn with the mouse or a finger.
const DIGITS = {
  // A top bar, then the diagonal down to the bottom left, in one stroke.
  7: [[[0.26, 0.22], [0.74, 0.22], [0.66, 0.38], [0.56, 0.58], [0.48, 0.80]]],
  // A slightly slanted vertical line.
  1: [[[0.53, 0.18], [0.50, 0.50], [0.47, 0.82]]],
  // An upright ellipse, closed.
  0: [Array.from({ length: 33 }, (_, i) => {
    const a = (i / 32) * 2 * Math.PI;
    return [0.5 + 0.2 * Math.sin(a), 0.5 - 0.3 * Math.cos(a)];
  })],
};

let browser = null;
const pageErrors = [];
let step = 'starting';

function fail(message) {
  throw new Error(message);
}

function log(message) {
  console.log(`draw_test: ${message}`);
}

const watchdog = setTimeout(async () => {
  console.error(`draw_test: FAILED: timed out after ${timeoutSeconds} s (during: ${step})`);
  try { browser?.process()?.kill('SIGKILL'); } catch { /* gone */ }
  process.exit(1);
}, timeoutSeconds * 1000);

async function openPage(query, viewport) {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  await page.setViewport(viewport);
  page.on('pageerror', (err) => pageErrors.push(`${query || '/'}: ${err.message}`));
  // A refused HTTP status is logged as "Failed to load resource"; anything else is the page's fault
  // (a script error, a Content-Security-Policy violation).
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) {
      pageErrors.push(`${query || '/'}: console: ${msg.text()}`);
    }
  });
  const requests = [];
  page.on('request', (req) => {
    if (req.method() === 'POST') requests.push({ url: req.url(), contentType: req.headers()['content-type'] });
  });
  if (overrideResponse) {
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.isNavigationRequest() && new URL(req.url()).pathname === '/') {
        req.respond({ status: 200, headers: overrideResponse.headers, body: overrideResponse.body });
      } else {
        req.continue();
      }
    });
  }
  const response = await page.goto(`${base}/${query}`, { waitUntil: 'load' });
  if (!response) fail(`GET /${query}: no response`);
  if (response.status() !== 200) fail(`GET /${query}: HTTP ${response.status()}, expected 200`);
  const type = response.headers()['content-type'] || '';
  if (!/^text\/html\b/i.test(type)) fail(`GET /${query}: Content-Type "${type}", expected text/html`);
  for (const id of ['pad', 'clear', 'prediction', 'bars']) {
    if (!(await page.$(`#${id}`))) fail(`the page has no #${id}`);
  }
  await expectState(page, 'idle', 'on load');
  return { page, requests };
}

async function state(page) {
  return page.evaluate(() => document.body.dataset.state);
}

async function expectState(page, expected, when) {
  const got = await state(page);
  if (got !== expected) fail(`${when}: body[data-state] is "${got}", expected "${expected}"`);
}

async function waitForState(page, wanted, when) {
  try {
    await page.waitForFunction(
      (w) => w.includes(document.body.dataset.state), { timeout: STEP_TIMEOUT }, wanted);
  } catch {
    const status = await page.$eval('#status', (e) => e.textContent).catch(() => '?');
    fail(`${when}: body[data-state] stayed "${await state(page)}" for ${STEP_TIMEOUT / 1000} s, ` +
         `expected ${wanted.join(' or ')} (status: ${status})`);
  }
  return state(page);
}

async function padBox(page) {
  const box = await (await page.$('#pad')).boundingBox();
  if (!box || box.width < 100 || box.height < 100) fail(`#pad is too small or hidden: ${JSON.stringify(box)}`);
  return box;
}

// Interpolated points of a polyline, ~4 CSS px apart, in page coordinates.
function densify(points, box) {
  const out = [];
  for (let i = 0; i < points.length; i++) {
    const [x, y] = [box.x + points[i][0] * box.width, box.y + points[i][1] * box.height];
    if (i === 0) { out.push([x, y]); continue; }
    const [px, py] = out[out.length - 1];
    const n = Math.max(1, Math.ceil(Math.hypot(x - px, y - py) / 4));
    for (let k = 1; k <= n; k++) out.push([px + ((x - px) * k) / n, py + ((y - py) * k) / n]);
  }
  return out;
}

async function drawWithMouse(page, digit) {
  const box = await padBox(page);
  for (const stroke of DIGITS[digit]) {
    const pts = densify(stroke, box);
    await page.mouse.move(pts[0][0], pts[0][1]);
    await page.mouse.down();
    for (const [x, y] of pts.slice(1)) await page.mouse.move(x, y);
    // While the button is down the answer is provisional.
    const during = await state(page);
    if (during !== 'pending') fail(`drawing ${digit}: body[data-state] is "${during}" mid-stroke, expected "pending"`);
    await page.mouse.up();
  }
}

async function drawWithFinger(page, digit) {
  const box = await padBox(page);
  for (const stroke of DIGITS[digit]) {
    const pts = densify(stroke, box);
    await page.touchscreen.touchStart(pts[0][0], pts[0][1]);
    for (const [x, y] of pts.slice(1)) await page.touchscreen.touchMove(x, y);
    await page.touchscreen.touchEnd();
  }
}

async function result(page) {
  return page.evaluate(() => {
    const bars = [...document.querySelectorAll('#bars > *')].map((el) => ({
      digit: el.dataset.digit,
      value: Number(el.dataset.value),
      text: el.textContent,
      win: el.classList.contains('win'),
      width: parseFloat(el.querySelector('.fill')?.style.width || 'NaN'),
    }));
    return {
      prediction: document.getElementById('prediction').textContent.trim(),
      status: document.getElementById('status').textContent.trim(),
      announce: document.getElementById('announce')?.textContent.trim() ?? '',
      bars,
    };
  });
}

async function expectDigit(page, digit, how) {
  const when = `after drawing ${digit} with ${how}`;
  const got = await waitForState(page, ['done', 'error'], when);
  const r = await result(page);
  if (got !== 'done') fail(`${when}: the page shows an error: ${r.status}`);
  if (r.prediction !== String(digit)) {
    const probs = r.bars.map((b) => `${b.digit}:${b.value.toFixed(3)}`).join(' ');
    fail(`${when}: #prediction is "${r.prediction}", expected "${digit}" (probabilities ${probs})`);
  }
  if (r.bars.length !== 10) fail(`${when}: #bars holds ${r.bars.length} bars, expected 10`);
  r.bars.forEach((b, i) => {
    if (b.digit !== String(i)) fail(`${when}: bar ${i} is labelled "${b.digit}"`);
    if (!(b.value >= 0 && b.value <= 1)) fail(`${when}: bar ${i} has value ${b.value}`);
    if (!b.text.includes(String(i)) || !/%/.test(b.text)) fail(`${when}: bar ${i} shows "${b.text}", expected its digit and a percentage`);
    if (!(Math.abs(b.width - b.value * 100) < 0.5)) fail(`${when}: bar ${i} is ${b.width}% wide for a value of ${b.value}`);
  });
  const sum = r.bars.reduce((s, b) => s + b.value, 0);
  if (Math.abs(sum - 1) > 1e-3) fail(`${when}: the bars' values sum to ${sum}, expected 1`);
  const best = r.bars.reduce((a, b) => (b.value > a.value ? b : a));
  const winners = r.bars.filter((b) => b.win);
  if (winners.length !== 1 || winners[0].digit !== String(digit) || best.digit !== String(digit)) {
    fail(`${when}: the highlighted bar is ${winners.map((b) => b.digit).join(',') || 'none'}, ` +
         `the largest ${best.digit}, expected both ${digit}`);
  }
  if (!r.announce.includes(String(digit))) fail(`${when}: the live region says "${r.announce}"`);
  log(`drew ${digit} with ${how}: predicted ${r.prediction} (p = ${best.value.toFixed(4)}), bars sum to ${sum.toFixed(6)}`);
}

async function expectBlank(page, when) {
  const r = await page.evaluate(() => {
    const c = document.getElementById('pad');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] | d[i + 1] | d[i + 2] || d[i + 3] !== 255) lit++;
    return { lit, width: c.width, height: c.height };
  });
  if (r.lit) fail(`${when}: the pad has ${r.lit} non-black pixels of ${r.width}x${r.height}`);
  await expectState(page, 'idle', when);
  const res = await result(page);
  if (/\d/.test(res.prediction)) fail(`${when}: #prediction still shows "${res.prediction}"`);
  if (res.bars.some((b) => b.value !== 0 || b.win)) fail(`${when}: the bars were not reset`);
  return r;
}

function expectPngPosts(requests, model, when) {
  const want = `${base}/predictions/${encodeURIComponent(model)}?format=json`;
  if (!requests.length) fail(`${when}: the page sent no POST`);
  for (const r of requests) {
    if (r.url !== want) fail(`${when}: the page POSTed to ${r.url}, expected ${want}`);
    if (r.contentType !== 'image/png') fail(`${when}: the page POSTed Content-Type "${r.contentType}", expected image/png`);
  }
}

async function main() {
  step = 'launching Chromium';
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--no-default-browser-check', '--disable-extensions'],
    timeout: 30000,
  });
  log(`${await browser.version()} against ${base}`);
  if (pageOverride) {
    const res = await fetch(`${base}/`);
    if (res.status !== 200) fail(`GET /: HTTP ${res.status}, expected 200`);
    const headers = {};
    for (const name of ['content-type', 'content-security-policy', 'x-content-type-options', 'cache-control']) {
      if (res.headers.get(name)) headers[name] = res.headers.get(name);
    }
    overrideResponse = { headers, body: readFileSync(pageOverride) };
    log(`GET / answered with ${pageOverride} (DIGITINFER_PAGE), with the server's headers`);
  }

  // 1. Desktop, mouse, high-density screen: 7, Clear, 1.
  step = 'desktop page';
  const desk = await openPage('', { width: 900, height: 720, deviceScaleFactor: 2 });
  const { page } = desk;
  const backing = await page.$eval('#pad', (c) => [c.width, c.height, c.getBoundingClientRect().width]);
  if (backing[0] < 2 * backing[2] - 1) fail(`#pad's backing store is ${backing[0]} px for ${backing[2]} CSS px at devicePixelRatio 2`);
  step = 'drawing 7';
  await drawWithMouse(page, 7);
  await expectDigit(page, 7, 'the mouse');
  expectPngPosts(desk.requests, modelName, 'drawing 7');

  step = 'clearing';
  await page.click('#clear');
  await expectBlank(page, 'after clicking #clear');
  log('#clear blanked the pad and reset the state to idle');

  step = 'drawing 1';
  desk.requests.length = 0;
  await drawWithMouse(page, 1);
  await expectDigit(page, 1, 'the mouse');
  expectPngPosts(desk.requests, modelName, 'drawing 1');

  step = 'screenshot';
  mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot });
  log(`screenshot: ${screenshot}`);

  // Clear is reachable with the keyboard.
  step = 'keyboard';
  let focused = '';
  for (let i = 0; i < 10 && focused !== 'clear'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.id || '');
  }
  if (focused !== 'clear') fail('#clear cannot be reached with Tab');
  await page.keyboard.press('Enter');
  await expectBlank(page, 'after Tab to #clear and Enter');
  log('#clear is reachable with Tab and works with Enter');
  await page.close();

  // 2. Phone, finger: 0.
  step = 'phone page';
  const phone = await openPage('', { width: 390, height: 844, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  const scrollWidth = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  if (scrollWidth > 390) fail(`on a 390 px wide phone the page is ${scrollWidth} px wide (scrolls sideways)`);
  step = 'drawing 0 with a finger';
  await drawWithFinger(phone.page, 0);
  await expectDigit(phone.page, 0, 'a finger');
  expectPngPosts(phone.requests, modelName, 'drawing 0');
  await phone.page.screenshot({ path: phoneShot, fullPage: true });
  log(`screenshot: ${phoneShot}`);
  await phone.page.close();

  // 3. An unknown model: the server's error is shown, nothing crashes.
  step = 'unknown model';
  const bad = await openPage('?model=nope', { width: 900, height: 720, deviceScaleFactor: 1 });
  await drawWithMouse(bad.page, 7);
  const got = await waitForState(bad.page, ['done', 'error'], 'drawing on /?model=nope');
  const r = await result(bad.page);
  if (got !== 'error') fail(`/?model=nope: body[data-state] is "${got}", expected "error" (prediction "${r.prediction}")`);
  if (!/nope/.test(r.status) || !/ModelNotFound|404/.test(r.status)) {
    fail(`/?model=nope: the error shown is "${r.status}", expected the server's ModelNotFoundException for "nope"`);
  }
  if (/\d/.test(r.prediction)) fail(`/?model=nope: #prediction shows "${r.prediction}" despite the error`);
  expectPngPosts(bad.requests, 'nope', 'drawing on /?model=nope');
  log(`/?model=nope shows: ${r.status}`);
  // Clear leaves the error state.
  await bad.page.click('#clear');
  await expectBlank(bad.page, '/?model=nope after #clear');
  await bad.page.close();

  if (pageErrors.length) fail(`errors in the page:\n  ${pageErrors.join('\n  ')}`);
}

let code = 0;
try {
  await main();
  console.log('draw_test: passed');
} catch (err) {
  console.error(`draw_test: FAILED (during: ${step}): ${err && err.message ? err.message : err}`);
  code = 1;
} finally {
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
}
process.exit(code);
