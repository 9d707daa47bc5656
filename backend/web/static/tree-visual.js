// The drawn subtree: reads the JSON of at most 500 people (breadth first), lays it out with
// d3-hierarchy (left to right, one column per level) and draws SVG. Each person is a link
// (focusable, named by its title) to their own tree; the list view is the text alternative.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var ROW = 26; // vertical room per person
  var COLUMN = window.matchMedia("(max-width: 39.99rem)").matches ? 140 : 170; // per level
  var MARGIN = 20;

  var box = document.getElementById("tree-visual");
  if (!box) return;
  var status = box.querySelector(".status");

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function shortName(name) {
    return name.length > 20 ? name.slice(0, 19) + "…" : name;
  }

  function draw(data) {
    var root = window.d3
      .stratify()
      .id(function (d) { return String(d.id); })
      .parentId(function (d) { return d.parent === null ? null : String(d.parent); })(data.nodes);
    window.d3.tree().nodeSize([ROW, COLUMN])(root);
    var top = Infinity;
    var bottom = -Infinity;
    root.each(function (n) {
      top = Math.min(top, n.x);
      bottom = Math.max(bottom, n.x);
    });
    var width = (root.height + 1) * COLUMN + MARGIN * 2;
    var height = bottom - top + MARGIN * 2;
    var canvas = document.createElement("div");
    canvas.className = "canvas";
    canvas.setAttribute("tabindex", "0");
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", box.getAttribute("data-label"));
    var svg = element("svg", { width: width, height: height, viewBox: [0, 0, width, height].join(" ") });
    svg.setAttribute("role", "group");
    var shift = function (n) { return [n.y + MARGIN, n.x - top + MARGIN]; };
    var links = element("g", {}, svg);
    root.links().forEach(function (link) {
      var a = shift(link.source);
      var b = shift(link.target);
      var middle = (a[0] + b[0]) / 2;
      element("path", {
        class: "link",
        d: "M" + a[0] + "," + a[1] + "C" + middle + "," + a[1] + " " + middle + "," + b[1] + " " + b[0] + "," + b[1],
      }, links);
    });
    var nodes = element("g", {}, svg);
    root.each(function (n) {
      var at = shift(n);
      var link = element("a", {
        href: "/distributors/" + n.data.id + "/tree?kind=" + box.getAttribute("data-kind"),
        transform: "translate(" + at[0] + "," + at[1] + ")",
      }, nodes);
      element("title", {}, link).textContent = n.data.name + " (ID " + n.data.id + ")";
      element("circle", { r: 6, class: n.data.active ? "on" : "off" }, link);
      var label = element("text", { x: 10, dy: "0.32em" }, link);
      label.textContent = shortName(n.data.name);
    });
    canvas.appendChild(svg);
    box.appendChild(canvas);
    // Start with the person at the top of the picture in view (the layout centres them on
    // their whole subtree, which may be far down a large picture).
    canvas.scrollTop = Math.max(0, shift(root)[1] - canvas.clientHeight / 2);
    var told = box.getAttribute("data-drawn").replace("{n}", String(data.nodes.length));
    status.textContent = data.truncated ? told + " " + box.getAttribute("data-truncated") : told;
  }

  fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(draw)
    .catch(function () {
      status.textContent = box.getAttribute("data-failed");
      status.classList.add("error");
    });
})();
