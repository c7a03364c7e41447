// Renders lockgen graph's Mermaid and HTML outputs with real renderers, for
// scripts/graph-renderers.sh:
// - Mermaid: `mermaid.parse` under node (a jsdom window for its sanitizer), then
//   `mermaid.render` in headless Chromium with Mermaid's default configuration (the limits
//   GitHub renders with: maxTextSize 50,000, maxEdges 500), counting the nodes drawn;
// - HTML: the page opened from disk in headless Chromium: search an object, click nodes, read
//   the DOM (writers and findings listed with path:line), save a screenshot and check that it
//   is not blank, and check that no request left the page.
//
// Usage: node check.mjs MANIFEST.json
// The manifest: {"chromium": PATH, "mermaid": [{"file", "json", "name"}],
//                "html": [{"file", "json", "name", "search", "expect", "click": [ID…], "screenshot"}]}
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const failures = [];
let passed = 0;

function check(ok, what) {
  if (ok) {
    passed += 1;
  } else {
    failures.push(what);
    console.error('  FAIL ' + what);
  }
}

// ---- Mermaid under node ---------------------------------------------------------------------

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const mermaidVersion = JSON.parse(
  fs.readFileSync(path.join(here, 'node_modules/mermaid/package.json'), 'utf8')).version;

for (const item of manifest.mermaid) {
  const text = fs.readFileSync(item.file, 'utf8');
  try {
    const parsed = await mermaid.parse(text);
    check(parsed && parsed.diagramType.startsWith('flowchart'), `${item.name}: mermaid.parse: a flowchart`);
  } catch (error) {
    check(false, `${item.name}: mermaid.parse: ${error.message}`);
  }
}

// ---- Chromium ---------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: manifest.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });

// Mermaid's own renderer, in a blank page with the library from node_modules (no network).
const mermaidPage = await context.newPage();
await mermaidPage.setContent('<!DOCTYPE html><body><div id="out"></div></body>');
await mermaidPage.addScriptTag({ path: path.join(here, 'node_modules/mermaid/dist/mermaid.min.js') });
await mermaidPage.evaluate(() => window.mermaid.initialize({ startOnLoad: false }));
for (const item of manifest.mermaid) {
  const text = fs.readFileSync(item.file, 'utf8');
  const graph = JSON.parse(fs.readFileSync(item.json, 'utf8'));
  // The diagram says when it had to draw coarser than the whole graph.
  let expected = graph.summary.objects + graph.summary.writers;
  if (text.includes('objects only')) expected = graph.summary.objects + 1;
  if (text.includes('one box per')) expected = graph.groups.length + 1;
  const result = await mermaidPage.evaluate(async (source) => {
    try {
      const { svg } = await window.mermaid.render('lockgen' + Math.floor(Math.random() * 1e9), source);
      const holder = document.getElementById('out');
      holder.innerHTML = svg;
      const nodes = holder.querySelectorAll('g.node').length;
      const error = /Syntax error|Maximum text size|Too many edges|Edge limit exceeded/i.test(svg);
      holder.innerHTML = '';
      return { nodes, error, size: svg.length };
    } catch (error) {
      return { failure: String(error && error.message || error) };
    }
  }, text);
  if (result.failure) {
    check(false, `${item.name}: mermaid.render: ${result.failure}`);
    continue;
  }
  check(!result.error, `${item.name}: mermaid.render drew an error diagram`);
  check(result.nodes === expected,
    `${item.name}: mermaid.render: ${result.nodes} nodes drawn, ${expected} expected`);
  console.log(`  mermaid ${mermaidVersion}: ${item.name}: ${text.length} characters, ${result.nodes} nodes, SVG ${result.size} bytes`);
}
await mermaidPage.close();

