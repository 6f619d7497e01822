/* refint report explorer: written for this page, no library. Reads the one JSON document #refint-data and
   builds every node with createElement/createElementNS and textContent (never innerHTML with data).
   Views live in the URL's fragment: #view=table&t=NAME&depth=1, #view=path&from=A&to=B, #view=cascade&t=NAME. */
(function () {
'use strict';
var D = JSON.parse(document.getElementById('refint-data').textContent);
// the SVG namespace name, spelt so that the page holds no URL at all (tests/test_report.py looks for any)
var T = D.tables, E = D.edges, NS = ['http:', '', 'www.w3.org', '2000', 'svg'].join('/');
var byName = {}, out = [], inc = [];
T.forEach(function (t, i) { byName[t.name] = i; out.push([]); inc.push([]); });
E.forEach(function (e, i) { out[e.from].push(i); inc[e.to].push(i); });
var view = document.getElementById('view'), q = document.getElementById('q');
var results = document.getElementById('results');

function el(tag, attrs, text, parent) {
  var n = document.createElement(tag);
  for (var k in attrs) n.setAttribute(k, attrs[k]);
  if (text != null) n.textContent = text;
  if (parent) parent.appendChild(n);
  return n;
}
function sv(tag, attrs, text, parent) {
  var n = document.createElementNS(NS, tag);
  for (var k in attrs) n.setAttribute(k, attrs[k]);
  if (text != null) n.textContent = text;
  if (parent) parent.appendChild(n);
  return n;
}
function go(params) {
  var s = [];
  for (var k in params) s.push(k + '=' + encodeURIComponent(params[k]));
  location.hash = s.join('&');
}
function link(text, params, parent, cls) {
  var a = el('a', {href: '#', 'class': cls || ''}, text, parent);
  a.addEventListener('click', function (ev) { ev.preventDefault(); go(params); });
  return a;
}

/* ---- layered layout for small graphs: rank, order by barycentres, stack, route through the gaps ---- */
var ROW = 16, HEAD = 22, CH = 7, PAD = 8, GAP = 14, LGAP = 80;
function boxSize(i) {
  var t = T[i], n = t.name.length + 1 + (t.findings ? 4 : 0);
  t.keys.forEach(function (k) { n = Math.max(n, k[0].length + k[1].length + 2); });
  return [Math.min(n, 48) * CH + 2 * PAD, HEAD + ROW * t.keys.length + 6];
}
/* ids: table indexes; links: [left, right, edge, arrowAtLeft]; rank: optional forced layer per id */
function layout(ids, links, rank) {
  var n = ids.length, pos = {}, i, j, k;
  ids.forEach(function (id, x) { pos[id] = x; });
  var size = ids.map(boxSize), adj = ids.map(function () { return []; });
  links.forEach(function (l) { if (l[0] !== l[1]) adj[pos[l[0]]].push(pos[l[1]]); });
  var r = new Array(n), seen = new Array(n), order = [], back = {};
  if (rank) { for (i = 0; i < n; i++) r[i] = rank[ids[i]]; }
  else {
    var post = [], state = new Array(n).fill(0);
    var dfs = function (u) {
      state[u] = 1; order.push(u);
      adj[u].forEach(function (v) { if (state[v] === 1) back[u + ',' + v] = 1; else if (!state[v]) dfs(v); });
      state[u] = 2; post.push(u);
    };
    for (i = 0; i < n; i++) if (!state[i]) dfs(i);
    for (i = 0; i < n; i++) r[i] = 0;
    for (i = post.length - 1; i >= 0; i--) {
      var u = post[i];
      adj[u].forEach(function (v) { if (!back[u + ',' + v]) r[v] = Math.max(r[v], r[u] + 1); });
    }
    var hasIn = new Array(n).fill(false);
    for (i = 0; i < n; i++) adj[i].forEach(function (v) { if (!back[i + ',' + v]) hasIn[v] = true; });
    for (i = 0; i < n; i++) if (!hasIn[i] && adj[i].length) {  // pull sources next to their first successor
      var m = Infinity; adj[i].forEach(function (v) { if (!back[i + ',' + v]) m = Math.min(m, r[v] - 1); });
      if (m !== Infinity) r[i] = m;
    }
  }
  // nodes (real, then dummies) and segments between adjacent layers
  var R = r.slice(), W = size.map(function (s) { return s[0]; }), H = size.map(function (s) { return s[1]; });
  var segs = [], chains = [];
  links.forEach(function (l, li) {
    var a = pos[l[0]], b = pos[l[1]], flip = R[a] > R[b];
    if (a === b || R[a] === R[b]) { chains.push({self: true, a: a, b: b}); return; }
    var s = flip ? b : a, t = flip ? a : b, path = [s];
    for (var x = R[s] + 1; x < R[t]; x++) { R.push(x); W.push(0); H.push(8); path.push(R.length - 1); }
    path.push(t);
    for (x = 0; x + 1 < path.length; x++) segs.push([path[x], path[x + 1]]);
    chains.push({path: path, flip: flip});
  });
  var N = R.length, minR = Math.min.apply(null, R.length ? R : [0]), layers = [];
  for (i = 0; i < N; i++) { R[i] -= minR; (layers[R[i]] = layers[R[i]] || []).push(i); }
  for (i = 0; i < layers.length; i++) layers[i] = layers[i] || [];
  var nb = []; for (i = 0; i < N; i++) nb.push([[], []]);
  segs.forEach(function (s) { nb[s[1]][0].push(s[0]); nb[s[0]][1].push(s[1]); });
  var P = new Array(N);
  layers.forEach(function (L) { L.forEach(function (v, x) { P[v] = x; }); });
  for (k = 0; k < 8; k++) {  // barycentre sweeps, left to right then right to left
    var down = k % 2 === 0;
    for (var li2 = 0; li2 < layers.length; li2++) {
      var L = layers[down ? li2 : layers.length - 1 - li2];
      var side = down ? 0 : 1;
      var bc = L.map(function (v) {
        var ns = nb[v][side]; if (!ns.length) return P[v];
        return ns.reduce(function (acc, w) { return acc + P[w]; }, 0) / ns.length;
      });
      var idx = L.map(function (v, x) { return x; }).sort(function (x, y) { return bc[x] - bc[y] || x - y; });
      var sorted = idx.map(function (x) { return L[x]; });
      L.splice.apply(L, [0, L.length].concat(sorted));
      L.forEach(function (v, x) { P[v] = x; });
    }
  }
  var X = new Array(N), Y = new Array(N), lx = [], lw = [], x0 = 10;
  layers.forEach(function (L, li3) {
    var w = 0; L.forEach(function (v) { w = Math.max(w, W[v]); });
    lx[li3] = x0 + w / 2; lw[li3] = w / 2; x0 += w + LGAP;
    var y = 10; L.forEach(function (v) { X[v] = lx[li3]; Y[v] = y; y += H[v] + GAP; });
  });
  for (k = 0; k < 6; k++) {  // pull each layer toward its neighbours, keeping order and gaps
    layers.forEach(function (L) {
      var want = L.map(function (v) {
        var ns = nb[v][0].concat(nb[v][1]);
        if (!ns.length) return Y[v];
        return ns.reduce(function (acc, w) { return acc + Y[w] + H[w] / 2; }, 0) / ns.length - H[v] / 2;
      });
      var bottom = -Infinity;
      L.forEach(function (v, x) { Y[v] = Math.max(want[x], bottom + GAP); bottom = Y[v] + H[v]; });
      var shift = 0; L.forEach(function (v, x) { shift += want[x] - Y[v]; });
      shift = L.length ? Math.min(0, shift / L.length) : 0;
      L.forEach(function (v) { Y[v] += shift; });
    });
  }
  var minY = Math.min.apply(null, Y.length ? Y : [0]);
  for (i = 0; i < N; i++) Y[i] += 10 - minY;
  var boxes = ids.map(function (id, v) { return {id: id, x: X[v] - W[v] / 2, y: Y[v], w: W[v], h: H[v]}; });
  var lines = chains.map(function (c) {
    if (c.self) {
      var b = boxes[c.a], c2 = boxes[c.b], xr = b.x + b.w, y = b.y + 8;
      if (c.a === c.b) return [[xr, y], [xr + 18, y], [xr + 18, y + 14], [xr, y + 14]];
      return [[xr, b.y + b.h / 2], [Math.max(xr, c2.x + c2.w) + 24, (b.y + c2.y) / 2 + 10], [c2.x + c2.w, c2.y + c2.h / 2]];
    }
    var p = c.path, pts = [], s = p[0], t = p[p.length - 1];
    pts.push([X[s] + W[s] / 2, Y[s] + H[s] / 2], [lx[R[s]] + lw[R[s]], Y[s] + H[s] / 2]);
    for (var z = 1; z + 1 < p.length; z++) {
      var d = p[z], yy = Y[d] + 4;
      pts.push([lx[R[d]] - lw[R[d]], yy], [lx[R[d]] + lw[R[d]], yy]);
    }
    pts.push([lx[R[t]] - lw[R[t]], Y[t] + H[t] / 2], [X[t] - W[t] / 2, Y[t] + H[t] / 2]);
    return c.flip ? pts.reverse() : pts;
  });
  var pairs = {}, nth = {};  // parallel keys between two tables: side by side, 5 px apart
  links.forEach(function (l, x) { var key = Math.min(l[0], l[1]) + ',' + Math.max(l[0], l[1]); nth[x] = pairs[key] || 0; pairs[key] = nth[x] + 1; });
  lines.forEach(function (ln, x) {
    var l = links[x], n = pairs[Math.min(l[0], l[1]) + ',' + Math.max(l[0], l[1])], dy = (nth[x] - (n - 1) / 2) * 5;
    if (n > 1 && !chains[x].self) ln.forEach(function (pt) { pt[1] += dy; });
  });
  var width = 0, height = 0;
  boxes.forEach(function (b) { width = Math.max(width, b.x + b.w); height = Math.max(height, b.y + b.h); });
  lines.forEach(function (ln) { ln.forEach(function (pt) { width = Math.max(width, pt[0]); height = Math.max(height, pt[1]); }); });
  return {boxes: boxes, lines: lines, width: width + 30, height: height + 10};
}
function pathD(pts) {
  var d = 'M' + pts[0][0].toFixed(1) + ',' + pts[0][1].toFixed(1);
  for (var i = 1; i < pts.length; i++) {
    var a = pts[i - 1], b = pts[i], dx = (b[0] - a[0]) / 2;
    if (Math.abs(b[0] - a[0]) < 1 || Math.abs(b[1] - a[1]) < 1) d += 'L' + b[0].toFixed(1) + ',' + b[1].toFixed(1);
    else d += 'C' + (a[0] + dx).toFixed(1) + ',' + a[1].toFixed(1) + ' ' + (b[0] - dx).toFixed(1) + ',' +
      b[1].toFixed(1) + ' ' + b[0].toFixed(1) + ',' + b[1].toFixed(1);
  }
  return d;
}
function edgeTitle(e) {
  var s = (e.name || '(unnamed)') + ': ' + T[e.from].name + '(' + e.cols + ') -> ' + T[e.to].name + '(' +
    e.refcols + ') ON DELETE ' + e.on_delete + ', ON UPDATE ' + e.on_update;
  if (e.orphans) s += ' · ' + e.orphans + ' orphan rows';
  if (e.findings.length) s += ' · lint: ' + e.findings.join(', ');
  return s;
}
/* draw: ids, links [left, right, edge, arrowAtLeft, extra class]; focus: table index */
function draw(ids, links, focus, rank) {
  var lay = layout(ids, links, rank);
  var svg = sv('svg', {'class': 'refint-graph', viewBox: '0 0 ' + lay.width.toFixed(0) + ' ' + lay.height.toFixed(0),
    width: lay.width.toFixed(0), height: lay.height.toFixed(0), role: 'img'});
  var mk = sv('marker', {id: 'refint-arrow-view', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: 'auto-start-reverse'}, null, sv('defs', {}, null, svg));
  sv('path', {d: 'M0,0L10,5L0,10z', fill: '#566573'}, null, mk);
  var ge = sv('g', {'class': 'edges'}, null, svg), gn = sv('g', {'class': 'nodes'}, null, svg);
  links.forEach(function (l, i) {
    var e = E[l[2]], pts = lay.lines[i].slice();
    if (l[3]) pts.reverse();
    var cls = 'fk' + (e.cascade ? ' cascade' : '') + (e.cycle ? ' cycle' : '') + (e.deferrable ? ' deferrable' : '') +
      (e.orphans ? ' orphans' : '') + (l[4] ? ' ' + l[4] : '');
    var p = sv('path', {'class': cls, d: pathD(pts), 'data-edge': String(l[2]), 'data-from': T[e.from].name,
      'data-to': T[e.to].name, 'data-constraint': e.name || ''}, null, ge);
    sv('title', {}, edgeTitle(e), p);
    if (e.orphans) {
      var mid = pts[Math.floor(pts.length / 2)];
      sv('text', {'class': 'orphan-count', x: mid[0].toFixed(1), y: (mid[1] - 4).toFixed(1)}, e.orphans + ' orphans', ge);
    }
  });
  lay.boxes.forEach(function (b) {
    var t = T[b.id];
    var g = sv('g', {'class': 'table' + (t.cycle ? ' cycle' : '') + (b.id === focus ? ' focus' : '') +
      (t.external ? ' external' : ''), 'data-table': t.name,
      transform: 'translate(' + b.x.toFixed(1) + ',' + b.y.toFixed(1) + ')'}, null, gn);
    sv('title', {}, t.name + (t.findings ? ' · ' + t.findings + ' lint findings' : '') +
      (t.orphans ? ' · ' + t.orphans + ' orphan rows' : ''), g);
    sv('rect', {'class': 'box', width: b.w.toFixed(0), height: b.h.toFixed(0), rx: 3}, null, g);
    sv('rect', {'class': 'head', x: 0.5, y: 0.5, width: (b.w - 1).toFixed(0), height: HEAD, rx: 3}, null, g);
    var room = Math.floor((b.w - 2 * PAD) / CH) - (t.findings ? 4 : 0);
    sv('text', {'class': 'name', x: PAD, y: 15}, t.name.length > room ? t.name.slice(0, room - 1) + '…' : t.name, g);
    if (t.findings) {
      sv('circle', {'class': 'badge ' + t.severity, cx: b.w - 14, cy: 11, r: 8}, null, g);
      sv('text', {'class': 'badge-n', x: b.w - 14, y: 15, 'text-anchor': 'middle'}, String(t.findings), g);
    }
    t.keys.forEach(function (kc, j) {
      var y = HEAD + ROW * j + 13;
      sv('text', {x: PAD, y: y}, kc[0], g);
      sv('text', {'class': 'tag', x: b.w - PAD, y: y, 'text-anchor': 'end'}, kc[1], g);
    });
    g.addEventListener('click', function () { go({view: 'table', t: t.name, depth: 1}); });
  });
  return svg;
}

/* ---- the views ---- */
function neighbourhood(start, depth) {
  // layers by the first key that reached a table: a table referring to the focus goes one layer left of
  // it, a table it refers to one layer right (a star around the focus, not one long chain)
  var dist = {}, rank = {}, queue = [start], ids = [start];
  dist[start] = 0; rank[start] = 0;
  while (queue.length) {
    var u = queue.shift();
    if (dist[u] >= depth) continue;
    inc[u].concat(out[u]).forEach(function (ei) {
      var e = E[ei], v = e.from === u ? e.to : e.from;
      if (!(v in dist)) {
        dist[v] = dist[u] + 1; rank[v] = rank[u] + (e.from === u ? 1 : -1); ids.push(v); queue.push(v);
      }
    });
  }
  var links = [];
  E.forEach(function (e, i) { if (e.from in dist && e.to in dist) links.push([e.from, e.to, i, false]); });
  return {ids: ids, links: links, rank: rank};
}
function header(title, note) {
  view.textContent = '';
  el('h3', {}, title, view);
  if (note) el('p', {'class': 'muted'}, note, view);
}
function tableView(t, depth) {
  var nb = neighbourhood(t, depth), tt = T[t];
  header(tt.name, nb.ids.length + ' tables within ' + depth + ' key' + (depth > 1 ? 's' : '') + ', ' +
    nb.links.length + ' foreign keys');
  var bar = el('p', {'class': 'bar'}, null, view);
  link('depth 1', {view: 'table', t: tt.name, depth: 1}, bar, depth === 1 ? 'on' : '');
  link('depth 2', {view: 'table', t: tt.name, depth: 2}, bar, depth === 2 ? 'on' : '');
  link('cascade reach', {view: 'cascade', t: tt.name}, bar);
  if (tt.anchor) el('a', {href: '#' + tt.anchor}, 'columns and findings', bar);
  var form = el('form', {'class': 'pathform'}, null, bar);
  el('label', {'for': 'path-to'}, 'path to ', form);
  var inp = el('input', {id: 'path-to', list: 'table-names', placeholder: 'another table', autocomplete: 'off'}, null, form);
  el('button', {type: 'submit'}, 'find', form);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (inp.value in byName) go({view: 'path', from: tt.name, to: inp.value});
    else inp.setCustomValidity('no such table');
  });
  view.appendChild(el('div', {'class': 'graph'})).appendChild(draw(nb.ids, nb.links, t, nb.rank));
}
function pathView(a, b) {
  // breadth-first search from both ends over keys in either direction; an edge is on a shortest chain
  // when dist(a, u) + 1 + dist(v, b) == dist(a, b)
  function bfs(s) {
    var d = {}, queue = [s]; d[s] = 0;
    while (queue.length) {
      var u = queue.shift();
      out[u].concat(inc[u]).forEach(function (ei) {
        var e = E[ei], v = e.from === u ? e.to : e.from;
        if (!(v in d)) { d[v] = d[u] + 1; queue.push(v); }
      });
    }
    return d;
  }
  var da = bfs(a), db = bfs(b), total = da[b];
  header('Path: ' + T[a].name + ' → ' + T[b].name);
  var summary = el('div', {id: 'path-result', 'data-length': total === undefined ? '' : String(total)}, null, view);
  if (total === undefined) { el('p', {}, 'No chain of foreign keys joins these tables.', summary); return; }
  var steps = {};  // u -> [[edge, v]] along shortest chains
  E.forEach(function (e, i) {
    [[e.from, e.to], [e.to, e.from]].forEach(function (uv) {
      var u = uv[0], v = uv[1];
      if (u !== v && da[u] !== undefined && db[v] !== undefined && da[u] + 1 + db[v] === total)
        (steps[u] = steps[u] || []).push([i, v]);
    });
  });
  var chains = [], LIMIT = 200, count = {};
  function paths(u) {  // number of chains from u to b
    if (u === b) return 1;
    if (u in count) return count[u];
    var c = 0; (steps[u] || []).forEach(function (s) { c += paths(s[1]); });
    return (count[u] = c);
  }
  var n = paths(a);
  (function walk(u, acc) {
    if (chains.length >= LIMIT) return;
    if (u === b) { chains.push(acc.slice()); return; }
    (steps[u] || []).forEach(function (s) { acc.push(s); walk(s[1], acc); acc.pop(); });
  })(a, []);
  el('p', {}, n + ' shortest chain' + (n === 1 ? '' : 's') + ' of ' + total + ' key' + (total === 1 ? '' : 's') +
    (n > chains.length ? ' (the first ' + chains.length + ' listed)' : ''), summary);
  var ol = el('ol', {'class': 'chains'}, null, summary), ids = [a], rank = {}, used = {}, links = [];
  rank[a] = 0;
  chains.forEach(function (ch) {
    var li = el('li', {'data-chain': JSON.stringify([T[a].name].concat(ch.map(function (s) {
      return [E[s[0]].name || '', T[s[1]].name]; })))}, null, ol);
    var u = a;
    link(T[a].name, {view: 'table', t: T[a].name, depth: 1}, li);
    ch.forEach(function (s) {
      var e = E[s[0]], v = s[1];
      el('span', {'class': 'via'}, (e.from === u ? ' →' : ' ←') + ' ' + (e.name || '(' + e.cols + ')') + ' ' +
        (e.from === u ? '→ ' : '← '), li);
      link(T[v].name, {view: 'table', t: T[v].name, depth: 1}, li);
      if (!(v in rank)) { rank[v] = da[v]; ids.push(v); }
      if (!used[s[0]]) { used[s[0]] = 1; links.push([u, v, s[0], e.from !== u]); }
      u = v;
    });
  });
  view.appendChild(el('div', {'class': 'graph'})).appendChild(draw(ids, links, a, rank));
}
var ACT = {cascade: 'deletes', 'set null': 'sets NULL', 'set default': 'sets default', restrict: 'blocks',
  'no action': 'blocks', deferred: 'checked at commit'};
