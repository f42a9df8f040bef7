// The chart editor (charting/detail.html, the provider's own draft only).
//
// Keeps the whole content document in memory, renders the products, injections, face
// chart points and totals, and autosaves: debounced PUT /api/charts/{id} with the loaded
// `version`. Unsaved edits are kept in localStorage (key: chart id + base version) until the
// server has them, so a flaky tablet loses nothing. 409 → "updated on another device",
// 422 → the errors next to their fields, network/5xx → "Offline — will retry" with backoff.
// No inline scripts or handlers (CSP): everything is bound here.
(function () {
  "use strict";

  var dataEl = document.getElementById("chart-editor-data");
  var root = document.querySelector("[data-chart-editor]");
  if (!dataEl || !root) {
    return;
  }
  var data = JSON.parse(dataEl.textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var DEBOUNCE = 1000;
  var MAX_BACKOFF = 60000;
  var PREFIX = "medspa:chart:" + data.id + ":";
  var W = data.size[0];
  var H = data.size[1];

  var content = normalise(data.content);
  var version = data.version;
  var state = { dirty: false, saving: false, timer: null, retryTimer: null, retries: 0, edits: 0, stopped: false };
  var customMode = false;

  var statusEl = document.querySelector("[data-save-status]");
  var productsEl = root.querySelector("[data-products]");
  var injectionsEl = root.querySelector("[data-injections]");
  var pointsEl = root.querySelector("[data-points]");
  var totalsEl = root.querySelector("[data-totals-list]");
  var face = root.querySelector("[data-face]");

  function normalise(c) {
    c = c || {};
    return {
      fields: Object.assign({}, c.fields || {}),
      products: (c.products || []).map(function (p) { return Object.assign({}, p); }),
      injections: (c.injections || []).map(function (r) { return Object.assign({}, r); }),
      aftercare: c.aftercare || "",
      notes: c.notes || "",
    };
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)medspa_csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  var el = window.Medspa.el;


  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function choiceLabel(kind, value) {
    var found = (data.choices[kind] || []).filter(function (c) { return c[0] === value; })[0];
    return found ? found[1] : value;
  }

  function zoneLabel(row) {
    if (row.zone === "custom") {
      return row.label || "Custom point";
    }
    return data.zones[row.zone] ? data.zones[row.zone][0] : row.zone;
  }

  function number(value) {
    var n = parseFloat(value);
    return isFinite(n) ? n : 0;
  }

  function fmt(n) {
    return String(Math.round(n * 1000) / 1000);
  }

  // Status line ------------------------------------------------------------------------

  function setStatus(text, tone) {
    if (statusEl) {
      statusEl.textContent = text;
      statusEl.setAttribute("data-tone", tone || "");
    }
  }

  // Local copy -------------------------------------------------------------------------

  function keepLocal() {
    try {
      localStorage.setItem(PREFIX + version, JSON.stringify({ content: content, at: new Date().toISOString() }));
    } catch (e) {
      /* storage full or disabled: the server copy is all we have */
    }
  }

  function dropLocal(v) {
    try {
      localStorage.removeItem(PREFIX + v);
    } catch (e) {
      /* ignore */
    }
  }

  function localCopies() {
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) {
          found.push({ key: key, version: parseInt(key.slice(PREFIX.length), 10) });
        }
      }
    } catch (e) {
      /* ignore */
    }
    return found;
  }

  // Editing ----------------------------------------------------------------------------

  function changed() {
    state.dirty = true;
    state.edits += 1;
    keepLocal();
    renderFace();
    renderTotals();
    if (state.stopped) {
      return;
    }
    setStatus("Unsaved changes", "pending");
    clearTimeout(state.timer);
    state.timer = setTimeout(save, DEBOUNCE);
  }

  function readField(input) {
    var key = input.getAttribute("data-field");
    var type = input.getAttribute("data-type");
    if (type === "checkbox") {
      content.fields[key] = input.checked;
    } else if (type === "multiselect") {
      var chosen = Array.prototype.filter
        .call(root.querySelectorAll('[data-field="' + key + '"]'), function (box) { return box.checked; })
        .map(function (box) { return box.value; });
      if (chosen.length) {
        content.fields[key] = chosen;
      } else {
        delete content.fields[key];
      }
    } else if (input.value.trim() === "") {
      delete content.fields[key];
    } else {
      content.fields[key] = input.value;
    }
  }

  function writeFields() {
    root.querySelectorAll("[data-field]").forEach(function (input) {
      var key = input.getAttribute("data-field");
      var type = input.getAttribute("data-type");
      var value = content.fields[key];
      if (type === "checkbox") {
        input.checked = value === true;
      } else if (type === "multiselect") {
        input.checked = Array.isArray(value) && value.indexOf(input.value) !== -1;
      } else {
        input.value = value === undefined || value === null ? "" : value;
      }
    });
    root.querySelectorAll("[data-part]").forEach(function (input) {
      input.value = content[input.getAttribute("data-part")] || "";
    });
  }

  root.addEventListener("input", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-field")) {
      readField(target);
      changed();
    } else if (target.hasAttribute("data-part")) {
      content[target.getAttribute("data-part")] = target.value;
      changed();
    }
  });
  root.addEventListener("change", function (event) {
    if (event.target.hasAttribute("data-field")) {
      readField(event.target);
      changed();
    }
  });

  // Inputs of a row (products and injections) -------------------------------------------

  function errorList(id, path) {
    return el("ul", { id: id, class: "field-errors", "data-error-for": path });
  }

  function rowField(opts) {
    // opts: row, rowKind, name, label, type ("text"|"number"|"date"|"select"), choices, list
    var id = opts.rowKind + "-" + opts.row.id + "-" + opts.name;
    var errorId = id + "-error";
    var input;
    if (opts.type === "select") {
      input = el("select", { id: id, "aria-describedby": errorId });
      (opts.blank ? [["", opts.blank]] : []).concat(opts.choices).forEach(function (c) {
        input.appendChild(el("option", { value: c[0], text: c[1] }));
      });
      input.value = opts.row[opts.name] || "";
    } else {
      input = el("input", {
        id: id,
        type: opts.type || "text",
        inputmode: opts.type === "number" ? "decimal" : null,
        step: opts.type === "number" ? "any" : null,
        min: opts.type === "number" ? "0" : null,
        placeholder: opts.placeholder || null,
        "aria-describedby": errorId,
        value: opts.row[opts.name] || "",
      });
    }
    input.setAttribute("data-row-field", opts.name);
    var handler = function () {
      opts.row[opts.name] = input.value;
      if (opts.after) {
        opts.after(input);
      }
      changed();
    };
    input.addEventListener(opts.type === "select" ? "change" : "input", handler);
    return el("div", { class: "field " + (opts.cls || "") }, [
      el("label", { class: "field-label", for: id, text: opts.label }),
      input,
      errorList(errorId, opts.rowKind + "." + opts.row.id + "." + opts.name),
    ]);
  }

  function removeButton(label, onRemove) {
    var button = el("button", { type: "button", class: "btn btn-ghost chart-touch text-red-700" }, [
      "Remove",
      el("span", { class: "sr-only", text: " " + label }),
    ]);
    button.addEventListener("click", onRemove);
    return button;
  }

  // Products ---------------------------------------------------------------------------

  function productOptions() {
    return content.products.map(function (p, i) {
      return [p.id, p.name ? p.name + (p.lot_number ? " · lot " + p.lot_number : "") : "Product " + (i + 1)];
    });
  }

  function renderProducts() {
    if (!productsEl) {
      return;
    }
    productsEl.textContent = "";
    content.products.forEach(function (p, index) {
      var title = "Product " + (index + 1);
      var rowEl = el("div", { class: "chart-row", "data-product-row": p.id, role: "group", "aria-label": title }, [
        el("div", { class: "grid gap-3 sm:grid-cols-2 lg:grid-cols-4" }, [
          rowField({ row: p, rowKind: "products", name: "name", label: "Product name", after: refreshProductChoices }),
          rowField({ row: p, rowKind: "products", name: "brand", label: "Brand" }),
          rowField({ row: p, rowKind: "products", name: "product_type", label: "Type", type: "select", choices: data.choices.product_type }),
          rowField({ row: p, rowKind: "products", name: "lot_number", label: "Lot number", after: refreshProductChoices }),
          rowField({ row: p, rowKind: "products", name: "expiry_date", label: "Expiry date", type: "date" }),
          rowField({ row: p, rowKind: "products", name: "quantity", label: "Quantity", type: "number" }),
          rowField({ row: p, rowKind: "products", name: "unit", label: "Unit", type: "select", choices: data.choices.unit }),
          rowField({ row: p, rowKind: "products", name: "dilution", label: "Dilution", placeholder: "e.g. 2.5 mL / 100 U" }),
        ]),
        el("div", { class: "mt-2 flex justify-end" }, [
          removeButton(title, function () {
            content.products = content.products.filter(function (x) { return x.id !== p.id; });
            content.injections.forEach(function (r) {
              if (r.product_id === p.id) {
                r.product_id = "";
              }
            });
            renderProducts();
            renderInjections();
            changed();
          }),
        ]),
      ]);
      productsEl.appendChild(rowEl);
    });
    toggleEmpty("[data-products-empty]", content.products.length);
  }

  function refreshProductChoices() {
    if (!injectionsEl) {
      return;
    }
    var options = productOptions();
    injectionsEl.querySelectorAll('[data-row-field="product_id"]').forEach(function (select) {
      var value = select.value;
      select.textContent = "";
      select.appendChild(el("option", { value: "", text: "No product" }));
      options.forEach(function (c) { select.appendChild(el("option", { value: c[0], text: c[1] })); });
      select.value = value;
    });
  }

  function addProduct() {
    var row = {
      id: uuid(), name: "", brand: "", product_type: "neurotoxin", lot_number: "",
      expiry_date: "", unit: "units", quantity: "", dilution: "",
    };
    content.products.push(row);
    renderProducts();
    refreshProductChoices();
    var first = productsEl.querySelector('[data-product-row="' + row.id + '"] input');
    if (first) {
      first.focus();
    }
    changed();
  }

  // Injections -------------------------------------------------------------------------

  function renderInjections() {
    if (!injectionsEl) {
      return;
    }
    injectionsEl.textContent = "";
    content.injections.forEach(function (r) {
      var title = zoneLabel(r);
      var parts = [];
      if (r.zone === "custom") {
        parts.push(rowField({
          row: r, rowKind: "injections", name: "label", label: "Point label", placeholder: "Name this point",
          after: function () { renderFace(); },
        }));
      }
      parts.push(
        rowField({ row: r, rowKind: "injections", name: "units", label: "Units", type: "number" }),
        rowField({ row: r, rowKind: "injections", name: "product_id", label: "Product", type: "select", blank: "No product", choices: productOptions() }),
        rowField({ row: r, rowKind: "injections", name: "depth", label: "Depth", type: "select", blank: "—", choices: data.choices.depth }),
        rowField({ row: r, rowKind: "injections", name: "technique", label: "Technique", type: "select", blank: "—", choices: data.choices.technique }),
        rowField({ row: r, rowKind: "injections", name: "instrument", label: "Needle or cannula", type: "select", blank: "—", choices: data.choices.instrument }),
        rowField({ row: r, rowKind: "injections", name: "needle", label: "Gauge / length", placeholder: "e.g. 30G ½\"" })
      );
      injectionsEl.appendChild(
        el("div", { class: "chart-row", "data-injection-row": r.id, role: "group", "aria-label": "Injection: " + title }, [
          el("div", { class: "flex items-center justify-between gap-2" }, [
            el("p", { class: "font-medium text-slate-900", text: title }),
            removeButton(title, function () {
              content.injections = content.injections.filter(function (x) { return x.id !== r.id; });
              renderInjections();
              changed();
            }),
          ]),
          el("div", { class: "grid gap-3 sm:grid-cols-2 xl:grid-cols-3" }, parts),
        ])
      );
    });
    toggleEmpty("[data-injections-empty]", content.injections.length);
  }

  function addInjection(zone, x, y) {
    var row = {
      id: uuid(), zone: zone, x: x, y: y, label: "", units: "",
      product_id: content.products.length ? content.products[0].id : "",
      depth: "", technique: "", instrument: "", needle: "",
    };
    content.injections.push(row);
    renderInjections();
    var focus = injectionsEl.querySelector(
      '[data-injection-row="' + row.id + '"] [data-row-field="' + (zone === "custom" ? "label" : "units") + '"]'
    );
    if (focus) {
      focus.focus();
      focus.scrollIntoView({ block: "nearest" });
    }
    changed();
  }

  function toggleEmpty(selector, count) {
    var empty = root.querySelector(selector);
    if (empty) {
      empty.hidden = count > 0;
    }
  }

  // Face chart -------------------------------------------------------------------------

  function renderFace() {
    if (!pointsEl) {
      return;
    }
    var marks = {};
    var order = [];
    content.injections.forEach(function (r) {
      var key = r.zone === "custom" ? r.id : r.zone;
      var x = r.zone === "custom" ? r.x : data.zones[r.zone][1];
      var y = r.zone === "custom" ? r.y : data.zones[r.zone][2];
      if (!marks[key]) {
        marks[key] = { x: x * W, y: y * H, units: 0, label: zoneLabel(r) };
        order.push(key);
      }
      marks[key].units += number(r.units);
    });
    pointsEl.textContent = "";
    order.forEach(function (key) {
      var m = marks[key];
      var g = svg("g", { class: "face-point", "data-point": key });
      g.appendChild(svg("title", {}, m.label + ": " + fmt(m.units) + " units"));
      g.appendChild(svg("circle", { cx: m.x, cy: m.y, r: 15 }));
      g.appendChild(svg("text", { x: m.x, y: m.y, dy: "0.35em", "text-anchor": "middle" }, fmt(m.units)));
      pointsEl.appendChild(g);
    });
  }

  function renderTotals() {
    if (!totalsEl) {
      return;
    }
    var byZone = {};
    var zones = [];
    var byProduct = {};
    var total = 0;
    content.injections.forEach(function (r) {
      var label = zoneLabel(r);
      var units = number(r.units);
      if (!(label in byZone)) {
        byZone[label] = 0;
        zones.push(label);
      }
      byZone[label] += units;
      byProduct[r.product_id || ""] = (byProduct[r.product_id || ""] || 0) + units;
      total += units;
    });
    totalsEl.textContent = "";
    zones.forEach(function (label) {
      totalsEl.appendChild(el("dt", { class: "text-slate-600", text: label }));
      totalsEl.appendChild(el("dd", { class: "tabular-nums text-slate-900", text: fmt(byZone[label]) }));
    });
    content.products.forEach(function (p, i) {
      totalsEl.appendChild(el("dt", { class: "text-slate-600", text: (p.name || "Product " + (i + 1)) + " injected" }));
      var unit = p.quantity ? " of " + p.quantity + " " + choiceLabel("unit", p.unit) : "";
      totalsEl.appendChild(el("dd", { class: "tabular-nums text-slate-900", text: fmt(byProduct[p.id] || 0) + unit }));
    });
    totalsEl.appendChild(el("dt", { class: "font-medium text-slate-900", text: "Total units" }));
    totalsEl.appendChild(el("dd", { class: "font-medium tabular-nums text-slate-900", "data-testid": "total-units", text: fmt(total) }));
  }

  function setCustomMode(on) {
    customMode = on;
    var button = document.querySelector("[data-custom-mode]");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    var hint = document.querySelector("[data-custom-hint]");
    if (hint) {
      hint.hidden = !on;
    }
    if (face) {
      face.classList.toggle("is-placing", on);
    }
  }

  if (face) {
    face.addEventListener("click", function (event) {
      if (customMode) {
        var rect = face.getBoundingClientRect();
        var x = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
        var y = Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height));
        setCustomMode(false);
        addInjection("custom", Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000);
        return;
      }
      var zone = event.target.closest("[data-zone]");
      if (zone) {
        addInjection(zone.getAttribute("data-zone"), null, null);
      }
    });
    face.addEventListener("keydown", function (event) {
      var zone = event.target.closest("[data-zone]");
      if (zone && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        addInjection(zone.getAttribute("data-zone"), null, null);
      }
    });
  }
  var customButton = document.querySelector("[data-custom-mode]");
  if (customButton) {
    customButton.addEventListener("click", function () { setCustomMode(!customMode); });
  }
  var addProductButton = document.querySelector("[data-add-product]");
  if (addProductButton) {
    addProductButton.addEventListener("click", addProduct);
  }

  // Saving -----------------------------------------------------------------------------

  // What the server accepts: rows still being written (no units, no name, an unlabelled
  // custom point) stay on this device until complete. `map` turns the server's row
  // indexes back into our row ids for the error messages.
  function payload() {
    var sentProducts = [];
    var productIds = {};
    var map = { products: [], injections: [] };
    content.products.forEach(function (p) {
      if ((p.name || "").trim()) {
        sentProducts.push(p);
        productIds[p.id] = true;
        map.products.push(p.id);
      }
    });
    var sentInjections = [];
    content.injections.forEach(function (r) {
      if (String(r.units || "").trim() === "" || (r.zone === "custom" && !(r.label || "").trim())) {
        return;
      }
      var copy = Object.assign({}, r);
      if (copy.product_id && !productIds[copy.product_id]) {
        copy.product_id = "";
      }
      if (copy.zone !== "custom") {
        copy.x = null;
        copy.y = null;
      }
      sentInjections.push(copy);
      map.injections.push(r.id);
    });
    var pending = content.products.length - sentProducts.length + content.injections.length - sentInjections.length;
    return {
      body: {
        version: version,
        content: {
          fields: content.fields,
          products: sentProducts,
          injections: sentInjections,
          aftercare: content.aftercare,
          notes: content.notes,
        },
      },
      map: map,
      pending: pending,
    };
  }

  function clearErrors() {
    root.querySelectorAll("[data-error-for]").forEach(function (list) { list.textContent = ""; });
    root.querySelectorAll('[aria-invalid="true"]').forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  function showErrors(fields, map) {
    clearErrors();
    var unplaced = [];
    Object.keys(fields || {}).forEach(function (path) {
      var parts = path.split(".");
      if ((parts[0] === "products" || parts[0] === "injections") && /^\d+$/.test(parts[1] || "")) {
        parts[1] = map[parts[0]][parseInt(parts[1], 10)] || parts[1];
      }
      if (parts[0] === "content") {
        parts.shift();
      }
      var target = root.querySelector('[data-error-for="' + parts.join(".") + '"]');
      if (target) {
        target.appendChild(el("li", { text: fields[path] }));
        var input = document.querySelector('[aria-describedby~="' + target.id + '"]');
        if (input) {
          input.setAttribute("aria-invalid", "true");
        }
      } else {
        unplaced.push(fields[path]);
      }
    });
    return unplaced;
  }

  function retryLater() {
    state.retries += 1;
    var wait = Math.min(MAX_BACKOFF, 2000 * Math.pow(2, state.retries - 1));
    setStatus("Offline — will retry", "offline");
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(save, wait);
  }

  function save() {
    clearTimeout(state.timer);
    if (state.stopped) {
      return Promise.resolve(false);
    }
    if (state.saving) {
      state.timer = setTimeout(save, DEBOUNCE);
      return state.saving;
    }
    var sent = payload();
    var editsAtSend = state.edits;
    var baseVersion = version;
    setStatus("Saving…", "saving");
    state.saving = fetch(data.api_url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(sent.body),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () { return {}; })
          .then(function (body) { return { status: response.status, body: body }; });
      })
      .then(
        function (result) {
          state.saving = false;
          if (result.status === 200) {
            state.retries = 0;
            version = result.body.version;
            dropLocal(baseVersion);
            clearErrors();
            if (state.edits !== editsAtSend) {
              keepLocal();
              state.timer = setTimeout(save, DEBOUNCE);
              setStatus("Unsaved changes", "pending");
            } else {
              state.dirty = sent.pending > 0;
              if (state.dirty) {
                keepLocal();
              }
              setStatus(sent.pending ? "Saved — incomplete rows kept on this device" : "Saved", "saved");
            }
            document.body.dispatchEvent(new CustomEvent("chart-saved", { bubbles: true }));
            return true;
          }
          if (result.status === 409) {
            state.stopped = true;
            var banner = document.querySelector("[data-conflict]");
            if (banner) {
              banner.hidden = false;
              banner.scrollIntoView({ block: "center" });
            }
            setStatus("Not saved — updated on another device", "error");
            return false;
          }
          if (result.status === 422) {
            var unplaced = showErrors(result.body.fields, sent.map);
            setStatus(
              "Not saved — " + (unplaced.length ? unplaced.join(" ") : "check the highlighted fields"),
              "error"
            );
            return false;
          }
          if (result.status === 401 || result.status === 403) {
            state.stopped = true;
            setStatus(
              result.status === 401
                ? "Not saved — your session ended; sign in again (your edits are kept on this device)"
                : "Not saved — " + (result.body.detail || "you may not edit this chart"),
              "error"
            );
            return false;
          }
          retryLater();
          return false;
        },
        function () {
          state.saving = false;
          retryLater();
          return false;
        }
      );
    return state.saving;
  }

  window.addEventListener("online", function () {
    if (state.dirty && !state.saving) {
      state.retries = 0;
      save();
    }
  });

  // The optional drawn signature: pointer strokes on a canvas, sent as a PNG data URL.
  var pad = document.querySelector("[data-signature-pad]");
  if (pad) {
    var field = pad.querySelector("input[name=signature_image]");
    var signature = window.Medspa.signaturePad(pad.querySelector("[data-signature-canvas]"), function (image) {
      field.value = image;
    });
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      signature.clear();
      field.value = "";
    });
    pad.setAttribute("data-ready", "");
  }

  // Signing and discarding wait for the last edits to reach the server first.
  var signForm = document.querySelector("[data-sign-form]");
  if (signForm) {
    signForm.addEventListener("submit", function (event) {
      if (!state.dirty && !state.saving) {
        return;
      }
      event.preventDefault();
      var blocked = signForm.querySelector("[data-sign-blocked]");
      Promise.resolve(state.saving)
        .then(function () { return state.dirty ? save() : true; })
        .then(function (ok) {
          var pending = payload().pending;
          if (ok && !pending) {
            signForm.submit();
          } else if (blocked) {
            blocked.hidden = false;
            blocked.textContent = pending
              ? "Finish or remove the incomplete rows (units, product names) before signing."
              : "The latest changes are not saved yet; fix the problem shown above, then sign.";
          }
        });
    });
  }
  document.querySelectorAll("form[data-clear-local]").forEach(function (form) {
    form.addEventListener("submit", function () {
      state.stopped = true;
      localCopies().forEach(function (copy) { dropLocal(copy.version); });
    });
  });

  // The checklist is refreshed by htmx after each save; show the reason box when items are missing.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var list = document.getElementById("chart-checklist");
    var box = document.querySelector("[data-override]");
    if (list && box && event.detail.target && event.detail.target.id === "chart-checklist") {
      box.hidden = list.getAttribute("data-missing") === "0";
    }
  });

  // Start ------------------------------------------------------------------------------

  function renderAll() {
    writeFields();
    renderProducts();
    renderInjections();
    renderFace();
    renderTotals();
  }

  renderAll();
  var loading = document.querySelector("[data-editor-loading]");
  if (loading) {
    loading.remove();
  }
  setStatus("All changes saved", "saved");

  // Unsaved edits from an earlier visit: same version → carry on with them; an older
  // version (another device saved since) → offer to restore them on top.
  localCopies().forEach(function (copy) {
    var stored;
    try {
      stored = JSON.parse(localStorage.getItem(copy.key));
    } catch (e) {
      stored = null;
    }
    if (!stored || !stored.content) {
      dropLocal(copy.version);
      return;
    }
    if (copy.version === version) {
      content = normalise(stored.content);
      renderAll();
      changed();
      setStatus("Restored unsaved edits from this device — saving…", "pending");
      return;
    }
    var banner = document.querySelector("[data-restore]");
    if (!banner) {
      return;
    }
    banner.hidden = false;
    var when = banner.querySelector("[data-restore-when]");
    if (when) {
      when.textContent = new Date(stored.at).toLocaleString();
    }
    banner.querySelector("[data-restore-apply]").addEventListener("click", function () {
      dropLocal(copy.version);
      content = normalise(stored.content);
      renderAll();
      changed();
      banner.hidden = true;
    });
    banner.querySelector("[data-restore-discard]").addEventListener("click", function () {
      dropLocal(copy.version);
      banner.hidden = true;
    });
  });
})();