// The HTML page, from disk.
for (const item of manifest.html) {
  const page = await context.newPage();
  const url = pathToFileURL(path.resolve(item.file)).href;
  const requests = [];
  const errors = [];
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const graph = JSON.parse(fs.readFileSync(item.json, 'utf8'));
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status').textContent.length > 0);
  const loaded = Date.now() - started;

  // Search an object, as a reader types it.
  await page.fill('#search', item.search);
  await page.press('#search', 'Enter');
  const wanted = graph.objects.find((o) => o.name === item.expect);
  check(Boolean(wanted), `${item.name}: ${item.expect} is in the JSON graph`);
  await page.waitForFunction((name) => {
    const h = document.querySelector('#story h2');
    return h && h.textContent.includes(name);
  }, item.expect, { timeout: 10000 }).catch(() => {});
  const story = await page.textContent('#story');
  check(story.includes('What a save of ' + item.expect + ' runs'),
    `${item.name}: searching "${item.search}" shows what a save of ${item.expect} runs`);
  const drawn = await page.evaluate(() => window.lockgen.cy.nodes().length);
  check(drawn > 0, `${item.name}: the neighbourhood of ${item.expect} is drawn (${drawn} nodes)`);

  // Click nodes: the canvas is clicked where the node is drawn.
  for (const id of item.click) {
    const box = await page.locator('#canvas').boundingBox();
    const at = await page.evaluate((nodeId) => {
      const node = window.lockgen.cy.getElementById(nodeId);
      if (node.empty()) return null;
      window.lockgen.cy.center(node);
      const p = node.renderedPosition();
      return { x: p.x, y: p.y };
    }, id);
    check(at !== null, `${item.name}: ${id} is drawn`);
    if (!at) continue;
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await page.waitForFunction((nodeId) => document.getElementById('details').dataset.node === nodeId, id,
      { timeout: 5000 }).catch(() => {});
    const shown = await page.evaluate(() => document.getElementById('details').dataset.node);
    check(shown === id, `${item.name}: clicking ${id} shows its details (got ${shown})`);
    const details = await page.evaluate(() => ({
      text: document.getElementById('details').textContent,
      writers: [...document.querySelectorAll('#details li.writer')].map((li) => li.textContent),
      findings: [...document.querySelectorAll('#details li.finding')].map((li) => li.textContent),
      wheres: [...document.querySelectorAll('#details .where')].map((s) => s.textContent),
    }));
    const located = (text) => /\S+:\d+/.test(text);
    if (id.startsWith('object:')) {
      const object = graph.objects.find((o) => o.id === id);
      const writers = graph.edges.filter((e) => e.kind === 'writes' && e.to === id).map((e) => e.from);
      check(details.writers.length === writers.length,
        `${item.name}: ${id} lists its ${writers.length} writers (got ${details.writers.length})`);
      for (const writer of writers) {
        const name = graph.writers.find((w) => w.id === writer).name;
        check(details.writers.some((t) => t.includes(name) && located(t)),
          `${item.name}: ${id} lists writer ${name} with path:line`);
      }
      check(details.findings.length === object.findings.length,
        `${item.name}: ${id} lists its ${object.findings.length} findings (got ${details.findings.length})`);
      for (const finding of object.findings) {
        check(details.findings.some((t) => t.includes(finding.rule) && t.includes(finding.path + ':' + finding.line)),
          `${item.name}: ${id} lists ${finding.rule} at ${finding.path}:${finding.line}`);
      }
    } else {
      const writer = graph.writers.find((w) => w.id === id);
      check(details.text.includes(writer.path + ':' + writer.line),
        `${item.name}: ${id} shows where it is declared`);
      for (const write of writer.writes) {
        check(details.text.includes(write.path + ':' + write.line),
          `${item.name}: ${id} lists its ${write.dml} of ${write.object} with path:line`);
      }
      check(details.findings.length === writer.findings.length + writer.reached_findings.length,
        `${item.name}: ${id} lists its findings`);
    }
    check(details.wheres.every(located), `${item.name}: every place in ${id}'s details is path:line`);
  }

  // Show the first clicked object's neighbourhood again for the picture.
  await page.fill('#search', item.search);
  await page.press('#search', 'Enter');
  await page.waitForTimeout(200);
  if (item.screenshot) {
    await page.screenshot({ path: item.screenshot });
    const png = fs.readFileSync(item.screenshot).toString('base64');
    const colours = await page.evaluate(async (data) => {
      const image = new Image();
      image.src = 'data:image/png;base64,' + data;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context2d = canvas.getContext('2d');
      context2d.drawImage(image, 0, 0);
      const pixels = context2d.getImageData(0, 0, image.width, image.height).data;
      const seen = new Set();
      let ink = 0;
      for (let i = 0; i < pixels.length; i += 4 * 7) {
        seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
        if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) ink += 1;
      }
      return { colours: seen.size, ink: ink / (pixels.length / (4 * 7)) };
    }, png);
    check(colours.colours > 20 && colours.ink > 0.01,
      `${item.name}: the screenshot is not blank (${colours.colours} colours, ${(colours.ink * 100).toFixed(1)}% ink)`);
    console.log(`  screenshot: ${item.screenshot}`);
  }
  check(requests.length === 0, `${item.name}: no network request (saw ${requests.join(', ')})`);
  check(errors.length === 0, `${item.name}: no script error (${errors.join('; ')})`);
  console.log(`  html: ${item.name}: loaded in ${loaded} ms, ${drawn} nodes drawn for ${item.expect}`);
  await page.close();
}

const version = browser.version();
await browser.close();
console.log(`  chromium ${version}, mermaid ${mermaidVersion}`);
console.log(`graph renderers: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