function reach(t) {
  // the rows a DELETE on t removes, through keys whose effective ON DELETE is CASCADE, and what every key
  // into a removed table does (plan delete walks the same graph, counting rows)
  var depth = {}, queue = [t], seen = {}, hits = [];
  depth[t] = 0;
  while (queue.length) {
    var u = queue.shift();
    inc[u].forEach(function (ei) {
      var e = E[ei];
      if (!seen[ei]) { seen[ei] = 1; hits.push(ei); }
      if (e.del === 'cascade' && !(e.from in depth)) { depth[e.from] = depth[u] + 1; queue.push(e.from); }
    });
  }
  return {depth: depth, hits: hits};
}
function cascadeView(t) {
  var r = reach(t), ids = [], rank = {}, links = [], groups = {};
  Object.keys(r.depth).forEach(function (k) { ids.push(+k); rank[+k] = r.depth[k]; });
  r.hits.forEach(function (ei) {
    var e = E[ei], kind = e.del === 'cascade' ? 'cascade' : e.del;
    if (!(e.from in rank)) { rank[e.from] = rank[e.to] + 1; ids.push(e.from); }
    links.push([e.to, e.from, ei, true, 'act-' + kind.replace(' ', '-')]);
    (groups[kind] = groups[kind] || []).push(ei);
  });
  header('Cascade reach: DELETE FROM ' + T[t].name, 'What deleting one of its rows can touch, by the ' + D.engine +
    ' rules refint plan uses; refint plan delete counts the rows.');
  var box = el('div', {id: 'cascade-result'}, null, view), ul = el('ul', {}, null, box);
  var deleted = ids.filter(function (i) { return r.depth[i] !== undefined; }).map(function (i) { return T[i].name; });
  el('li', {'data-kind': 'deletes', 'data-tables': JSON.stringify(deleted)}, 'deletes rows of: ' + deleted.join(', '), ul);
  ['cascade', 'set null', 'set default', 'restrict', 'no action', 'deferred'].forEach(function (kind) {
    if (!groups[kind] || kind === 'cascade') return;
    var names = groups[kind].map(function (ei) { return E[ei].name || '(' + E[ei].cols + ')'; });
    var text = groups[kind].map(function (ei) { return T[E[ei].from].name + ' via ' + (E[ei].name || E[ei].cols); });
    el('li', {'data-kind': kind, 'data-constraints': JSON.stringify(names)},
      ACT[kind] + ' (' + kind.toUpperCase() + '): ' + text.join(', '), ul);
  });
  var deepest = 0; Object.keys(r.depth).forEach(function (k) { deepest = Math.max(deepest, r.depth[k]); });
  if (D.max_cascade_depth && deepest > D.max_cascade_depth)
    el('li', {'data-kind': 'too-deep'}, 'cascades ' + deepest + ' levels deep: the engine stops at ' +
      D.max_cascade_depth + ' and fails the statement', ul);
  view.appendChild(el('div', {'class': 'graph'})).appendChild(draw(ids, links, t, rank));
}
function startView() {
  header('Explore', 'Search a table, column or constraint above, or start from the most referenced tables:');
  var top = T.map(function (t, i) { return i; }).filter(function (i) { return !T[i].external; });
  top.sort(function (x, y) { return inc[y].length - inc[x].length || (T[x].name < T[y].name ? -1 : 1); });
  var ul = el('ul', {'class': 'top'}, null, view);
  top.slice(0, 30).forEach(function (i) {
    var li = el('li', {}, null, ul);
    link(T[i].name, {view: 'table', t: T[i].name, depth: 1}, li);
    el('span', {'class': 'muted'}, ' ' + inc[i].length + ' in, ' + out[i].length + ' out', li);
  });
}
var routed = false;
function route() {
  var p = new URLSearchParams(location.hash.slice(1)), v = p.get('view');
  var t = byName[p.get('t')];
  if (v === 'table' && t !== undefined) tableView(t, p.get('depth') === '2' ? 2 : 1);
  else if (v === 'cascade' && t !== undefined) cascadeView(t);
  else if (v === 'path' && byName[p.get('from')] !== undefined && byName[p.get('to')] !== undefined)
    pathView(byName[p.get('from')], byName[p.get('to')]);
  else if (!view.firstChild || v) startView();
  else return;
  if (v && routed) document.getElementById('explore').scrollIntoView();
  routed = true;
}

