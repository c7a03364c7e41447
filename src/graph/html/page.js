// lockgen graph --format html: pick an object, see what a save of it runs and locks; click a
// node for its writers and findings. Everything the page shows comes from the JSON block
// above; every text from the project is set with textContent, never parsed as HTML.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('lockgen-data').textContent);
  const graph = data.graph;
  const objects = graph.objects;
  const writers = graph.writers;
  const edges = graph.edges;
  const depth = data.depth;

  const nodes = new Map();
  objects.forEach((o, i) => nodes.set(o.id, { type: 'object', index: i, item: o }));
  writers.forEach((w, i) => nodes.set(w.id, { type: 'writer', index: i, item: w }));
  const outgoing = new Map();
  const incoming = new Map();
  edges.forEach((e, i) => {
    e.index = i;
    if (!outgoing.has(e.from)) outgoing.set(e.from, []);
    if (!incoming.has(e.to)) incoming.set(e.to, []);
    outgoing.get(e.from).push(e);
    incoming.get(e.to).push(e);
  });
  const from = (id) => outgoing.get(id) || [];
  const to = (id) => incoming.get(id) || [];

  // ---- words -------------------------------------------------------------------------------

  const REASONS = {
    'master-detail': 'master-detail',
    'restrict-lookup': 'Restrict lookup',
    'required-lookup': 'required lookup',
    'standard': 'standard relationship',
  };
  const KINDS = {
    'apex-trigger': 'Apex trigger',
    'trigger-handler': 'framework handler',
    'async-job': 'async job',
  };
  const DML_EVENTS = {
    insert: ['before insert', 'after insert'],
    update: ['before update', 'after update'],
    upsert: ['before insert', 'after insert', 'before update', 'after update'],
    delete: ['before delete', 'after delete'],
    undelete: ['after undelete'],
    merge: ['before delete', 'after delete', 'before update', 'after update'],
  };
  const ALL_EVENTS = ['before insert', 'before update', 'before delete', 'after insert',
    'after update', 'after delete', 'after undelete'];

  function describeEvents(list) {
    const before = [];
    const after = [];
    ALL_EVENTS.forEach((name) => {
      if (!list.includes(name)) return;
      const [when, what] = name.split(' ');
      (when === 'before' ? before : after).push(what);
    });
    const parts = [];
    if (before.length) parts.push('before ' + before.join('/'));
    if (after.length) parts.push('after ' + after.join('/'));
    return parts.join(' \u00b7 ');
  }

  function codes(findings) {
    return [...new Set(findings.map((f) => f.rule))].sort();
  }

  function kindText(w) {
    if (w.kind === 'apex-trigger') return 'trigger';
    if (w.kind === 'trigger-handler') return w.detail + ' handler';
    if (w.kind === 'flow') return 'record-triggered flow';
    return w.detail + ' job';
  }
  const summary = (w) => w.summary;

  function nodeLabel(id) {
    const n = nodes.get(id);
    const lines = [n.item.name];
    if (n.type === 'writer') lines.push(summary(n.item));
    const found = codes(n.item.findings);
    if (found.length) lines.push('\u26a0 ' + found.join(' '));
    return lines;
  }

  function edgeLabel(e) {
    if (e.kind === 'writes') return e.dml.join(', ');
    if (e.kind === 'runs') return describeEvents(e.events);
    return e.field + ' \u00b7 ' + (REASONS[e.reason] || e.reason);
  }

  // ---- DOM helpers (text only) -------------------------------------------------------------

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    children.forEach((c) => { if (c !== null && c !== undefined) node.append(c); });
    return node;
  }
  const where = (path, line) => el('span', 'where', path + ':' + line);
  const status = (text) => { document.getElementById('status').textContent = text; };

  function link(id) {
    const n = nodes.get(id);
    const a = el('a', 'node', n.item.name);
    a.href = '#';
    a.dataset.node = id;
    a.addEventListener('click', (event) => {
      event.preventDefault();
      if (n.type === 'object' && !cy.getElementById(id).nonempty()) {
        pickObject(n.item.name);
      } else {
        select(id);
      }
    });
    return a;
  }

  // ---- layout: layers left to right --------------------------------------------------------

  const measure = document.createElement('canvas').getContext('2d');
  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

  function size(id) {
    measure.font = FONT;
    const lines = nodeLabel(id);
    const width = Math.max(...lines.map((l) => measure.measureText(l).width));
    const hexagon = nodes.get(id).type === 'writer' && nodes.get(id).item.kind === 'async-job';
    return { w: Math.ceil(width) + (hexagon ? 44 : 24), h: lines.length * 15 + 14 };
  }

  // Layers left to right. Around an object, a node's layer is its distance from the object
  // (what starts a cascade reads left to right); its writers that it does not reach stand one
  // layer to its left. For the whole graph, the longest path with cycles broken depth-first.
  // Then a few barycenter sweeps to cut crossings.
  function layered(ids, list, first) {
    const succ = new Map(ids.map((id) => [id, []]));
    const pred = new Map(ids.map((id) => [id, []]));
    list.forEach((e) => {
      if (e.from !== e.to && succ.has(e.from) && succ.has(e.to)) {
        succ.get(e.from).push(e.to);
        pred.get(e.to).push(e.from);
      }
    });
    const rank = new Map();
    const order = new Map();
    if (first) {
      const queue = [first];
      rank.set(first, 0);
      while (queue.length) {
        const id = queue.shift();
        order.set(id, order.size);
        succ.get(id).forEach((next) => {
          if (!rank.has(next)) {
            rank.set(next, rank.get(id) + 1);
            queue.push(next);
          }
        });
      }
      for (let changed = true; changed;) {
        changed = false;
        ids.forEach((id) => {
          if (rank.has(id)) return;
          const known = succ.get(id).filter((n) => rank.has(n));
          if (known.length) {
            rank.set(id, Math.min(...known.map((n) => rank.get(n))) - 1);
            order.set(id, order.size);
            changed = true;
          }
        });
      }
      ids.forEach((id) => {
        if (!rank.has(id)) {
          rank.set(id, 0);
          order.set(id, order.size);
        }
      });
    } else {
      const state = new Map();
      const post = [];
      const dagPred = new Map(ids.map((id) => [id, []]));
      ids.filter((id) => !pred.get(id).length).concat(ids).forEach((start) => {
        if (state.has(start)) return;
        const stack = [[start, 0]];
        state.set(start, 1);
        while (stack.length) {
          const top = stack[stack.length - 1];
          const next = succ.get(top[0])[top[1]++];
          if (next === undefined) {
            state.set(top[0], 2);
            post.push(top[0]);
            stack.pop();
          } else if (!state.has(next)) {
            dagPred.get(next).push(top[0]);
            state.set(next, 1);
            stack.push([next, 0]);
          } else if (state.get(next) === 2) {
            dagPred.get(next).push(top[0]);
          }
        }
      });
      post.slice().reverse().forEach((id, i) => {
        rank.set(id, Math.max(0, ...dagPred.get(id).map((p) => rank.get(p) + 1)));
        order.set(id, i);
      });
    }
    const lowest = Math.min(...ids.map((id) => rank.get(id)));
    const layers = [];
    ids.forEach((id) => {
      rank.set(id, rank.get(id) - lowest);
      const r = rank.get(id);
      (layers[r] = layers[r] || []).push(id);
    });
    const filled = layers.filter((layer) => layer);
    filled.forEach((layer) => layer.sort((a, b) => order.get(a) - order.get(b)));
    const position = new Map();
    filled.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
    const before = (id) => pred.get(id).filter((n) => rank.get(n) < rank.get(id));
    const after = (id) => succ.get(id).filter((n) => rank.get(n) > rank.get(id));
    const center = (id, neighbours) => {
      if (!neighbours.length) return position.get(id);
      return neighbours.reduce((sum, n) => sum + position.get(n), 0) / neighbours.length;
    };
    for (let sweep = 0; sweep < 8; sweep++) {
      const down = sweep % 2 === 0;
      (down ? filled : filled.slice().reverse()).forEach((layer) => {
        const key = new Map(layer.map((id) => [id, center(id, down ? before(id) : after(id))]));
        layer.sort((a, b) => key.get(a) - key.get(b) || order.get(a) - order.get(b));
        layer.forEach((id, i) => position.set(id, i));
      });
    }
    const sizes = new Map(ids.map((id) => [id, size(id)]));
    const result = new Map();
    let x = 0;
    filled.forEach((layer) => {
      const width = Math.max(...layer.map((id) => sizes.get(id).w));
      const total = layer.reduce((sum, id) => sum + sizes.get(id).h + 24, -24);
      let y = -total / 2;
      layer.forEach((id) => {
        const s = sizes.get(id);
        result.set(id, { x: x + width / 2, y: y + s.h / 2, w: s.w, h: s.h, rank: rank.get(id) });
        y += s.h + 24;
      });
      x += width + 120;
    });
    return result;
  }

  // ---- drawing -----------------------------------------------------------------------------

  const cy = cytoscape({
    container: document.getElementById('canvas'),
    elements: [],
    layout: { name: 'preset' },
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autounselectify: false,
    style: [
      { selector: 'node', style: {
        'label': 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center',
        'text-halign': 'center', 'font-size': 12, 'font-family': FONT.replace(/^12px /, ''),
        'width': 'data(w)', 'height': 'data(h)', 'shape': 'round-rectangle',
        'background-color': '#e8f0fe', 'border-width': 1, 'border-color': '#3b5ba5',
        'color': '#111', 'min-zoomed-font-size': 6 } },
      { selector: 'node[kind = "apex-trigger"]', style: {
        'shape': 'rectangle', 'background-color': '#e6f4ea', 'border-color': '#2e7d32' } },
      { selector: 'node[kind = "trigger-handler"]', style: {
        'shape': 'cut-rectangle', 'background-color': '#f1f8e9', 'border-color': '#558b2f' } },
      { selector: 'node[kind = "async-job"]', style: {
        'shape': 'hexagon', 'background-color': '#f3e5f5', 'border-color': '#6a1b9a' } },
      { selector: 'node[kind = "flow"]', style: {
        'shape': 'tag', 'background-color': '#e0f7fa', 'border-color': '#00838f' } },
      { selector: 'node[?finding]', style: { 'border-color': '#c62828', 'border-width': 3 } },
      { selector: 'node[?focus]', style: {
        'background-color': '#fff3cd', 'border-color': '#b28704', 'border-width': 3 } },
      { selector: 'node:selected', style: {
        'overlay-color': '#0969da', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
      { selector: 'edge', style: {
        'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.9,
        'width': 1.5, 'line-color': '#78909c', 'target-arrow-color': '#78909c',
        'label': 'data(label)', 'font-size': 10, 'color': '#37474f',
        'text-background-color': '#fff', 'text-background-opacity': 0.85,
        'text-background-padding': 2, 'min-zoomed-font-size': 7 } },
      { selector: 'edge.arc', style: {
        'curve-style': 'unbundled-bezier', 'control-point-distances': 'data(bend)',
        'control-point-weights': 0.5 } },
      { selector: 'edge[kind = "runs"]', style: {
        'line-style': 'dashed', 'line-color': '#2e7d32', 'target-arrow-color': '#2e7d32',
        'color': '#2e7d32' } },
      { selector: 'edge[kind = "locks"]', style: {
        'line-color': '#c62828', 'target-arrow-color': '#c62828', 'width': 2.5,
        'color': '#c62828' } },
      { selector: '.faded', style: { 'opacity': 0.2 } },
    ],
  });
  window.lockgen = { cy: cy };

  let focus = null;

  function draw(ids, list, focusId) {
    const positions = layered(ids, list, focusId);
    cy.batch(() => {
      cy.elements().remove();
      cy.add(ids.map((id) => {
        const n = nodes.get(id);
        const p = positions.get(id);
        return {
          group: 'nodes',
          data: {
            id: id, label: nodeLabel(id).join('\n'), w: p.w, h: p.h,
            kind: n.type === 'object' ? 'object' : n.item.kind,
            finding: n.item.findings.length > 0, focus: id === focusId,
          },
          position: { x: p.x, y: p.y },
        };
      }));
      cy.add(list.map((e) => {
        // An edge that skips a layer, or goes back, arcs around the nodes in between.
        const span = positions.get(e.to).rank - positions.get(e.from).rank;
        const arc = e.from !== e.to && (span > 1 || span < 0);
        return {
          group: 'edges',
          classes: arc ? 'arc' : '',
          data: {
            id: 'e' + e.index, source: e.from, target: e.to, label: edgeLabel(e), kind: e.kind,
            bend: arc ? (span > 0 ? -1 : 1) * (40 + 30 * Math.min(Math.abs(span), 6)) : 0,
          },
        };
      }));
    });
    cy.fit(undefined, 30);
    if (cy.zoom() > 1.5) {
      cy.zoom(1.5);
      cy.center();
    }
    // Too small to read: start readable, around the object, and let the reader pan.
    const focusNode = focusId ? cy.getElementById(focusId) : cy.collection();
    if (cy.zoom() < READABLE && focusNode.nonempty()) {
      cy.zoom(READABLE);
      const p = focusNode.position();
      cy.pan({ x: cy.width() * 0.3 - p.x * READABLE, y: cy.height() / 2 - p.y * READABLE });
    }
  }
  const READABLE = 0.7;

  function select(id) {
    const node = cy.getElementById(id);
    cy.elements().unselect();
    cy.elements().removeClass('faded');
    if (node.nonempty()) {
      node.select();
      cy.elements().difference(node.closedNeighborhood()).addClass('faded');
    }
    showDetails(id);
  }

  cy.on('tap', 'node', (event) => select(event.target.id()));
  cy.on('dbltap', 'node', (event) => {
    const n = nodes.get(event.target.id());
    if (n.type === 'object') pickObject(n.item.name);
  });
  cy.on('tap', (event) => {
    if (event.target === cy) {
      cy.elements().unselect();
      cy.elements().removeClass('faded');
    }
  });

  // ---- the panel: one node's details -------------------------------------------------------

  function findingsList(list) {
    if (!list.length) return el('p', 'none', 'None.');
    return el('ul', null, ...list.map((f) =>
      el('li', 'finding', el('span', 'code', f.rule), ' ', f.severity, ': ', f.message, ' ',
        where(f.path, f.line))));
  }

  function section(title, count, body) {
    return [el('h3', null, count === null ? title : title + ' (' + count + ')'), body];
  }

  function showDetails(id) {
    const n = nodes.get(id);
    const panel = document.getElementById('details');
    panel.replaceChildren();
    panel.dataset.node = id;
    if (n.type === 'object') {
      const o = n.item;
      const group = graph.groups.find((g) => g.id === o.group);
      panel.append(el('h2', null, o.name), el('div', 'kind', 'object \u00b7 ' + (group ? group.name : '')));
      if (focus !== n.index) {
        const show = el('button', null, 'What a save of ' + o.name + ' runs');
        show.type = 'button';
        show.addEventListener('click', () => pickObject(o.name));
        panel.append(el('p', null, show));
      }
      panel.append(...section('Findings', o.findings.length, findingsList(o.findings)));
      const writes = to(id).filter((e) => e.kind === 'writes');
      panel.append(...section('Written by', writes.length, writes.length
        ? el('ul', 'writers', ...writes.map((e) => {
          const w = nodes.get(e.from).item;
          const sites = w.writes.filter((s) => s.object.toLowerCase() === o.name.toLowerCase());
          return el('li', 'writer', link(e.from), ' ', el('span', 'kind', kindText(w)), ': ',
            e.dml.join(', '),
            el('ul', null, ...sites.map((s) => el('li', null, s.dml, ' in ', s.method, ' ',
              where(s.path, s.line), s.sites > 1 ? ' (+' + (s.sites - 1) + ' more)' : ''))));
        }))
        : el('p', 'none', 'Nothing in this project writes it.')));
      const runs = from(id).filter((e) => e.kind === 'runs');
      panel.append(...section('A write to it runs', runs.length, runs.length
        ? el('ul', null, ...runs.map((e) => el('li', 'runs', link(e.to), ' ',
          el('span', 'kind', describeEvents(e.events)), ' ',
          where(nodes.get(e.to).item.path, nodes.get(e.to).item.line))))
        : el('p', 'none', 'No trigger.')));
      const locks = from(id).filter((e) => e.kind === 'locks');
      panel.append(...section('A write to it locks', locks.length, locks.length
        ? el('ul', null, ...locks.map((e) => el('li', 'locks', link(e.to), ' via ', e.field,
          ' (' + REASONS[e.reason] + ')', e.path ? ' ' : '', e.path ? where(e.path, e.line) : '')))
        : el('p', 'none', 'No parent.')));
      const children = to(id).filter((e) => e.kind === 'locks');
      if (children.length) {
        panel.append(...section('Locked by writes to', children.length,
          el('ul', null, ...children.map((e) => el('li', null, link(e.from), ' via ', e.field,
            ' (' + REASONS[e.reason] + ')')))));
      }
    } else {
      const w = n.item;
      panel.append(el('h2', null, w.name),
        el('div', 'kind', KINDS[w.kind] + (w.detail ? ' \u00b7 ' + w.detail : '')),
        el('p', null, where(w.path, w.line)));
      const runs = to(id).filter((e) => e.kind === 'runs');
      panel.append(...section('Runs when', null, runs.length
        ? el('ul', null, ...runs.map((e) => el('li', 'runs',
          nodes.get(e.from).type === 'object' ? 'a write to ' : 'trigger ', link(e.from),
          e.via ? ' runs it (' + e.via + ')' : '', ': ', describeEvents(e.events))))
        : el('p', 'none', w.kind === 'async-job'
          ? 'When the job is started: in a transaction of its own.' : 'Nothing here starts it.')));
      const sites = w.writes;
      panel.append(...section('Writes', sites.length, sites.length || w.unresolved_writes
        ? el('ul', 'writes', ...sites.map((s) => el('li', null, s.dml, ' ',
          nodes.has('object:' + s.object) ? link('object:' + s.object) : s.object,
          ' in ', s.method, ' ', where(s.path, s.line),
          s.sites > 1 ? ' (+' + (s.sites - 1) + ' more)' : '')),
        w.unresolved_writes ? el('li', 'none', w.unresolved_writes +
          ' DML of a type lockgen could not resolve') : null)
        : el('p', 'none', 'No DML.')));
      panel.append(...section('Findings', w.findings.length, findingsList(w.findings)));
      if (w.reached_findings.length) {
        panel.append(...section('Findings in code it runs', w.reached_findings.length,
          findingsList(w.reached_findings)));
      }
    }
  }

  // ---- the story: what a save of the focused object runs -----------------------------------

  function story(index) {
    const panel = document.getElementById('story');
    panel.replaceChildren();
    if (index === null) return;
    const o = objects[index];
    panel.append(el('h2', null, 'What a save of ' + o.name + ' runs'),
      el('p', 'hint', 'Its triggers (and the handlers they run), what they write, the triggers those writes run in turn (' + depth + ' level' + (depth === 1 ? '' : 's') + ': lockgen graph --depth), and the parents each write locks.'));
    const shown = new Set();
    panel.append(saveTree(o.id, ALL_EVENTS, 1, shown));
  }

  function locksOf(objectId) {
    return from(objectId).filter((e) => e.kind === 'locks').map((e) => el('li', 'locks',
      'locks ', link(e.to), ' via ', e.field, ' (' + REASONS[e.reason] + ')'));
  }

  function saveTree(objectId, events, level, shown) {
    const items = locksOf(objectId);
    const runs = from(objectId).filter((e) => e.kind === 'runs' &&
      e.events.some((ev) => events.includes(ev)));
    if (level > depth) {
      if (runs.length) {
        items.push(el('li', 'none', 'runs ' + runs.length + ' more trigger' +
          (runs.length === 1 ? '' : 's') + ' (beyond depth ' + depth + ')'));
      }
      return el('ul', null, ...items);
    }
    runs.forEach((e) => {
      const fired = e.events.filter((ev) => events.includes(ev));
      items.push(writerItem(e.to, fired, level, shown));
    });
    if (!runs.length && level === 1) items.push(el('li', 'none', 'No trigger runs on it in this project.'));
    return el('ul', null, ...items);
  }

  function writerItem(writerId, fired, level, shown) {
    const w = nodes.get(writerId).item;
    const item = el('li', 'runs', 'runs ', el('span', 'kind', kindText(w) + ' '), link(writerId),
      ' ', el('span', 'kind', describeEvents(fired)), ' ', where(w.path, w.line));
    const key = writerId + '|' + fired.join(',');
    if (shown.has(key)) {
      item.append(' (shown above)');
      return item;
    }
    shown.add(key);
    const inner = [];
    from(writerId).forEach((e) => {
      if (e.kind === 'runs') {
        const next = e.events.filter((ev) => fired.includes(ev));
        if (next.length) inner.push(writerItem(e.to, next, level, shown));
      } else if (e.kind === 'writes') {
        const site = w.writes.find((s) => 'object:' + s.object === e.to) || null;
        const nextEvents = [...new Set(e.dml.flatMap((k) => DML_EVENTS[k] || []))];
        inner.push(el('li', 'writes', e.dml.join(', ') + ' ', link(e.to),
          site ? ' in ' + site.method + ' ' : ' ', site ? where(site.path, site.line) : '',
          saveTree(e.to, nextEvents, level + 1, shown)));
      }
    });
    if (!inner.length) inner.push(el('li', 'none', 'writes nothing'));
    item.append(el('ul', null, ...inner));
    return item;
  }

  // ---- picking -----------------------------------------------------------------------------

  // `invoice line` finds Invoice_Line__c: names compare without case, spaces or underscores;
  // an exact name first, then the first that starts with the text, then one that contains it.
  const squash = (text) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  function findObject(text) {
    const wanted = squash(text);
    if (!wanted) return -1;
    const exact = objects.findIndex((o) => o.name.toLowerCase() === text.trim().toLowerCase());
    if (exact >= 0) return exact;
    const names = objects.map((o) => squash(o.name));
    const same = names.findIndex((n) => n === wanted || n === wanted + 'c');
    if (same >= 0) return same;
    const start = names.findIndex((n) => n.startsWith(wanted));
    return start >= 0 ? start : names.findIndex((n) => n.includes(wanted));
  }

  function pickObject(text) {
    const index = findObject(text);
    if (index < 0) {
      status('No object matches \u201c' + text + '\u201d.');
      return false;
    }
    const hood = data.neighbourhoods[index];
    const ids = hood.objects.map((i) => objects[i].id).concat(hood.writers.map((i) => writers[i].id));
    focus = index;
    draw(ids, hood.edges.map((i) => edges[i]), objects[index].id);
    document.getElementById('search').value = objects[index].name;
    story(index);
    showDetails(objects[index].id);
    const runs = hood.writers.length;
    status(objects[index].name + ': ' + hood.objects.length + ' object' +
      (hood.objects.length === 1 ? '' : 's') + ', ' + runs + ' writer' + (runs === 1 ? '' : 's') +
      (hood.cut.length ? '; automation beyond depth ' + depth + ' not drawn' : '') +
      '. Click a node for its details, double-click an object to follow it; drag to pan, scroll to zoom.');
    try {
      history.replaceState(null, '', '#object=' + encodeURIComponent(objects[index].name));
    } catch (e) {
      // A page opened from disk may not rewrite its address: nothing is lost.
    }
    return true;
  }

  const MAX_WHOLE = 600;

  function whole() {
    focus = null;
    story(null);
    const ids = objects.map((o) => o.id).concat(writers.map((w) => w.id));
    const panel = document.getElementById('details');
    panel.replaceChildren();
    delete panel.dataset.node;
    if (ids.length <= MAX_WHOLE) {
      draw(ids, edges, null);
    } else {
      cy.elements().remove();
    }
    status('Whole graph: ' + objects.length + ' objects, ' + writers.length + ' writers, ' +
      edges.length + ' edges' + (ids.length > MAX_WHOLE ? ' (too many to draw at once: pick an object)'
        : ids.length > 120 ? ' (too many to read at once: zoom in, or pick an object)' : '') +
      '. Pick an object to see what a save of it runs.');
    const ranked = objects.map((o, i) => ({
      i: i, writers: to(o.id).filter((e) => e.kind === 'writes').length, findings: o.findings.length,
    })).sort((a, b) => (b.writers + b.findings) - (a.writers + a.findings) || a.i - b.i);
    panel.append(el('h2', null, graph.root),
      el('p', 'hint', 'Type an object above, or pick one of the most written here.'),
      el('h3', null, 'Most written objects'),
      el('ul', null, ...ranked.slice(0, 20).map((r) => el('li', null, link(objects[r.i].id), ' ',
        el('span', 'kind', r.writers + ' writer' + (r.writers === 1 ? '' : 's') +
          (r.findings ? ', ' + r.findings + ' finding' + (r.findings === 1 ? '' : 's') : ''))))));
    try {
      history.replaceState(null, '', '#');
    } catch (e) {
      // See pickObject.
    }
  }

  const list = document.getElementById('objects');
  objects.forEach((o) => list.append(new Option(o.name)));
  document.getElementById('pick').addEventListener('submit', (event) => {
    event.preventDefault();
    pickObject(document.getElementById('search').value);
  });
  document.getElementById('search').addEventListener('change', (event) => {
    if (findObject(event.target.value) >= 0) pickObject(event.target.value);
  });
  document.getElementById('whole').addEventListener('click', whole);
  document.getElementById('fit').addEventListener('click', () => cy.fit(undefined, 30));

  const hash = /^#object=(.+)$/.exec(location.hash);
  if (hash && findObject(decodeURIComponent(hash[1])) >= 0) {
    pickObject(decodeURIComponent(hash[1]));
  } else if (graph.focus) {
    pickObject(graph.focus.object);
  } else {
    whole();
  }
}());
