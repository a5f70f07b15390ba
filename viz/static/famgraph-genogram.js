/*!
 * famgraph-genogram.js: the genogram famgraph draws, made usable by mouse, touch and
 * keyboard. Plain ES2017, no dependencies, no build step; MIT licence.
 *
 *   <link rel="stylesheet" href="famgraph-genogram.css">   (optional, recommended)
 *   <script src="famgraph-genogram.js"></script>
 *   FamgraphGenogram.mount(container, genogramAnswer, options)
 *
 * genogramAnswer is the GraphQL `genogram` object: it needs `svg` (the string the API
 * returns); `subjectId`, `nodes { relationshipToSubject person { id displayName } }`
 * and `edges { kind sourceId targetId }` are used when present. Options:
 *   href(id)          the link a person opens (default: the SVG's own, /people/<id>)
 *   onOpen(id, href)  called when a person is opened; return false to stop the browser
 *                     following the link (to route inside a host application)
 *   collapsed         ids whose branches the answer folded away (genogram(collapse:))
 *   branchHref(ids)   an address showing the chart with these branches folded; when given,
 *                     a person's details offer "Hide this branch" / "Show this branch"
 *   onBranch(ids)     called instead of following branchHref; return false to stay
 *   wheel             "ctrl" (default: Ctrl or pinch + scroll zooms, plain scroll scrolls
 *                     the page) or "always"
 * See docs/genogram-embedding.md.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module && module.exports) { module.exports = api; }
  if (root) { root.FamgraphGenogram = api; }
}(typeof window !== "undefined" ? window : null, function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var INK = "#0b0c0c";
  var FOCUS = "#ffdd00";
  var HINT = "Click or press Enter to open a person; arrow keys move between relatives. " +
    "On a touch screen, tap once for details and again to open. " +
    "Drag to move the chart; use the buttons, Ctrl + scroll or pinch to zoom.";
  var MIN_SCALE = 0.5;
  var MAX_SCALE = 8;
  var READABLE = 0.75;  // below this many screen pixels per unit, the first view zooms in
  var DRAG = 5;         // pixels a pointer moves before a press becomes a drag
  var DWELL = 300;      // milliseconds a pointer rests on a person before the panel's actions follow
  var mounted = 0;

  function make(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function ids(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function titleOf(node) {
    for (var child = node.firstElementChild; child; child = child.nextElementSibling) {
      if (child.localName === "title") { return child.textContent.trim(); }
    }
    return "";
  }

  // What an SVG from elsewhere may not bring in: script, foreign content, event handlers,
  // and links anywhere but http(s) or the same site.
  function sanitise(root) {
    var banned = ["script", "foreignObject", "iframe", "object", "embed", "use"];
    banned.forEach(function (name) {
      Array.prototype.slice.call(root.getElementsByTagName(name)).forEach(function (node) {
        node.parentNode.removeChild(node);
      });
    });
    [root].concat(Array.prototype.slice.call(root.getElementsByTagName("*"))).forEach(function (node) {
      Array.prototype.slice.call(node.attributes).forEach(function (attribute) {
        var name = attribute.name.toLowerCase();
        var value = attribute.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
        if (name.indexOf("on") === 0 ||
            ((name === "href" || name === "xlink:href") && /^(javascript|data|vbscript):/.test(value))) {
          node.removeAttribute(attribute.name);
        }
      });
    });
    return root;
  }

  function parseSvg(text) {
    var parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = parsed.documentElement;
    if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg" ||
        parsed.getElementsByTagName("parsererror").length) {
      throw new Error("FamgraphGenogram: the answer's svg is not an SVG document");
    }
    return document.importNode(sanitise(root), true);
  }

  function svgOf(container, answer) {
    var given = answer && answer.svg;
    if (typeof given === "string") { return parseSvg(given); }
    if (given && given.namespaceURI === SVG_NS) { return given; }
    var inline = container.querySelector("svg.famgraph-genogram");
    if (inline) { return inline; }
    throw new Error("FamgraphGenogram: the answer has no svg");
  }

  function mount(container, answer, options) {
    if (!container || !container.appendChild) {
      throw new TypeError("FamgraphGenogram.mount: container must be an element");
    }
    answer = answer || {};
    options = options || {};
    var n = ++mounted;
    var svg = svgOf(container, answer);
    var collapsed = (options.collapsed || answer.collapsed || []).map(String);
    var nodes = {};
    (answer.nodes || []).forEach(function (node) {
      if (node && node.person) { nodes[node.person.id] = node; }
    });

    // Ids inside the drawing are made unique to this chart, so two charts share a page.
    Array.prototype.slice.call(svg.querySelectorAll("[id]")).forEach(function (node) {
      var fresh = "fg" + n + "-" + node.id;
      Array.prototype.slice.call(svg.querySelectorAll("[aria-labelledby]")).concat([svg]).forEach(function (ref) {
        var list = ids(ref.getAttribute("aria-labelledby"));
        if (list.indexOf(node.id) >= 0) {
          ref.setAttribute("aria-labelledby", list.map(function (v) { return v === node.id ? fresh : v; }).join(" "));
        }
      });
      node.id = fresh;
    });

    // --- the frame around the chart --------------------------------------------------------
    while (container.firstChild) { container.removeChild(container.firstChild); }
    container.classList.add("fg-genogram");
    var hint = make("p", { "class": "fg-hint", id: "fg" + n + "-hint" }, HINT);
    var toolbar = make("div", { "class": "fg-toolbar", role: "group", "aria-label": "Genogram view" });
    var viewport = make("div", { "class": "fg-viewport", id: "fg" + n + "-viewport" });
    var panel = make("div", { "class": "fg-panel" });
    var details = make("div", { "class": "fg-details", "aria-live": "polite", "aria-atomic": "true" });
    var actions = make("p", { "class": "fg-actions" });
    details.appendChild(make("p", {}, "Point at, focus or tap a person or a line to see who " +
                                      "they are and which systems recorded them."));
    panel.appendChild(details);
    panel.appendChild(actions);
    function button(label, run) {
      var b = make("button", { type: "button" }, label);
      b.addEventListener("click", run);
      toolbar.appendChild(b);
      return b;
    }
    container.appendChild(toolbar);
    container.appendChild(hint);
    container.appendChild(viewport);
    container.appendChild(panel);
    viewport.appendChild(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.style.width = "100%";
    svg.style.height = "100%";
    svg.style.display = "block";
    svg.setAttribute("aria-describedby", hint.id);
    viewport.style.overflow = "hidden";
    viewport.style.touchAction = "none";
    // Focus moving into the box must not scroll it: the camera below does the moving.
    viewport.addEventListener("scroll", function () { viewport.scrollTop = 0; viewport.scrollLeft = 0; });

    // Everything drawn goes under one camera group; zoom and pan move the camera.
    var camera = document.createElementNS(SVG_NS, "g");
    camera.setAttribute("class", "fg-camera");
    Array.prototype.slice.call(svg.childNodes).forEach(function (child) {
      if (child.localName !== "title" && child.localName !== "desc") { camera.appendChild(child); }
    });
    svg.appendChild(camera);

    // --- people, lines and who is related to whom ------------------------------------------
    var people = Array.prototype.slice.call(svg.querySelectorAll("a.person[data-person]"));
    var byId = {};
    people.forEach(function (a) {
      byId[a.getAttribute("data-person")] = a;
      if (options.href) { a.setAttribute("href", options.href(a.getAttribute("data-person"))); }
      a.setAttribute("tabindex", "-1");
    });
    var subject = byId[answer.subjectId] || svg.querySelector("a.person.subject") || people[0];
    var current = subject;
    if (current) { current.setAttribute("tabindex", "0"); }

    var relatives = {};
    function relate(a, b, kind, back) {
      if (!byId[a] || !byId[b]) { return; }
      relatives[a] = relatives[a] || { parents: [], children: [], partners: [] };
      if (relatives[a][kind].indexOf(b) < 0) { relatives[a][kind].push(b); }
      if (back) { relate(b, a, back, null); }
    }
    people.forEach(function (a) {
      var id = a.getAttribute("data-person");
      relatives[id] = relatives[id] || { parents: [], children: [], partners: [] };
      ids(a.getAttribute("data-parents")).forEach(function (p) { relate(id, p, "parents", "children"); });
      ids(a.getAttribute("data-children")).forEach(function (c) { relate(id, c, "children", "parents"); });
      ids(a.getAttribute("data-partners")).forEach(function (p) { relate(id, p, "partners", "partners"); });
    });
    // The answer's edges say who is joined to whom exactly as the API folds branches.
    var joined = {};
    function join(a, b) {
      (joined[a] = joined[a] || []).push(b);
      (joined[b] = joined[b] || []).push(a);
    }
    if (answer.edges && answer.edges.length) {
      answer.edges.forEach(function (edge) {
        var a = String(edge.sourceId), b = String(edge.targetId);
        if (!byId[a] || !byId[b]) { return; }
        join(a, b);
        if (edge.kind === "PARENT") { relate(b, a, "parents", "children"); }
        else if (edge.kind === "PARTNER") { relate(a, b, "partners", "partners"); }
      });
    } else {
      Object.keys(relatives).forEach(function (id) {
        var r = relatives[id];
        r.parents.concat(r.partners).forEach(function (other) { join(id, other); });
      });
    }

    function num(a, name) { return parseFloat(a.getAttribute(name)) || 0; }
    var rows = {};
    people.forEach(function (a) {
      var row = a.getAttribute("data-row") || "0";
      (rows[row] = rows[row] || []).push(a);
    });
    var rowOrder = Object.keys(rows).map(Number).sort(function (x, y) { return x - y; });
    rowOrder.forEach(function (row) { rows[row].sort(function (x, y) { return num(x, "data-x") - num(y, "data-x"); }); });

    function nameOf(id) {
      var node = nodes[id];
      if (node && node.person && node.person.displayName) { return node.person.displayName; }
      var a = byId[id];
      var label = a ? (a.getAttribute("aria-label") || titleOf(a)) : id;
      return label.split(",")[0];
    }

    // --- lines: wider invisible twins so a finger or pointer can find a 2px line -----------
    var lineOf = new WeakMap();
    Array.prototype.slice.call(svg.querySelectorAll(".lines path")).forEach(function (path) {
      var owner = path.closest("[data-people]");
      if (!owner || !titleOf(owner)) { return; }
      var hit = path.cloneNode(false);
      hit.setAttribute("class", "fg-hit");
      hit.setAttribute("stroke", "transparent");
      hit.setAttribute("stroke-width", "14");
      hit.setAttribute("vector-effect", "non-scaling-stroke");
      hit.setAttribute("pointer-events", "stroke");
      hit.setAttribute("aria-hidden", "true");
      hit.removeAttribute("stroke-dasharray");
      hit.removeAttribute("data-people");
      path.parentNode.insertBefore(hit, path.nextSibling);
      lineOf.set(hit, owner);
    });
    function tiesOf(id) {
      var said = [];
      Array.prototype.slice.call(svg.querySelectorAll(".lines [data-people]")).forEach(function (line) {
        var cls = line.getAttribute("class") || "";
        if (!/\b(partner|drop|twin)\b/.test(cls)) { return; }
        if (ids(line.getAttribute("data-people")).indexOf(id) < 0) { return; }
        var words = titleOf(line);
        if (words && said.indexOf(words) < 0) { said.push(words); }
      });
      return said;
    }

    // Folded branches are marked on the chart, and said in each one's description.
    collapsed.forEach(function (id) {
      var a = byId[id];
      if (!a) { return; }
      a.classList.add("fg-collapsed");
      a.setAttribute("aria-label", (a.getAttribute("aria-label") || "") + "; branch hidden");
      // Beside the shape's top right corner, where a branch line would have left it.
      var shape = a.querySelector(".shape");
      if (!shape || !shape.getBBox) { return; }
      var edge = shape.getBBox();
      var x = edge.x + edge.width + 20, y = edge.y - 8;
      var mark = document.createElementNS(SVG_NS, "g");
      mark.setAttribute("class", "fg-collapsed-mark");
      mark.setAttribute("aria-hidden", "true");
      var circle = document.createElementNS(SVG_NS, "circle");
      [["cx", x - 6], ["cy", y + 6], ["r", 9], ["fill", "#ffffff"], ["stroke", INK], ["stroke-width", 2]]
        .forEach(function (pair) { circle.setAttribute(pair[0], pair[1]); });
      var plus = document.createElementNS(SVG_NS, "path");
      plus.setAttribute("d", "M" + (x - 11) + "," + (y + 6) + " h10 M" + (x - 6) + "," + (y + 1) + " v10");
      plus.setAttribute("stroke", INK);
      plus.setAttribute("stroke-width", "2");
      mark.appendChild(circle);
      mark.appendChild(plus);
      a.appendChild(mark);
    });

    // --- the camera ---------------------------------------------------------------------------
    var view = { s: 1, x: 0, y: 0 };
    function box() {
      var vb = svg.viewBox && svg.viewBox.baseVal;
      var rect = svg.getBoundingClientRect();
      var w = vb && vb.width ? vb.width : rect.width || 1;
      var h = vb && vb.height ? vb.height : rect.height || 1;
      var b = Math.min((rect.width || 1) / w, (rect.height || 1) / h) || 1;
      return { rect: rect, vx: vb ? vb.x : 0, vy: vb ? vb.y : 0, w: w, h: h, b: b,
               ox: (rect.width - w * b) / 2, oy: (rect.height - h * b) / 2 };
    }
    function apply() {
      camera.setAttribute("transform", "translate(" + view.x.toFixed(2) + " " + view.y.toFixed(2) +
                          ") scale(" + view.s.toFixed(4) + ")");
      svg.setAttribute("data-zoom", view.s.toFixed(3));
    }
    // The drawing's point under a screen point, before the camera: (user units).
    function userAt(clientX, clientY) {
      var m = box();
      return { x: m.vx + (clientX - m.rect.left - m.ox) / m.b, y: m.vy + (clientY - m.rect.top - m.oy) / m.b };
    }
    function zoomAt(factor, clientX, clientY) {
      var m = box();
      if (clientX === undefined) {
        clientX = m.rect.left + m.rect.width / 2;
        clientY = m.rect.top + m.rect.height / 2;
      }
      var u = userAt(clientX, clientY);
      var px = (u.x - view.x) / view.s, py = (u.y - view.y) / view.s;
      var s = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.s * factor));
      view = { s: s, x: u.x - s * px, y: u.y - s * py };
      apply();
    }
    function panBy(dx, dy) {
      var m = box();
      view.x += dx / m.b;
      view.y += dy / m.b;
      apply();
    }
    function fit() { view = { s: 1, x: 0, y: 0 }; apply(); }
    function centreOn(a, scale) {
      var m = box();
      var s = scale || view.s;
      var cx = m.vx + (m.rect.width / 2 - m.ox) / m.b, cy = m.vy + (m.rect.height / 2 - m.oy) / m.b;
      view = { s: s, x: cx - s * num(a, "data-x"), y: cy - s * num(a, "data-y") };
      apply();
    }
    // The first view: the whole chart when it is readable so, else the index person, readable.
    function reset() {
      var m = box();
      if (m.b >= READABLE || !subject || !m.rect.width) { fit(); return; }
      centreOn(subject, Math.min(MAX_SCALE, READABLE / m.b));
    }
    function ensureVisible(a) {
      var outer = viewport.getBoundingClientRect(), inner = a.getBoundingClientRect();
      var margin = 8;
      if (inner.left >= outer.left + margin && inner.right <= outer.right - margin &&
          inner.top >= outer.top + margin && inner.bottom <= outer.bottom - margin) { return; }
      panBy(outer.left + outer.width / 2 - (inner.left + inner.width / 2),
            outer.top + outer.height / 2 - (inner.top + inner.height / 2));
    }

    button("Zoom in", function () { zoomAt(1.4); });
    button("Zoom out", function () { zoomAt(1 / 1.4); });
    button("Fit to view", fit);
    button("Reset view", reset);

    // --- details and actions ------------------------------------------------------------------
    var selected = null;
    function reachable(avoid) {
      var start = subject && subject.getAttribute("data-person");
      var seen = {}, todo = [start];
      if (!start) { return seen; }
      seen[start] = true;
      while (todo.length) {
        (joined[todo.pop()] || []).forEach(function (other) {
          if (!seen[other] && other !== avoid) { seen[other] = true; todo.push(other); }
        });
      }
      return seen;
    }
    function hides(id) {
      var all = reachable(null), rest = reachable(id);
      return Object.keys(all).some(function (other) { return other !== id && !rest[other]; });
    }
    function link(words, name, href, run) {
      var a = make("a", { href: href });
      a.appendChild(document.createTextNode(words + " ("));
      a.appendChild(make("bdi", {}, name));
      a.appendChild(document.createTextNode(")"));
      a.addEventListener("click", run);
      actions.appendChild(a);
      actions.appendChild(document.createTextNode(" "));
    }
    function showActions(a) {
      while (actions.firstChild) { actions.removeChild(actions.firstChild); }
      var id = a.getAttribute("data-person");
      var name = nameOf(id);
      link("Open", name, a.getAttribute("href"), function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey) { return; }
        event.preventDefault();
        open(a);
      });
      if (!options.branchHref && !options.onBranch) { return; }
      var folded = collapsed.indexOf(id) >= 0;
      if (!folded && (a === subject || !hides(id))) { return; }
      var next = folded ? collapsed.filter(function (c) { return c !== id; }) : collapsed.concat([id]);
      var href = options.branchHref ? options.branchHref(next) : "#";
      link(folded ? "Show this branch" : "Hide this branch", name, href, function (event) {
        if (options.onBranch && options.onBranch(next) === false) { event.preventDefault(); }
        else if (!options.branchHref) { event.preventDefault(); }
      });
    }
    function say(main, list) {
      while (details.firstChild) { details.removeChild(details.firstChild); }
      details.appendChild(make("p", { "class": "fg-details-main" }, main));
      if (list && list.length) {
        var ul = make("ul", { "class": "fg-ties" });
        list.forEach(function (words) { ul.appendChild(make("li", {}, words)); });
        details.appendChild(ul);
      }
    }
    var shown = null;
    function showDetails(a) {
      if (shown === a) { return; }
      shown = a;
      var words = titleOf(a) || a.getAttribute("aria-label") || "";
      if (a.classList.contains("fg-collapsed")) { words += "; branch hidden"; }
      say(words, tiesOf(a.getAttribute("data-person")));
    }
    // The actions follow the person focused, tapped or pointed at for a moment: a pointer
    // crossing other people on its way to the panel does not change them.
    function showPerson(a) {
      showDetails(a);
      if (selected === a) { return; }
      selected = a;
      showActions(a);
      svg.setAttribute("data-selected", a.getAttribute("data-person"));
    }
    function showLine(line) {
      shown = line;
      say(titleOf(line));
    }

    // --- the focus ring, drawn by attribute so it shows without the stylesheet too --------------
    function ring(a, on, hover) {
      var r = a && a.querySelector(".focus-ring");
      if (!r) { return; }
      if (on) {
        r.setAttribute("stroke", INK);
        r.setAttribute("stroke-width", hover ? "2" : "4");
        r.setAttribute("fill", hover ? "#f3f2f1" : FOCUS);
        r.setAttribute("vector-effect", "non-scaling-stroke");
        if (hover) { r.setAttribute("stroke-dasharray", "4 3"); } else { r.removeAttribute("stroke-dasharray"); }
      } else {
        r.setAttribute("stroke", "none");
        r.setAttribute("fill", "none");
        r.removeAttribute("stroke-dasharray");
      }
    }

    // --- moving between relatives ---------------------------------------------------------------
    var cameFrom = null;
    function moveTo(a, from) {
      if (!a) { return; }
      if (current && current !== a) { current.setAttribute("tabindex", "-1"); }
      current = a;
      cameFrom = from || null;
      a.setAttribute("tabindex", "0");
      a.focus({ preventScroll: true });
      ensureVisible(a);
    }
    function nearest(list, x) {
      var best = null, gap = Infinity;
      list.forEach(function (a) {
        var d = Math.abs(num(a, "data-x") - x);
        if (d < gap) { gap = d; best = a; }
      });
      return best;
    }
    function vertical(a, kind, step) {
      var id = a.getAttribute("data-person");
      var found = ((relatives[id] || {})[kind] || []).map(function (r) { return byId[r]; }).filter(Boolean);
      if (cameFrom && found.indexOf(cameFrom) >= 0) { return cameFrom; }
      if (found.length) { return nearest(found, num(a, "data-x")); }
      var at = rowOrder.indexOf(Number(a.getAttribute("data-row") || 0)) + step;
      return at >= 0 && at < rowOrder.length ? nearest(rows[rowOrder[at]], num(a, "data-x")) : null;
    }
    function beside(a, step) {
      var row = rows[Number(a.getAttribute("data-row") || 0)] || [];
      return row[row.indexOf(a) + step] || null;
    }
    svg.addEventListener("keydown", function (event) {
      var a = event.target.closest && event.target.closest("a.person");
      lastPointer = "keyboard";
      if (!a) { return; }
      var to = null;
      switch (event.key) {
        case "ArrowUp": to = vertical(a, "parents", -1); break;
        case "ArrowDown": to = vertical(a, "children", 1); break;
        case "ArrowLeft": to = beside(a, -1); break;
        case "ArrowRight": to = beside(a, 1); break;
        case "Home": to = subject; break;
        case "+": case "=": zoomAt(1.4); event.preventDefault(); return;
        case "-": zoomAt(1 / 1.4); event.preventDefault(); return;
        default: return;
      }
      event.preventDefault();
      if (to && to !== a) { moveTo(to, a); }
    });
    svg.addEventListener("focusin", function (event) {
      var a = event.target.closest && event.target.closest("a.person");
      if (!a) { return; }
      if (a !== current) {
        if (current) { current.setAttribute("tabindex", "-1"); }
        current = a;
        a.setAttribute("tabindex", "0");
      }
      ring(a, true, false);
      showPerson(a);
    });
    svg.addEventListener("focusout", function (event) {
      var a = event.target.closest && event.target.closest("a.person");
      if (a) { ring(a, false); }
    });

    // --- pointer: hover, tap, click, drag and pinch ----------------------------------------------
    var lastPointer = "mouse";
    var armed = null;      // the person a first tap showed; a second tap opens them
    var pointers = {};
    var press = null;      // { x, y, dragging }
    var pinch = null;      // { gap, s }
    var dragged = false;
    var hovered = null;
    var dwell = null;
    function targetOf(node) {
      if (!node || !node.closest) { return null; }
      var a = node.closest("a.person");
      if (a) { return a; }
      if (lineOf.has(node)) { return lineOf.get(node); }
      var line = node.closest(".lines [data-people]");
      return line && titleOf(line) ? line : null;
    }
    function open(a) {
      var id = a.getAttribute("data-person"), href = a.getAttribute("href");
      if (options.onOpen && options.onOpen(id, href) === false) { return; }
      window.location.assign(href);
    }
    svg.addEventListener("pointerover", function (event) {
      if (event.pointerType !== "mouse") { return; }
      var t = targetOf(event.target);
      if (!t) { return; }
      clearTimeout(dwell);
      if (t.matches("a.person")) {
        if (hovered && hovered !== t && hovered !== document.activeElement) { ring(hovered, false); }
        hovered = t;
        if (t !== document.activeElement) { ring(t, true, true); }
        showDetails(t);
        dwell = setTimeout(function () { showPerson(t); }, DWELL);
      } else {
        showLine(t);
      }
    });
    svg.addEventListener("pointerout", function (event) {
      var t = targetOf(event.target);
      if (t && t === hovered && !t.contains(event.relatedTarget)) {
        clearTimeout(dwell);
        if (t !== document.activeElement) { ring(t, false); }
        hovered = null;
      }
    });
    svg.addEventListener("pointerdown", function (event) {
      lastPointer = event.pointerType || "mouse";
      if (event.pointerType === "mouse" && event.button !== 0) { return; }
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      var all = Object.keys(pointers);
      if (all.length === 2) {
        var p = pointers[all[0]], q = pointers[all[1]];
        pinch = { gap: Math.hypot(p.x - q.x, p.y - q.y) || 1, s: view.s };
        press = null;
      } else if (all.length === 1) {
        press = { x: event.clientX, y: event.clientY, dragging: false, id: event.pointerId };
        dragged = false;
      }
    });
    svg.addEventListener("pointermove", function (event) {
      if (!pointers[event.pointerId]) { return; }
      var before = pointers[event.pointerId];
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      var all = Object.keys(pointers);
      if (pinch && all.length >= 2) {
        var p = pointers[all[0]], q = pointers[all[1]];
        var gap = Math.hypot(p.x - q.x, p.y - q.y) || 1;
        zoomAt(pinch.s * gap / pinch.gap / view.s, (p.x + q.x) / 2, (p.y + q.y) / 2);
        dragged = true;
        return;
      }
      if (!press) { return; }
      if (!press.dragging && Math.hypot(event.clientX - press.x, event.clientY - press.y) > DRAG) {
        press.dragging = true;
        dragged = true;
        viewport.classList.add("fg-dragging");
        try { svg.setPointerCapture(event.pointerId); } catch (ignored) { /* not captured */ }
      }
      if (press.dragging) { panBy(event.clientX - before.x, event.clientY - before.y); }
    });
    function release(event) {
      delete pointers[event.pointerId];
      if (Object.keys(pointers).length < 2) { pinch = null; }
      if (press && press.id === event.pointerId) { press = null; }
      viewport.classList.remove("fg-dragging");
    }
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);
    svg.addEventListener("click", function (event) {
      var t = targetOf(event.target);
      var a = t && t.matches("a.person") ? t : null;
      if (dragged) {
        dragged = false;
        event.preventDefault();
        return;
      }
      if (!a) {
        if (t) { showLine(t); }
        armed = null;
        return;
      }
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      var keyboard = event.detail === 0 || lastPointer === "keyboard";
      if (!keyboard && (lastPointer === "touch" || lastPointer === "pen") && armed !== a) {
        armed = a;
        moveTo(a, null);
        return;
      }
      armed = null;
      open(a);
    });
    viewport.addEventListener("wheel", function (event) {
      if (options.wheel !== "always" && !event.ctrlKey && !event.metaKey) { return; }
      event.preventDefault();
      zoomAt(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)), event.clientX, event.clientY);
    }, { passive: false });

    // Printing shows the whole chart (the stylesheet drops the camera too), then the view
    // the user had comes back.
    var beforePrinting = null;
    function beforePrint() { beforePrinting = view; fit(); }
    function afterPrint() { if (beforePrinting) { view = beforePrinting; beforePrinting = null; apply(); } }
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);

    reset();
    container.setAttribute("data-mounted", "true");

    return {
      svg: svg,
      zoomIn: function () { zoomAt(1.4); },
      zoomOut: function () { zoomAt(1 / 1.4); },
      fit: fit,
      reset: reset,
      focus: function (id) { moveTo(byId[id] || subject, null); },
      select: function (id) { if (byId[id]) { showPerson(byId[id]); } },
      destroy: function () {
        window.removeEventListener("beforeprint", beforePrint);
        window.removeEventListener("afterprint", afterPrint);
        while (container.firstChild) { container.removeChild(container.firstChild); }
        container.classList.remove("fg-genogram");
        container.removeAttribute("data-mounted");
      }
    };
  }

  return { mount: mount, version: "1.0.0" };
}));
