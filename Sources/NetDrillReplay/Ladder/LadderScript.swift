/// The script that draws a ladder page from its data blocks. It puts
/// strings from the trace into the DOM only as text (`textContent`,
/// SVG attributes it computes itself), never as markup.
enum LadderScript {
  static let source = #"""
    (function () {
      "use strict";
      var NS = "http://www.w3.org/2000/svg";
      var ROW = 20, TOP = 44, TIME = 86, STEP = 360, LANE = 150;
      function svgElement(name, attributes, parent) {
        var element = document.createElementNS(NS, name);
        for (var key in attributes) element.setAttribute(key, attributes[key]);
        if (parent) parent.appendChild(element);
        return element;
      }
      function text(parent, x, y, content, className) {
        var element = svgElement("text", { x: x, y: y }, parent);
        if (className) element.setAttribute("class", className);
        element.textContent = content;
        return element;
      }
      function div(className, content, parent) {
        var element = document.createElement("div");
        element.className = className;
        if (content !== undefined) element.textContent = content;
        parent.appendChild(element);
        return element;
      }
      function events(block) {
        return block.textContent.split("\n").filter(function (line) { return line.trim() !== ""; })
          .map(function (line) { return JSON.parse(line); });
      }
      function seconds(ns) {
        var micro = Math.round(ns / 1000), sign = micro < 0 ? "-" : "+";
        micro = Math.abs(micro);
        var fraction = String(micro % 1000000);
        return sign + Math.floor(micro / 1000000) + "." + "000000".slice(fraction.length) + fraction;
      }

      var detail = document.createElement("pre");
      detail.id = "detail";
      detail.textContent = "Hover over an arrow or a step to see it decoded; click to keep it.";
      var chosen = null;

      function render(list, panel) {
        var rows = [], lanes = [], laneIndex = Object.create(null), checks = [], verdict = null, title = "";
        function lane(name) {
          if (!(name in laneIndex)) { laneIndex[name] = lanes.length; lanes.push(name); }
          return laneIndex[name];
        }
        list.forEach(function (event) {
          if (event.k === "h") title = event.title;
          else if (event.k === "p") { lane(event.f); lane(event.to); rows.push(event); }
          else if (event.k === "s") rows.push(event);
          else if (event.k === "c") checks.push(event);
          else if (event.k === "v") verdict = event;
        });
        div("title", title, panel);
        var labelX = TIME + STEP + Math.max(lanes.length, 1) * LANE + 8;
        var svg = svgElement("svg", {
          "class": "ladder", width: labelX + 560, height: TOP + rows.length * ROW + 12
        }, panel);
        var defs = svgElement("defs", {}, svg);
        var markerId = "head-" + panel.id;
        [["n", "#2c62c9"], ["e", "#c2410c"], ["x", "#b4009e"]].forEach(function (kind) {
          var marker = svgElement("marker", {
            id: markerId + kind[0], viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 10, markerHeight: 10,
            markerUnits: "userSpaceOnUse",
            orient: "auto-start-reverse"
          }, defs);
          svgElement("path", { d: "M0,0 L10,5 L0,10 z", fill: kind[1] }, marker);
        });
        function laneX(name) { return TIME + STEP + laneIndex[name] * LANE + LANE / 2; }
        var bottom = TOP + rows.length * ROW;
        lanes.forEach(function (name) {
          var x = laneX(name);
          text(svg, x, 24, name.length > 20 ? name.slice(0, 19) + "…" : name, "lane-name").appendChild(
            svgElement("title", {})).textContent = name;
          svgElement("line", { "class": "lane", x1: x, y1: 32, x2: x, y2: bottom }, svg);
        });
        var background = svgElement("g", {}, svg), layer = svgElement("g", {}, svg);
        var packetY = [];
        rows.forEach(function (event, row) {
          var y = TOP + row * ROW + ROW / 2;
          text(layer, 4, y + 4, seconds(event.t), "time");
          if (event.k === "s") {
            if (event.x)
              svgElement("rect", { "class": "differs-row", x: 0, y: y - ROW / 2, width: "100%", height: ROW }, background);
            if (event.fail) svgElement("rect", { "class": "fail-row", x: 0, y: y - ROW / 2, width: "100%", height: ROW }, background);
            var step = text(layer, TIME, y + 4, (event.m || " ") + " " + event.s, "step " + (event.m === "✗" ? "bad" : event.m ? "ok" : "") + (event.x ? " differs" : ""));
            step.dataset.detail = event.d;
            return;
          }
          if (event.x) svgElement("rect", { "class": "differs-row", x: 0, y: y - ROW / 2, width: "100%", height: ROW }, background);
          var kind = event.x ? "x" : event.e ? "e" : "n";
          var arrow = svgElement("g", { "class": "arrow" + (event.e ? " error" : "") + (event.x ? " differs" : "") }, layer);
          arrow.dataset.detail = event.d;
          var x1 = laneX(event.f), x2 = laneX(event.to), shape;
          if (x1 === x2) {
            shape = "M" + x1 + "," + (y - 6) + " h28 v12 h-28";
          } else {
            shape = "M" + x1 + "," + y + " L" + (x2 + (x2 > x1 ? -2 : 2)) + "," + y;
          }
          svgElement("path", { "class": "hit", d: shape }, arrow);
          svgElement("path", { "class": "shaft", d: shape, "marker-end": "url(#" + markerId + kind + ")" }, arrow);
          if (event.q !== undefined && packetY[event.q] !== undefined) {
            var quoted = packetY[event.q];
            var bend = x1 + (x1 >= quoted.x ? 40 : -40);
            svgElement("path", {
              "class": "quote",
              d: "M" + x1 + "," + y + " C" + bend + "," + y + " " + bend + "," + quoted.y + " " + quoted.x + "," + quoted.y
            }, arrow);
          }
          packetY.push({ x: x2, y: y });
          var label = text(layer, labelX, y + 4, event.s, "label" + (event.x ? " bad" : ""));
          label.dataset.detail = event.d;
        });
        var checkList = div("checks", undefined, panel);
        checks.forEach(function (check) { div(check.ok ? "ok" : "bad", (check.ok ? "✓ " : "✗ ") + check.x, checkList); });
        if (verdict) div("verdict " + (verdict.ok ? "ok" : "bad"), verdict.x, panel);
        function target(event) {
          var element = event.target;
          while (element && element !== svg) {
            if (element.dataset && element.dataset.detail !== undefined) return element;
            element = element.parentNode;
          }
          return null;
        }
        svg.addEventListener("mouseover", function (event) {
          var element = target(event);
          if (element && !chosen) detail.textContent = element.dataset.detail;
        });
        svg.addEventListener("click", function (event) {
          var element = target(event);
          if (chosen) chosen.classList.remove("chosen");
          chosen = element === chosen ? null : element;
          if (chosen) { chosen.classList.add("chosen"); detail.textContent = chosen.dataset.detail; }
        });
      }

      var panels = document.createElement("div");
      panels.id = "panels";
      var differences = document.getElementById("differences");
      if (differences) {
        var box = document.createElement("div");
        box.id = "differences-list";
        events(differences).forEach(function (event) { div("difference", event.x, box); });
        document.body.appendChild(box);
      }
      document.body.appendChild(panels);
      document.body.appendChild(detail);
      Array.prototype.forEach.call(document.querySelectorAll("script.ladder"), function (block, index) {
        var panel = div("panel", undefined, panels);
        panel.id = "ladder-" + index;
        render(events(block), panel);
      });
      // When drawing and layout finished (reading offsetHeight forces the layout), in ms since
      // navigation began: what the benchmark (.ci/bench-ladder) reads.
      void document.body.offsetHeight;
      document.body.setAttribute("data-rendered-ms", String(Math.round(performance.now())));
    })();

    """#
}
