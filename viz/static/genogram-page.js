// famgraph's own pages: mount every chart the page marks with data-famgraph-genogram, with
// the JSON data block it names (the answer's nodes, edges and folded branches).
(function () {
  "use strict";
  function start() {
    if (!window.FamgraphGenogram) { return; }
    var boxes = document.querySelectorAll("[data-famgraph-genogram]");
    Array.prototype.forEach.call(boxes, function (box) {
      var source = document.getElementById(box.getAttribute("data-famgraph-genogram"));
      var data = source ? JSON.parse(source.textContent) : {};
      var base = data.branchBase;
      data.svg = box.querySelector("svg.famgraph-genogram");
      if (!data.svg) { return; }
      window.FamgraphGenogram.mount(box, data, {
        collapsed: data.collapsed || [],
        branchHref: base ? function (ids) {
          var url = new URL(base, window.location.href);
          if (ids.length) { url.searchParams.set("collapse", ids.join(",")); }
          else { url.searchParams.delete("collapse"); }
          return url.pathname + url.search;
        } : null
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
}());
