// Clinical photo islands, loaded only on the photo pages (photo, compare, capture), with
// the CSP nonce. Vanilla JS: the Content-Security-Policy forbids eval and inline handlers,
// so nothing here is wired from markup except data-* hooks.
//
//   [data-photo-editor]  the annotation editor over a photo (photos/detail.html)
//   [data-compare]       synchronized zoom and pan of two photos (photos/compare.html)
//   [data-capture]       the tablet camera with a ghost of the previous photo (photos/capture.html)
//
// Overlays use normalized coordinates (0–1 of the photo's width and height) in an SVG with
// viewBox "0 0 1 1" and preserveAspectRatio "none"; medspa/photos/overlay.py draws the
// same shapes on the server (keep the two in step).
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var UNIT = 0.001; // markers and labels are drawn in thousandths of the photo's height
  var LIGHT = { white: true, yellow: true };

  function csrfToken() {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf("medspa_csrftoken=") === 0) {
        return decodeURIComponent(part.substring("medspa_csrftoken=".length));
      }
    }
    return "";
  }

  function round(value) {
    return Math.round(value * 10000) / 10000;
  }

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  function svgEl(name, attrs, text) {
    var node = document.createElementNS(SVG_NS, name);
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) {
        node.setAttribute(key, String(attrs[key]));
      }
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  // Drawing ------------------------------------------------------------------------------

  function pair(p) {
    return round(p[0]) + "," + round(p[1]);
  }

  function smoothPath(points) {
    if (!points.length) {
      return "";
    }
    if (points.length < 3) {
      return "M" + points.map(pair).join(" L");
    }
    var d = ["M" + pair(points[0])];
    for (var i = 1; i < points.length - 1; i++) {
      var here = points[i];
      var after = points[i + 1];
      d.push("Q" + pair(here) + " " + pair([(here[0] + after[0]) / 2, (here[1] + after[1]) / 2]));
    }
    d.push("L" + pair(points[points.length - 1]));
    return d.join(" ");
  }

  function arrowHead(start, end, width, aspect) {
    var x1 = start[0] * aspect,
      y1 = start[1],
      x2 = end[0] * aspect,
      y2 = end[1];
    var angle = Math.atan2(y2 - y1, x2 - x1);
    var head = 0.025 + 0.004 * width;
    var corners = [
      [x2, y2],
      [x2 - head * Math.cos(angle - Math.PI / 7), y2 - head * Math.sin(angle - Math.PI / 7)],
      [x2 - head * Math.cos(angle + Math.PI / 7), y2 - head * Math.sin(angle + Math.PI / 7)],
    ];
    return corners
      .map(function (c) {
        return pair([c[0] / aspect, c[1]]);
      })
      .join(" ");
  }

  function shapeNode(shape, colors, aspect) {
    var color = colors[shape.color] || colors.red || "#e11d48";
    var width = shape.width || 3;
    var points = shape.points || [];
    var group = svgEl("g", { "data-kind": shape.kind });
    if ((shape.kind === "line" || shape.kind === "arrow") && points.length === 2) {
      group.appendChild(
        svgEl("line", {
          x1: round(points[0][0]),
          y1: round(points[0][1]),
          x2: round(points[1][0]),
          y2: round(points[1][1]),
          stroke: color,
          "stroke-width": width,
          "stroke-linecap": "round",
          "vector-effect": "non-scaling-stroke",
        }),
      );
      if (shape.kind === "arrow") {
        group.appendChild(svgEl("polygon", { points: arrowHead(points[0], points[1], width, aspect), fill: color }));
      }
    } else if (shape.kind === "freehand" && points.length) {
      group.appendChild(
        svgEl("path", {
          d: smoothPath(points),
          fill: "none",
          stroke: color,
          "stroke-width": width,
          "stroke-linecap": "round",
          "stroke-linejoin": "round",
          "vector-effect": "non-scaling-stroke",
        }),
      );
    } else if ((shape.kind === "point" || shape.kind === "text") && points.length) {
      group.setAttribute(
        "transform",
        "translate(" + round(points[0][0]) + " " + round(points[0][1]) + ") scale(" + UNIT / aspect + " " + UNIT + ")",
      );
      if (shape.kind === "point") {
        group.appendChild(
          svgEl("circle", {
            r: 24,
            fill: color,
            stroke: "#ffffff",
            "stroke-width": 2,
            "vector-effect": "non-scaling-stroke",
          }),
        );
        group.appendChild(
          svgEl(
            "text",
            {
              "text-anchor": "middle",
              "dominant-baseline": "central",
              "font-size": 28,
              "font-weight": 700,
              fill: LIGHT[shape.color] ? colors.black || "#111827" : "#ffffff",
            },
            String(shape.number || ""),
          ),
        );
      } else {
        group.appendChild(
          svgEl(
            "text",
            {
              "dominant-baseline": "hanging",
              "font-size": 40,
              "font-weight": 600,
              fill: color,
              stroke: "#000000",
              "stroke-width": 3,
              "paint-order": "stroke",
              "stroke-linejoin": "round",
              "vector-effect": "non-scaling-stroke",
            },
            shape.text || "",
          ),
        );
      }
    } else {
      return null;
    }
    return group;
  }

  function drawShapes(layer, shapes, colors, aspect) {
    clear(layer);
    for (var i = 0; i < shapes.length; i++) {
      var node = shapeNode(shapes[i], colors, aspect);
      if (node) {
        layer.appendChild(node);
      }
    }
  }

  // Light smoothing of a freehand stroke: a moving average that keeps both ends, then
  // dropping points closer than `gap` to the last one kept.
  function smoothStroke(points, gap) {
    if (points.length < 3) {
      return points;
    }
    var out = [points[0]];
    for (var i = 1; i < points.length - 1; i++) {
      var a = points[i - 1],
        b = points[i],
        c = points[i + 1];
      out.push([(a[0] + 2 * b[0] + c[0]) / 4, (a[1] + 2 * b[1] + c[1]) / 4]);
    }
    out.push(points[points.length - 1]);
    var kept = [out[0]];
    for (var j = 1; j < out.length - 1; j++) {
      var last = kept[kept.length - 1];
      if (Math.hypot(out[j][0] - last[0], out[j][1] - last[1]) >= gap) {
        kept.push(out[j]);
      }
    }
    kept.push(out[out.length - 1]);
    return kept.map(function (p) {
      return [round(p[0]), round(p[1])];
    });
  }

  // The annotation editor ------------------------------------------------------------------

  function Editor(root) {
    var source = document.getElementById("photo-editor-config");
    this.root = root;
    this.config = JSON.parse(source.textContent);
    this.colors = this.config.colors;
    this.shapes = (this.config.shapes || []).slice();
    this.saved = JSON.stringify(this.shapes);
    this.version = this.config.version;
    this.undoStack = [];
    this.redoStack = [];
    this.tool = "none";
    this.color = Object.keys(this.colors)[0];
    this.width = 4;
    this.draft = null;
    this.pointerId = null;
    this.pendingText = null;
    this.saving = false;
    this.conflict = false;
    this.stage = root.querySelector("[data-photo-stage]");
    this.image = root.querySelector("[data-photo-image]");
    this.svg = root.querySelector("[data-editor-surface]");
    this.toolbar = root.querySelector("[data-editor-toolbar]");
    this.status = root.querySelector("[data-editor-status]");
    this.dialog = root.querySelector("[data-editor-text-dialog]");
    this.textInput = root.querySelector("[data-editor-text-input]");
    this.layer = svgEl("g", { "data-layer": "shapes" });
    this.draftLayer = svgEl("g", { "data-layer": "draft" });
    clear(this.svg);
    this.svg.appendChild(this.layer);
    this.svg.appendChild(this.draftLayer);
    this.bind();
    this.render();
    this.updateControls();
    var loading = root.querySelector("[data-editor-loading]");
    if (loading) {
      loading.hidden = true;
    }
    this.toolbar.hidden = false;
    root.setAttribute("data-editor-ready", "true");
  }

  Editor.prototype.aspect = function () {
    var img = this.image;
    if (img && img.naturalWidth && img.naturalHeight) {
      return img.naturalWidth / img.naturalHeight;
    }
    return this.config.aspect || 1;
  };

  Editor.prototype.render = function () {
    drawShapes(this.layer, this.shapes, this.colors, this.aspect());
    this.renderDraft();
  };

  Editor.prototype.renderDraft = function () {
    drawShapes(this.draftLayer, this.draft ? [this.draft] : [], this.colors, this.aspect());
  };

  Editor.prototype.dirty = function () {
    return JSON.stringify(this.shapes) !== this.saved;
  };

  Editor.prototype.say = function (text) {
    if (this.status) {
      this.status.textContent = text;
    }
  };

  Editor.prototype.showError = function (text) {
    var box = this.root.querySelector("[data-editor-error]");
    var line = this.root.querySelector("[data-editor-error-text]");
    if (!box || !line) {
      return;
    }
    line.textContent = text;
    box.hidden = !text;
  };

  Editor.prototype.updateControls = function () {
    var q = this.root.querySelector.bind(this.root);
    q('[data-action="undo"]').disabled = !this.undoStack.length;
    q('[data-action="redo"]').disabled = !this.redoStack.length;
    q('[data-action="clear"]').disabled = !this.shapes.length;
    q('[data-action="save"]').disabled = this.saving || this.conflict || !this.dirty();
    if (!this.saving && !this.conflict) {
      this.say(this.dirty() ? "Unsaved changes" : "Saved · version " + this.version);
    }
  };

  Editor.prototype.setTool = function (tool) {
    this.tool = tool;
    this.toolbar.querySelectorAll("[data-tool]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-tool") === tool ? "true" : "false");
    });
    this.stage.classList.toggle("is-drawing", tool !== "none");
  };

  Editor.prototype.setColor = function (color) {
    this.color = color;
    this.toolbar.querySelectorAll("[data-color]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-color") === color ? "true" : "false");
    });
  };

  Editor.prototype.remember = function () {
    this.undoStack.push(this.shapes.slice());
    if (this.undoStack.length > 200) {
      this.undoStack.shift();
    }
    this.redoStack = [];
  };

  Editor.prototype.commit = function (shape) {
    if (this.shapes.length >= this.config.maxShapes) {
      this.showError("A photo can hold at most " + this.config.maxShapes + " shapes.");
      return;
    }
    this.remember();
    this.shapes.push(shape);
    this.render();
    this.updateControls();
  };

  Editor.prototype.undo = function () {
    if (!this.undoStack.length) {
      return;
    }
    this.redoStack.push(this.shapes);
    this.shapes = this.undoStack.pop();
    this.render();
    this.updateControls();
  };

  Editor.prototype.redo = function () {
    if (!this.redoStack.length) {
      return;
    }
    this.undoStack.push(this.shapes);
    this.shapes = this.redoStack.pop();
    this.render();
    this.updateControls();
  };

  Editor.prototype.clearAll = function () {
    if (!this.shapes.length) {
      return;
    }
    this.remember();
    this.shapes = [];
    this.render();
    this.updateControls();
  };

  Editor.prototype.nextNumber = function () {
    var highest = 0;
    this.shapes.forEach(function (shape) {
      if (shape.kind === "point" && shape.number > highest) {
        highest = shape.number;
      }
    });
    return highest + 1;
  };

  Editor.prototype.at = function (event) {
    var box = this.svg.getBoundingClientRect();
    return [
      round(clamp((event.clientX - box.left) / box.width, 0, 1)),
      round(clamp((event.clientY - box.top) / box.height, 0, 1)),
    ];
  };

  Editor.prototype.pointerDown = function (event) {
    if (this.tool === "none" || this.pointerId !== null || !event.isPrimary || this.conflict) {
      return;
    }
    event.preventDefault();
    var p = this.at(event);
    var base = { kind: this.tool, color: this.color, width: this.width };
    if (this.tool === "point") {
      base.points = [p];
      base.number = this.nextNumber();
      this.commit(base);
      return;
    }
    if (this.tool === "text") {
      this.pendingText = p;
      this.textInput.value = "";
      if (typeof this.dialog.showModal === "function") {
        this.dialog.showModal();
      } else {
        this.dialog.setAttribute("open", "");
      }
      this.textInput.focus();
      return;
    }
    this.pointerId = event.pointerId;
    try {
      this.svg.setPointerCapture(event.pointerId);
    } catch (e) {
      /* capture is a nicety */
    }
    base.points = this.tool === "freehand" ? [p] : [p, p];
    this.draft = base;
    this.renderDraft();
  };

  Editor.prototype.pointerMove = function (event) {
    if (this.pointerId !== event.pointerId || !this.draft) {
      return;
    }
    event.preventDefault();
    var draft = this.draft;
    if (draft.kind === "freehand") {
      var events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [event];
      if (!events.length) {
        events = [event];
      }
      for (var i = 0; i < events.length && draft.points.length < 1990; i++) {
        var p = this.at(events[i]);
        var last = draft.points[draft.points.length - 1];
        if (Math.hypot(p[0] - last[0], p[1] - last[1]) > 0.001) {
          draft.points.push(p);
        }
      }
    } else {
      draft.points[1] = this.at(event);
    }
    this.renderDraft();
  };

  Editor.prototype.pointerUp = function (event) {
    if (this.pointerId !== event.pointerId) {
      return;
    }
    this.pointerId = null;
    var draft = this.draft;
    this.draft = null;
    this.renderDraft();
    if (!draft || event.type === "pointercancel") {
      return;
    }
    var points = draft.points;
    if (draft.kind === "freehand") {
      draft.points = smoothStroke(points, 0.0015);
      if (draft.points.length < 2) {
        return;
      }
    } else {
      var length = Math.hypot(points[1][0] - points[0][0], points[1][1] - points[0][1]);
      if (length < 0.005) {
        return; // a tap, not a line
      }
    }
    this.commit(draft);
  };

  Editor.prototype.placeText = function () {
    var text = (this.textInput.value || "").trim().slice(0, this.config.maxText);
    var at = this.pendingText;
    this.pendingText = null;
    if (text && at) {
      this.commit({ kind: "text", color: this.color, width: this.width, points: [at], text: text });
    }
  };

  Editor.prototype.save = function () {
    var self = this;
    if (this.saving || this.conflict || !this.dirty()) {
      return;
    }
    this.saving = true;
    this.showError("");
    this.say("Saving…");
    this.updateControls();
    var body = JSON.stringify({ shapes: this.shapes, base_version: this.version });
    var sent = body;
    fetch(this.config.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { status: response.status, data: data };
          });
      })
      .then(function (result) {
        self.saving = false;
        if (result.status === 201) {
          self.version = result.data.version;
          self.saved = JSON.stringify(JSON.parse(sent).shapes);
          self.updateExportLink();
          self.updateControls();
          self.say("Saved · version " + self.version);
          return;
        }
        if (result.status === 409) {
          self.conflict = true;
          self.root.querySelector("[data-editor-conflict]").hidden = false;
          self.say("Not saved");
          self.updateControls();
          return;
        }
        var data = result.data || {};
        var fields = data.fields || {};
        var first = Object.keys(fields).length ? fields[Object.keys(fields)[0]] : "";
        self.showError((data.detail || "The annotations could not be saved.") + (first ? " " + first : ""));
        self.updateControls();
        self.say("Not saved");
      })
      .catch(function () {
        self.saving = false;
        self.showError("Could not reach the server. Check your connection and press Save again.");
        self.updateControls();
        self.say("Not saved");
      });
  };

  Editor.prototype.updateExportLink = function () {
    var link = document.querySelector("[data-testid='export-png']");
    if (link) {
      link.setAttribute("href", link.getAttribute("href").replace(/version=\d+/, "version=" + this.version));
    }
  };

  Editor.prototype.bind = function () {
    var self = this;
    this.toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || button.disabled) {
        return;
      }
      if (button.hasAttribute("data-tool")) {
        self.setTool(button.getAttribute("data-tool"));
      } else if (button.hasAttribute("data-color")) {
        self.setColor(button.getAttribute("data-color"));
      } else {
        var action = button.getAttribute("data-action");
        if (action === "undo") {
          self.undo();
        } else if (action === "redo") {
          self.redo();
        } else if (action === "clear") {
          self.clearAll();
        } else if (action === "save") {
          self.save();
        }
      }
    });
    var width = this.root.querySelector("[data-editor-width]");
    if (width) {
      this.width = parseInt(width.value, 10) || 4;
      width.addEventListener("input", function () {
        self.width = clamp(parseInt(width.value, 10) || 4, 1, 20);
      });
    }
    this.svg.addEventListener("pointerdown", this.pointerDown.bind(this));
    this.svg.addEventListener("pointermove", this.pointerMove.bind(this));
    this.svg.addEventListener("pointerup", this.pointerUp.bind(this));
    this.svg.addEventListener("pointercancel", this.pointerUp.bind(this));
    this.root.querySelector("[data-editor-text-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      self.dialog.close ? self.dialog.close() : self.dialog.removeAttribute("open");
      self.placeText();
    });
    this.root.querySelector('[data-action="text-cancel"]').addEventListener("click", function () {
      self.pendingText = null;
      self.dialog.close ? self.dialog.close() : self.dialog.removeAttribute("open");
    });
    if (this.image && !this.image.complete) {
      this.image.addEventListener("load", function () {
        self.render();
      });
    }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) {
        return;
      }
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        if (event.shiftKey) {
          self.redo();
        } else {
          self.undo();
        }
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
        event.preventDefault();
        self.redo();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        self.save();
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (self.dirty() && !self.conflict) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  };

  // Compare: synchronized zoom and pan ---------------------------------------------------

  function Compare(root) {
    var self = this;
    this.root = root;
    this.panes = Array.prototype.slice.call(root.querySelectorAll("[data-compare-pane]"));
    this.scale = 1;
    this.fx = 0; // translation as fractions of the pane's width and height
    this.fy = 0;
    this.pointers = {};
    this.gesture = null;
    this.level = root.querySelector("[data-zoom-level]");
    root.querySelectorAll("[data-zoom], [data-zoom-level], [data-compare-hint]").forEach(function (node) {
      node.hidden = false;
    });
    root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) {
        return;
      }
      var kind = button.getAttribute("data-zoom");
      if (kind === "reset") {
        self.set(1, 0, 0);
      } else {
        self.zoomAt(self.panes[0], 0, 0, kind === "in" ? 1.25 : 0.8);
      }
    });
    var toggle = root.querySelector("[data-overlays-toggle]");
    if (toggle) {
      toggle.addEventListener("change", function () {
        root.querySelectorAll("[data-overlay]").forEach(function (svg) {
          svg.style.display = toggle.checked ? "" : "none";
        });
      });
    }
    this.panes.forEach(function (pane) {
      pane.addEventListener(
        "wheel",
        function (event) {
          event.preventDefault();
          var p = self.local(pane, event);
          self.zoomAt(pane, p[0], p[1], Math.exp(-event.deltaY * 0.0015));
        },
        { passive: false },
      );
      pane.addEventListener("pointerdown", function (event) {
        self.pointerDown(pane, event);
      });
      pane.addEventListener("pointermove", function (event) {
        self.pointerMove(pane, event);
      });
      pane.addEventListener("pointerup", function (event) {
        self.pointerUp(pane, event);
      });
      pane.addEventListener("pointercancel", function (event) {
        self.pointerUp(pane, event);
      });
      pane.addEventListener("keydown", function (event) {
        var step = 0.05;
        var keys = {
          "+": function () {
            self.zoomAt(pane, 0, 0, 1.25);
          },
          "=": function () {
            self.zoomAt(pane, 0, 0, 1.25);
          },
          "-": function () {
            self.zoomAt(pane, 0, 0, 0.8);
          },
          0: function () {
            self.set(1, 0, 0);
          },
          ArrowLeft: function () {
            self.set(self.scale, self.fx + step, self.fy);
          },
          ArrowRight: function () {
            self.set(self.scale, self.fx - step, self.fy);
          },
          ArrowUp: function () {
            self.set(self.scale, self.fx, self.fy + step);
          },
          ArrowDown: function () {
            self.set(self.scale, self.fx, self.fy - step);
          },
        };
        if (keys[event.key]) {
          event.preventDefault();
          keys[event.key]();
        }
      });
    });
    window.addEventListener("resize", function () {
      self.apply();
    });
  }

  // The event's position relative to the pane's centre, in pixels.
  Compare.prototype.local = function (pane, event) {
    var box = pane.getBoundingClientRect();
    return [event.clientX - box.left - box.width / 2, event.clientY - box.top - box.height / 2];
  };

  Compare.prototype.set = function (scale, fx, fy) {
    this.scale = clamp(scale, 1, 8);
    var room = (this.scale - 1) / 2; // how far the zoomed image may move, as a fraction
    this.fx = this.scale === 1 ? 0 : clamp(fx, -room, room);
    this.fy = this.scale === 1 ? 0 : clamp(fy, -room, room);
    this.apply();
  };

  Compare.prototype.apply = function () {
    var self = this;
    this.panes.forEach(function (pane) {
      var content = pane.querySelector("[data-compare-content]");
      content.style.transform =
        "translate(" +
        self.fx * pane.clientWidth +
        "px, " +
        self.fy * pane.clientHeight +
        "px) scale(" +
        self.scale +
        ")";
    });
    if (this.level) {
      this.level.textContent = Math.round(this.scale * 100) + "%";
    }
  };

  // Zoom by `factor` keeping the point (x, y) of `pane` (pixels from its centre) in place.
  Compare.prototype.zoomAt = function (pane, x, y, factor) {
    var next = clamp(this.scale * factor, 1, 8);
    var tx = this.fx * pane.clientWidth;
    var ty = this.fy * pane.clientHeight;
    var nx = x - (next * (x - tx)) / this.scale;
    var ny = y - (next * (y - ty)) / this.scale;
    this.set(next, nx / pane.clientWidth, ny / pane.clientHeight);
  };

  Compare.prototype.pointerDown = function (pane, event) {
    this.pointers[event.pointerId] = this.local(pane, event);
    try {
      pane.setPointerCapture(event.pointerId);
    } catch (e) {
      /* capture is a nicety */
    }
    pane.classList.add("is-panning");
    this.gesture = null;
  };

  Compare.prototype.pointerMove = function (pane, event) {
    if (!this.pointers[event.pointerId]) {
      return;
    }
    var previous = this.pointers[event.pointerId];
    var now = this.local(pane, event);
    this.pointers[event.pointerId] = now;
    var ids = Object.keys(this.pointers);
    if (ids.length === 1) {
      this.set(
        this.scale,
        this.fx + (now[0] - previous[0]) / pane.clientWidth,
        this.fy + (now[1] - previous[1]) / pane.clientHeight,
      );
    } else if (ids.length === 2) {
      var a = this.pointers[ids[0]],
        b = this.pointers[ids[1]];
      var distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
      var middle = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      if (this.gesture && this.gesture.distance > 0) {
        this.zoomAt(pane, middle[0], middle[1], distance / this.gesture.distance);
        this.set(
          this.scale,
          this.fx + (middle[0] - this.gesture.middle[0]) / pane.clientWidth,
          this.fy + (middle[1] - this.gesture.middle[1]) / pane.clientHeight,
        );
      }
      this.gesture = { distance: distance, middle: middle };
    }
  };

  Compare.prototype.pointerUp = function (pane, event) {
    delete this.pointers[event.pointerId];
    this.gesture = null;
    if (!Object.keys(this.pointers).length) {
      pane.classList.remove("is-panning");
    }
  };

  // Capture: camera preview with a ghost of the previous photo --------------------------

  function Capture(root) {
    var self = this;
    this.root = root;
    this.form = root.querySelector("[data-capture-form]");
    this.video = root.querySelector("[data-capture-video]");
    this.preview = root.querySelector("[data-capture-preview]");
    this.ghost = root.querySelector("[data-capture-ghost]");
    this.status = root.querySelector("[data-capture-status]");
    this.blob = null;
    this.stream = null;
    this.busy = false;
    var opacity = root.querySelector("[data-capture-opacity]");
    if (opacity && this.ghost) {
      opacity.addEventListener("input", function () {
        self.ghost.style.opacity = String(clamp(parseInt(opacity.value, 10) || 0, 0, 100) / 100);
      });
    }
    if (!this.form || !this.video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return; // the file input (capture="environment") does the job
    }
    this.say("Starting the camera…");
    navigator.mediaDevices
      .getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1440 } },
        audio: false,
      })
      .then(function (stream) {
        self.stream = stream;
        self.video.srcObject = stream;
        self.video.hidden = false;
        var placeholder = root.querySelector("[data-capture-placeholder]");
        if (placeholder) {
          placeholder.hidden = true;
        }
        root.querySelector("[data-capture-fallback]").hidden = true;
        root.querySelector("[data-capture-camera-controls]").hidden = false;
        root.setAttribute("data-capture-mode", "camera");
        self.say("");
      })
      .catch(function () {
        self.say("The camera is not available here. Use “Take photo” to open the device camera.");
      });
    root.querySelector("[data-capture-take]").addEventListener("click", function () {
      self.take();
    });
    root.querySelector("[data-capture-retake]").addEventListener("click", function () {
      self.live();
    });
    this.form.addEventListener("submit", function (event) {
      if (root.getAttribute("data-capture-mode") === "camera") {
        event.preventDefault();
        self.upload();
      }
    });
    window.addEventListener("pagehide", function () {
      if (self.stream) {
        self.stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
    });
  }

  Capture.prototype.say = function (text) {
    if (this.status) {
      this.status.textContent = text;
      this.status.hidden = !text;
    }
  };

  Capture.prototype.take = function () {
    var self = this;
    var video = this.video;
    if (!video.videoWidth) {
      this.say("The camera is not ready yet.");
      return;
    }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(
      function (blob) {
        if (!blob) {
          self.say("The photo could not be taken. Try again.");
          return;
        }
        self.blob = blob;
        if (self.preview.src) {
          URL.revokeObjectURL(self.preview.src);
        }
        self.preview.src = URL.createObjectURL(blob);
        self.preview.hidden = false;
        self.video.hidden = true;
        if (self.ghost) {
          self.ghost.hidden = true;
        }
        self.root.querySelector("[data-capture-take]").hidden = true;
        self.root.querySelector("[data-capture-review]").hidden = false;
        self.say("Check the photo, then use it or retake.");
      },
      "image/jpeg",
      0.92,
    );
  };

  Capture.prototype.live = function () {
    this.blob = null;
    this.preview.hidden = true;
    this.video.hidden = false;
    if (this.ghost) {
      this.ghost.hidden = false;
    }
    this.root.querySelector("[data-capture-take]").hidden = false;
    this.root.querySelector("[data-capture-review]").hidden = true;
  };

  Capture.prototype.upload = function () {
    var self = this;
    if (!this.blob || this.busy) {
      return;
    }
    var data = new FormData(this.form);
    data.delete("camera");
    var angle = data.get("angle") || "photo";
    data.append("files", this.blob, "capture-" + angle + ".jpg");
    this.busy = true;
    var use = this.root.querySelector("[data-capture-use]");
    use.disabled = true;
    this.say("Uploading…");
    fetch(this.form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: data,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            return { status: response.status, body: body };
          });
      })
      .then(function (result) {
        self.busy = false;
        use.disabled = false;
        if (result.status === 201) {
          self.live();
          self.say("Saved. Take another, or switch to the next angle.");
          return;
        }
        if (result.status === 409 && result.body.needs_consent) {
          var consent = self.root.querySelector("[data-capture-consent]");
          consent.hidden = false;
          self.root.querySelector("[data-capture-confirm]").required = true;
          self.say("Confirm below, then press “Use photo” again.");
          return;
        }
        self.say(result.body.detail || "The photo could not be uploaded. Try again.");
      })
      .catch(function () {
        self.busy = false;
        use.disabled = false;
        self.say("Could not reach the server. Check your connection and try again.");
      });
  };

  // Start ----------------------------------------------------------------------------------

  // Photos scale to the width available but never taller than 75% of the window: the
  // stage's max width follows the photo's proportions (the overlay covers the stage).
  function fitStages() {
    document.querySelectorAll("[data-photo-stage]").forEach(function (stage) {
      var img = stage.querySelector("img");
      var w = img.naturalWidth || parseInt(img.getAttribute("width"), 10);
      var h = img.naturalHeight || parseInt(img.getAttribute("height"), 10);
      if (w && h) {
        stage.style.maxWidth = "calc(75vh * " + w / h + ")";
        stage.classList.add("w-full");
        img.classList.add("w-full");
        img.classList.remove("w-auto");
      }
    });
  }

  function start() {
    fitStages();
    var editor = document.querySelector("[data-photo-editor]");
    if (editor && document.getElementById("photo-editor-config")) {
      window.medspaPhotoEditor = new Editor(editor);
    }
    var compare = document.querySelector("[data-compare]");
    if (compare) {
      window.medspaCompare = new Compare(compare);
    }
    var capture = document.querySelector("[data-capture]");
    if (capture) {
      window.medspaCapture = new Capture(capture);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