/* ---- search over table, column and constraint names ---- */
function search() {
  var v = q.value.trim().toLowerCase();
  document.querySelectorAll('[data-search]').forEach(function (n) {
    n.classList.toggle('hidden', !!v && n.getAttribute('data-search').indexOf(v) < 0);
  });
  results.textContent = '';
  if (!v) return;
  var hits = [];
  T.forEach(function (t, i) {
    if (t.name.toLowerCase().indexOf(v) >= 0) hits.push([i, 'table', t.name]);
    t.columns.forEach(function (c) { if (c.toLowerCase().indexOf(v) >= 0) hits.push([i, 'column', c]); });
  });
  E.forEach(function (e) {
    if (e.name && e.name.toLowerCase().indexOf(v) >= 0) hits.push([e.from, 'constraint', e.name]);
  });
  el('p', {'class': 'count'}, hits.length + ' match' + (hits.length === 1 ? '' : 'es'), results);
  var ul = el('ul', {}, null, results);
  hits.slice(0, 60).forEach(function (h) {
    var li = el('li', {'data-kind': h[1]}, null, ul);
    link(T[h[0]].name, {view: 'table', t: T[h[0]].name, depth: 1}, li);
    if (h[1] !== 'table') el('span', {'class': 'muted'}, ' ' + h[1] + ' ' + h[2], li);
  });
  for (var i = 0; i < T.length; i++) if (T[i].name.toLowerCase() === v) return i;
  return null;
}
q.addEventListener('input', search);
q.addEventListener('keydown', function (ev) {
  if (ev.key !== 'Enter') return;
  var exact = search(), first = results.querySelector('li a');
  if (exact !== null) go({view: 'table', t: T[exact].name, depth: 1});
  else if (first) first.click();
});
var dl = el('datalist', {id: 'table-names'}, null, document.body);
T.forEach(function (t) { el('option', {value: t.name}, null, dl); });
window.addEventListener('hashchange', route);
var m = /[?&]q=([^&#]*)/.exec(location.search);
if (m) {
  q.value = decodeURIComponent(m[1].replace(/\+/g, ' '));
  var exact = search();
  if (exact !== null && !location.hash) history.replaceState(null, '', '#view=table&t=' +
    encodeURIComponent(T[exact].name) + '&depth=1');
}
route();
document.body.setAttribute('data-ready', '1');
})();
