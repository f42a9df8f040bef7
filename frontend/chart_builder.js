// The chart template builder (settings): edits the template's sections and fields held as
// JSON in the form's hidden "sections" input, and draws a live preview of the chart as the
// provider will see it. Vanilla JS, no inline handlers (CSP): one delegated listener per
// event on the form. The server validates everything again (validate_sections).
(function () {
  "use strict";

  var CHOICE = { select: true, multiselect: true };
  var STRUCTURED = { face_chart: "Face chart diagram", products: "Products and lots table", photos: "Photo set", signature: "Signature pad" };

  var el = window.Medspa.el;


  function slug(text) {
    var key = String(text || "")
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 40);
    if (!key) key = "field";
    if (!/^[a-z]/.test(key)) key = "f_" + key;
    return key;
  }

  function init(form) {
    var input = form.querySelector("#builder-sections");
    var editor = form.querySelector("#builder-editor");
    var preview = form.querySelector("#builder-preview");
    var types = JSON.parse(form.querySelector("#builder-field-types").value);
    var typeLabels = {};
    types.forEach(function (t) {
      typeLabels[t.value] = t.label;
    });
    var sections;
    try {
      sections = JSON.parse(input.value || "[]");
    } catch (e) {
      sections = [];
    }
    if (!Array.isArray(sections)) sections = [];
    sections.forEach(function (section) {
      if (!Array.isArray(section.fields)) section.fields = [];
    });

    function usedKeys(except) {
      var keys = {};
      sections.forEach(function (s) {
        s.fields.forEach(function (f) {
          if (f !== except) keys[f.key] = true;
        });
      });
      return keys;
    }

    function uniqueKey(base, field) {
      var keys = usedKeys(field);
      var key = base;
      var n = 2;
      while (keys[key]) {
        key = base.slice(0, 44) + "_" + n;
        n += 1;
      }
      return key;
    }

    function save() {
      input.value = JSON.stringify(
        sections.map(function (s) {
          return {
            key: s.key || "",
            title: s.title || "",
            fields: s.fields.map(function (f) {
              return {
                key: f.key,
                label: f.label || "",
                type: f.type,
                required: !!f.required,
                unit: f.unit || "",
                options: CHOICE[f.type] ? f.options || [] : [],
                help: f.help || "",
              };
            }),
          };
        })
      );
      drawPreview();
    }

    function iconButton(label, action, s, f, disabled) {
      return el("button", {
        type: "button",
        className: "btn btn-ghost btn-sm min-h-11 min-w-11",
        "data-builder-action": action,
        "data-s": s,
        "data-f": f === undefined ? null : f,
        "aria-label": label,
        disabled: !!disabled,
        text: { up: "↑", down: "↓", remove: "✕" }[action.split("-").pop()] || label,
      });
    }

    function textInput(id, label, value, attrs) {
      var box = el("div", { className: "field" }, [
        el("label", { for: id, className: "field-label", text: label }),
        el("input", Object.assign({ type: "text", id: id, value: value || "", className: "form-control" }, attrs)),
      ]);
      return box;
    }

    function fieldEditor(field, s, f, count) {
      var id = "b-" + s + "-" + f;
      var typeSelect = el(
        "select",
        { id: id + "-type", className: "form-control", "data-bind": "type", "data-s": s, "data-f": f },
        types.map(function (t) {
          return el("option", { value: t.value, selected: t.value === field.type, text: t.label });
        })
      );
      var grid = el("div", { className: "grid gap-3 sm:grid-cols-2" }, [
        textInput(id + "-label", "Label", field.label, { "data-bind": "label", "data-s": s, "data-f": f, maxlength: "160" }),
        el("div", { className: "field" }, [el("label", { for: id + "-type", className: "field-label", text: "Type" }), typeSelect]),
        textInput(id + "-unit", "Unit (optional)", field.unit, { "data-bind": "unit", "data-s": s, "data-f": f, maxlength: "20" }),
        textInput(id + "-help", "Help (optional)", field.help, { "data-bind": "help", "data-s": s, "data-f": f, maxlength: "300" }),
      ]);
      if (CHOICE[field.type]) {
        grid.appendChild(
          el("div", { className: "field sm:col-span-2" }, [
            el("label", { for: id + "-options", className: "field-label", text: "Options (one per line)" }),
            el("textarea", { id: id + "-options", rows: "3", className: "form-control", "data-bind": "options", "data-s": s, "data-f": f }, [
              (field.options || []).join("\n"),
            ]),
          ])
        );
      }
      var required = el("div", { className: "field-check-row" }, [
        el("input", { type: "checkbox", id: id + "-required", "data-bind": "required", "data-s": s, "data-f": f, checked: !!field.required }),
        el("label", { for: id + "-required", className: "field-label", text: "Required" }),
      ]);
      return el("li", { className: "rounded-lg border border-slate-200 p-3" }, [
        el("div", { className: "mb-2 flex items-center justify-between gap-2" }, [
          el("p", { className: "text-xs text-slate-500" }, ["Field " + (f + 1) + " · key ", el("code", { className: "font-mono", "data-key-of": id, text: field.key })]),
          el("div", { className: "flex gap-1" }, [
            iconButton("Move field " + (f + 1) + " up", "field-up", s, f, f === 0),
            iconButton("Move field " + (f + 1) + " down", "field-down", s, f, f === count - 1),
            iconButton("Remove field " + (f + 1), "field-remove", s, f),
          ]),
        ]),
        grid,
        el("div", { className: "mt-3" }, [required]),
      ]);
    }

    function drawEditor(focusSelector) {
      editor.textContent = "";
      if (!sections.length) {
        editor.appendChild(el("p", { className: "rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500", text: "No sections yet. Add one to start." }));
      }
      sections.forEach(function (section, s) {
        var fields = el(
          "ol",
          { className: "space-y-3", role: "list" },
          section.fields.map(function (field, f) {
            return fieldEditor(field, s, f, section.fields.length);
          })
        );
        editor.appendChild(
          el("fieldset", { className: "card" }, [
            el("div", { className: "card-body space-y-3" }, [
              el("legend", { className: "sr-only", text: "Section " + (s + 1) }),
              el("div", { className: "flex items-end gap-2" }, [
                el("div", { className: "min-w-0 flex-1" }, [
                  textInput("b-" + s + "-title", "Section " + (s + 1) + " title", section.title, { "data-bind": "title", "data-s": s, maxlength: "120" }),
                ]),
                iconButton("Move section " + (s + 1) + " up", "section-up", s, undefined, s === 0),
                iconButton("Move section " + (s + 1) + " down", "section-down", s, undefined, s === sections.length - 1),
                iconButton("Remove section " + (s + 1), "section-remove", s),
              ]),
              fields,
              el("button", { type: "button", className: "btn btn-secondary btn-sm", "data-builder-action": "add-field", "data-s": s, text: "+ Add field" }),
            ]),
          ])
        );
      });
      save();
      if (focusSelector) {
        var target = editor.querySelector(focusSelector);
        if (target && !target.disabled) target.focus();
      }
    }

    function previewField(field, s, f) {
      var id = "p-" + s + "-" + f;
      var label = el("label", { for: id, className: "field-label" }, [
        el("span", { text: (field.label || "Untitled field") + (field.unit ? " (" + field.unit + ")" : "") }),
        field.required ? el("span", { className: "text-rose-600", text: " *" }) : null,
      ]);
      var control;
      if (STRUCTURED[field.type]) {
        control = el("div", { id: id, className: "rounded-lg border border-dashed border-slate-300 p-4 text-center text-sm text-slate-500", text: STRUCTURED[field.type] });
      } else if (field.type === "long_text") {
        control = el("textarea", { id: id, rows: "2", className: "form-control", disabled: true });
      } else if (field.type === "checkbox") {
        return el("div", { className: "field-check-row" }, [el("input", { type: "checkbox", id: id, disabled: true }), label]);
      } else if (field.type === "select") {
        control = el(
          "select",
          { id: id, className: "form-control", disabled: true },
          [el("option", { text: "Choose…" })].concat(
            (field.options || []).map(function (o) {
              return el("option", { text: o });
            })
          )
        );
      } else if (field.type === "multiselect") {
        control = el(
          "div",
          { id: id, className: "flex flex-wrap gap-2" },
          (field.options || []).map(function (o) {
            return el("span", { className: "badge badge-neutral", text: o });
          })
        );
      } else {
        var kind = { number: "number", date: "date" }[field.type] || "text";
        control = el("input", { type: kind, id: id, className: "form-control", disabled: true });
      }
      return el("div", { className: "field" }, [
        label,
        control,
        field.help ? el("div", { className: "field-help", text: field.help }) : null,
      ]);
    }

    function drawPreview() {
      preview.textContent = "";
      if (!sections.length) {
        preview.appendChild(el("p", { className: "text-sm text-slate-500", text: "The preview appears as you add sections." }));
        return;
      }
      sections.forEach(function (section, s) {
        preview.appendChild(
          el("div", { className: "space-y-3" }, [
            el("h3", { className: "text-sm font-semibold text-slate-900", text: section.title || "Untitled section" }),
          ].concat(
            section.fields.map(function (field, f) {
              return previewField(field, s, f);
            })
          ))
        );
      });
    }

    function move(list, from, to) {
      if (to < 0 || to >= list.length) return;
      list.splice(to, 0, list.splice(from, 1)[0]);
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-builder-action]");
      if (!button) return;
      var action = button.getAttribute("data-builder-action");
      var s = parseInt(button.getAttribute("data-s"), 10);
      var f = parseInt(button.getAttribute("data-f"), 10);
      var focus = null;
      if (action === "add-section") {
        var n = sections.length + 1;
        sections.push({ key: "", title: "", fields: [] });
        var field = { key: uniqueKey("field", null), label: "", type: "short_text", required: false, unit: "", options: [], help: "", auto: true };
        sections[n - 1].fields.push(field);
        focus = "#b-" + (n - 1) + "-title";
      } else if (action === "add-field") {
        sections[s].fields.push({ key: uniqueKey("field", null), label: "", type: "short_text", required: false, unit: "", options: [], help: "", auto: true });
        focus = "#b-" + s + "-" + (sections[s].fields.length - 1) + "-label";
      } else if (action === "section-up" || action === "section-down") {
        var to = action === "section-up" ? s - 1 : s + 1;
        move(sections, s, to);
        focus = '[data-builder-action="' + action + '"][data-s="' + to + '"]';
      } else if (action === "section-remove") {
        sections.splice(s, 1);
        focus = '[data-builder-action="add-section"]';
      } else if (action === "field-up" || action === "field-down") {
        var target = action === "field-up" ? f - 1 : f + 1;
        move(sections[s].fields, f, target);
        focus = '[data-builder-action="' + action + '"][data-s="' + s + '"][data-f="' + target + '"]';
      } else if (action === "field-remove") {
        sections[s].fields.splice(f, 1);
        focus = '[data-builder-action="add-field"][data-s="' + s + '"]';
      } else {
        return;
      }
      event.preventDefault();
      drawEditor(focus);
      if (focus && focus.indexOf("add-section") !== -1) form.querySelector(focus).focus();
    });

    function bound(event) {
      var node = event.target;
      var bind = node.getAttribute && node.getAttribute("data-bind");
      if (!bind) return;
      var s = parseInt(node.getAttribute("data-s"), 10);
      var section = sections[s];
      if (bind === "title") {
        section.title = node.value;
        save();
        return;
      }
      var f = parseInt(node.getAttribute("data-f"), 10);
      var field = section.fields[f];
      if (bind === "label") {
        field.label = node.value;
        // New fields take their key from the label; existing keys stay (answers live under them).
        if (field.auto) {
          field.key = uniqueKey(slug(node.value), field);
          var shown = editor.querySelector('[data-key-of="b-' + s + "-" + f + '"]');
          if (shown) shown.textContent = field.key;
        }
      } else if (bind === "required") {
        field.required = node.checked;
      } else if (bind === "options") {
        field.options = node.value
          .split("\n")
          .map(function (o) {
            return o.trim();
          })
          .filter(Boolean);
      } else if (bind === "type") {
        field.type = node.value;
        drawEditor("#" + node.id);
        return;
      } else {
        field[bind] = node.value;
      }
      save();
    }

    form.addEventListener("input", bound);
    form.addEventListener("change", bound);
    form.addEventListener("submit", save);
    drawEditor(null);
    var errors = form.querySelector("[data-builder-errors]");
    if (errors) errors.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart-builder]"), init);
  });
})();
