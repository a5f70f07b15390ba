// Draws the genogram from the JSON the page embeds; positions are computed server-side.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("genogram");
    var source = document.getElementById("genogram-data");
    if (!holder || !source || typeof vis === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var groups = {
      subject: { color: { background: "#ffd166", border: "#1d3557" } },
      person: { color: { background: "#f1faee", border: "#1d3557" } },
      deceased: { color: { background: "#cccccc", border: "#555555" } },
      outline: {}, junction: {}
    };
    var network = new vis.Network(holder, {
      nodes: new vis.DataSet(data.nodes),
      edges: new vis.DataSet(data.edges)
    }, {
      physics: false,
      groups: groups,
      nodes: { font: { size: 13, multi: false }, fixed: { x: false, y: true } },
      edges: { smooth: false, color: "#1d3557", width: 2, font: { size: 11, align: "top" } },
      interaction: { hover: true, tooltipDelay: 150, navigationButtons: false }
    });
    network.on("doubleClick", function (params) {
      var id = params.nodes && params.nodes[0];
      if (id && id.indexOf(":") === -1) { window.location = "/people/" + encodeURIComponent(id); }
    });
    network.once("afterDrawing", function () { holder.setAttribute("data-drawn", "true"); });
    window.famgraphGenogram = network;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
