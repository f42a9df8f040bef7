// The form builder (settings): edits a form's definition held as JSON in the form's hidden
// "definition" input — sections, fields and their "Show only when…" conditions — and draws
// the form as the patient sees it in a phone-sized preview, with the conditions live. The
// same preview (alone) shows a published version; the requirement rows get add/remove
// buttons. Vanilla JS, no inline handlers (CSP): delegated listeners on the form. The
// server validates everything again (definition_clean) and names the place of a problem
// ("sections.0.fields.2.options"), shown here next to that section or field.
(function () {
  "use strict";

  var CHOICE = { single_choice: true, multi_choice: true, checkbox_list: true };
  var LIST = { multi_choice: true, checkbox_list: true };
  var NO_ANSWER = { note: true, signature: true };
  var PARAGRAPH = { acknowledgement: true, note: true };
  var TEXT = { short_text: true, long_text: true };
  var MAX_DEPTH = 2; // groups inside the top group: one level of nesting in the editor

  var el = window.Medspa.el;


  function slug(text, fallback) {
    var key = String(text || "")
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 40);
    if (!key) key = fallback;
    if (!/^[a-z]/.test(key)) key = "f_" + key;
    return key;
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  // Conditions: the same rules as medspa.consents.definition.evaluate / visible_keys. -----

  function decimal(value) {
    if (value === null || value === undefined || typeof value === "boolean") return null;
    var text = String(value).trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
    return parseFloat(text);
  }

  function same(answer, value) {
    if (Array.isArray(answer)) {
      return answer.some(function (a) {
        return same(a, value);
      });
    }
    var a = decimal(answer);
    var v = decimal(value);
    if (a !== null && v !== null) return a === v;
    return String(answer).trim().toLowerCase() === String(value).trim().toLowerCase();
  }

  function evaluate(condition, answers) {
    if (!condition) return true;
    if (condition.all) {
      return condition.all.every(function (c) {
        return evaluate(c, answers);
      });
    }
    if (condition.any) {
      return condition.any.some(function (c) {
        return evaluate(c, answers);
      });
    }
    if ("not" in condition) return !evaluate(condition.not, answers);
    var answer = Object.prototype.hasOwnProperty.call(answers, condition.field) ? answers[condition.field] : null;
    var op = condition.op;
    var value = condition.value;
    if (op === "answered") return answer !== null;
    if (op === "not_equals") return answer === null || !same(answer, value);
    if (answer === null) return false;
    if (op === "equals") return same(answer, value);
    if (op === "in") {
      return (Array.isArray(value) ? value : []).some(function (v) {
        return same(answer, v);
      });
    }
    if (op === "contains") {
      if (Array.isArray(answer)) return same(answer, value);
      return String(answer).toLowerCase().indexOf(String(value).toLowerCase()) !== -1;
    }
    var number = decimal(answer);
    var limit = decimal(value);
    if (number === null || limit === null) return false;
    return op === "gt" ? number > limit : number < limit;
  }

  // Which sections (by index) and fields (by key) show for the answers; a hidden field's
  // answer never counts for the conditions after it.
  function visibility(definition, answers) {
    var seen = {};
    var sections = {};
    var fields = {};
    definition.sections.forEach(function (section, s) {
      if (!evaluate(section.show_if, seen)) return;
      sections[s] = true;
      section.fields.forEach(function (field) {
        if (!evaluate(field.show_if, seen)) return;
        fields[field.key] = true;
        var value = answers[field.key];
        if (value !== undefined && value !== null && !NO_ANSWER[field.type]) seen[field.key] = value;
      });
    });
    return { sections: sections, fields: fields };
  }

  // The preview: the form as the patient sees it. ------------------------------------------

  function Preview(root, sandbox) {
    this.root = root;
    this.sandbox = sandbox; // the form the preview's controls belong to (never the builder's)
    this.answers = {};
    this.definition = { sections: [] };
    this.title = "";
    var self = this;
    root.addEventListener("input", function (event) {
      self.read(event.target);
    });
    root.addEventListener("change", function (event) {
      self.read(event.target);
    });
  }

  Preview.prototype.control = function (tag, attrs, children) {
    if (this.sandbox) attrs.form = this.sandbox;
    return el(tag, attrs, children);
  };

  Preview.prototype.choices = function (field, id, kind, options) {
    var self = this;
    var answer = this.answers[field.key];
    return el(
      "div",
      { className: kind === "scale" ? "flex flex-wrap gap-2" : "choice-list" },
      options.map(function (option, i) {
        var value = String(option.value);
        var checked = Array.isArray(answer) ? answer.indexOf(value) !== -1 : answer === value;
        var box = self.control("input", {
          type: kind === "checkbox" ? "checkbox" : "radio",
          id: id + "-" + i,
          name: id,
          value: value,
          checked: checked,
          "data-answer": field.key,
          "data-kind": kind,
        });
        return el(
          "label",
          {
            for: id + "-" + i,
            className:
              kind === "scale" ? "flex items-center gap-1 rounded-lg border border-slate-200 px-2.5 py-2 text-sm" : "",
          },
          [box, " " + option.label],
        );
      }),
    );
  };

  Preview.prototype.field = function (field, s, f) {
    var id = "pv-" + s + "-" + f;
    var type = field.type;
    var title = field.label || (type === "note" ? "" : "Untitled question");
    var star = field.required && type !== "note" ? el("span", { className: "text-rose-600", text: " *" }) : null;
    var help = field.help ? el("p", { className: "field-help", text: field.help }) : null;
    var paragraph =
      PARAGRAPH[type] && field.text
        ? el("p", { className: "whitespace-pre-line text-sm leading-6 text-slate-700", text: field.text })
        : null;
    var answer = this.answers[field.key];
    var wrap = { className: "field min-w-0", "data-preview-field": field.key };
    if (type === "note") {
      return el("div", wrap, [
        el("div", { className: "rounded-lg bg-sky-50 p-3 ring-1 ring-sky-100" }, [
          title ? el("p", { className: "mb-1 text-sm font-semibold text-slate-900", text: title }) : null,
          paragraph,
        ]),
      ]);
    }
    if (type === "acknowledgement") {
      var tick = this.control("input", {
        type: "checkbox",
        id: id,
        checked: answer === true,
        "data-answer": field.key,
        "data-kind": "ack",
      });
      return el("div", wrap, [
        el("div", { className: "max-h-48 overflow-y-auto rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" }, [
          paragraph,
        ]),
        el("div", { className: "field-check-row mt-2" }, [
          tick,
          el("label", { for: id, className: "field-label" }, [title, star]),
        ]),
        help,
      ]);
    }
    var legend = function (tag) {
      return el(tag, tag === "label" ? { for: id, className: "field-label" } : { className: "field-label" }, [
        el("span", { text: title }),
        star,
      ]);
    };
    if (type === "yes_no") {
      return el("fieldset", wrap, [
        legend("legend"),
        this.choices(field, id, "radio", [
          { value: "yes", label: "Yes" },
          { value: "no", label: "No" },
        ]),
        help,
      ]);
    }
    if (CHOICE[type]) {
      var options = (field.options || []).map(function (o) {
        return { value: o, label: o };
      });
      return el("fieldset", wrap, [
        legend("legend"),
        this.choices(field, id, LIST[type] ? "checkbox" : "radio", options),
        help,
      ]);
    }
    if (type === "scale") {
      var low = parseInt(field.min, 10);
      var high = parseInt(field.max, 10);
      if (isNaN(low)) low = 1;
      if (isNaN(high)) high = 10;
      if (high > low && high - low <= 10) {
        var steps = [];
        for (var n = low; n <= high; n += 1) steps.push({ value: String(n), label: String(n) });
        return el("fieldset", wrap, [legend("legend"), this.choices(field, id, "scale", steps), help]);
      }
      return el("div", wrap, [
        legend("label"),
        this.control("input", {
          type: "number",
          id: id,
          min: String(low),
          max: String(high),
          inputmode: "numeric",
          className: "form-control",
          value: answer || "",
          "data-answer": field.key,
        }),
        help,
      ]);
    }
    var control;
    if (type === "long_text") {
      control = this.control("textarea", { id: id, rows: "3", className: "form-control", "data-answer": field.key });
      control.value = answer || "";
    } else if (type === "signature") {
      control = el("div", {
        id: id,
        className:
          "flex h-24 items-end rounded-lg border border-dashed border-slate-300 bg-white p-3 text-xs text-slate-400",
        text: "Sign here with a finger, or type your name",
      });
    } else if (type === "file") {
      control = el("div", {
        id: id,
        className: "rounded-lg border border-dashed border-slate-300 p-4 text-center text-sm text-slate-500",
        text: "Take a photo or choose a file",
      });
    } else {
      var kind = { number: "number", date: "date" }[type] || "text";
      control = this.control("input", {
        type: kind,
        id: id,
        className: "form-control" + (type === "initials" ? " w-24" : ""),
        maxlength: type === "initials" ? "12" : null,
        inputmode: type === "number" ? "decimal" : null,
        value: answer || "",
        "data-answer": field.key,
      });
    }
    return el("div", wrap, [legend(control.tagName === "DIV" ? "p" : "label"), control, help]);
  };

  Preview.prototype.draw = function (definition, title) {
    var self = this;
    this.definition = definition;
    if (title !== undefined) this.title = title;
    this.root.textContent = "";
    var body = [el("h3", { className: "text-lg font-semibold text-slate-900", text: this.title || "Untitled form" })];
    if (!definition.sections.length) {
      body.push(el("p", { className: "text-sm text-slate-500", text: "The preview appears as you add sections." }));
    }
    definition.sections.forEach(function (section, s) {
      body.push(
        el(
          "section",
          { className: "space-y-4 border-t border-slate-100 pt-4", "data-preview-section": String(s) },
          [
            section.title
              ? el("h4", { className: "text-base font-semibold text-slate-900", text: section.title })
              : null,
          ].concat(
            section.fields.map(function (field, f) {
              return self.field(field, s, f);
            }),
          ),
        ),
      );
    });
    body.push(
      el("button", { type: "button", className: "btn btn-primary w-full", disabled: true, text: "Sign and submit" }),
    );
    this.root.appendChild(el("div", { className: "space-y-5" }, body));
    this.apply();
  };

  Preview.prototype.read = function (node) {
    var key = node.getAttribute && node.getAttribute("data-answer");
    if (!key) return;
    var kind = node.getAttribute("data-kind");
    var value;
    if (kind === "checkbox") {
      value = Array.prototype.map.call(
        this.root.querySelectorAll('[data-answer="' + key + '"]:checked'),
        function (box) {
          return box.value;
        },
      );
      if (!value.length) value = null;
    } else if (kind === "ack") {
      value = node.checked ? true : null;
    } else if (kind === "radio" || kind === "scale") {
      value = node.checked ? node.value : this.answers[key];
    } else {
      value = node.value.trim() ? node.value.trim() : null;
    }
    if (value === null || value === undefined) delete this.answers[key];
    else this.answers[key] = value;
    this.apply();
  };

  Preview.prototype.apply = function () {
    var shown = visibility(this.definition, this.answers);
    Array.prototype.forEach.call(this.root.querySelectorAll("[data-preview-section]"), function (node) {
      node.hidden = !shown.sections[node.getAttribute("data-preview-section")];
    });
    Array.prototype.forEach.call(this.root.querySelectorAll("[data-preview-field]"), function (node) {
      node.hidden = !shown.fields[node.getAttribute("data-preview-field")];
    });
  };

  // Conditions in the editor: a group {mode: all | any | none, items: [leaf | group]}. -------

  function toItem(condition) {
    if (condition && (condition.all || condition.any || "not" in condition)) return toGroup(condition);
    condition = condition || {};
    return {
      field: condition.field || "",
      op: condition.op || "equals",
      value: condition.value === undefined ? "" : condition.value,
    };
  }

  function toGroup(condition) {
    if (!condition || typeof condition !== "object") return null;
    if (condition.all) return { mode: "all", items: condition.all.map(toItem) };
    if (condition.any) return { mode: "any", items: condition.any.map(toItem) };
    if ("not" in condition) {
      var inner = condition.not;
      if (inner && inner.any) return { mode: "none", items: inner.any.map(toItem) };
      return { mode: "none", items: [toItem(inner)] };
    }
    return { mode: "all", items: [toItem(condition)] };
  }

  function fromItem(item) {
    if (item.items) return fromGroup(item);
    return { field: item.field, op: item.op, value: item.op === "answered" ? null : item.value };
  }

  function fromGroup(group) {
    if (!group) return null;
    var parts = group.items.map(fromItem).filter(Boolean);
    if (!parts.length) return null;
    if (group.mode === "none") return { not: parts.length === 1 ? parts[0] : { any: parts } };
    if (parts.length === 1) return parts[0];
    return group.mode === "any" ? { any: parts } : { all: parts };
  }

  function opsFor(type) {
    if (type === "yes_no") return ["equals", "not_equals", "answered"];
    if (type === "single_choice") return ["equals", "not_equals", "in", "answered"];
    if (LIST[type]) return ["contains", "answered"];
    if (type === "number" || type === "scale") return ["equals", "not_equals", "gt", "lt", "answered"];
    if (type === "date") return ["equals", "not_equals", "answered"];
    if (type === "acknowledgement" || type === "file") return ["answered"];
    return ["equals", "not_equals", "contains", "answered"];
  }

  // A new test compares with an answer the builder can offer (yes, the first option);
  // for free answers it starts as "is answered" until a value is typed.
  function defaultOp(type) {
    if (type === "yes_no" || CHOICE[type]) return opsFor(type)[0];
    return "answered";
  }

  function defaultValue(field, op) {
    if (op === "answered") return null;
    if (!field) return "";
    if (op === "in") return (field.options || []).slice(0, 1);
    if (field.type === "yes_no") return "yes";
    if (CHOICE[field.type]) return (field.options || [])[0] || "";
    return "";
  }

  // The builder. -------------------------------------------------------------------------

  function init(form) {
    var input = form.querySelector("#builder-definition");
    var editor = form.querySelector("#builder-editor");
    var status = form.querySelector("[data-builder-status]");
    var nameInput = form.querySelector('[name="name"]');
    var config = readJSON("builder-config") || {};
    var typeLabels = {};
    (config.types || []).forEach(function (t) {
      typeLabels[t.value] = t.label;
    });
    var opLabels = {};
    (config.ops || []).forEach(function (o) {
      opLabels[o.value] = o.label;
    });
    var preview = new Preview(document.getElementById("builder-preview"), "preview-sandbox");
    var dirty = false;

    var raw;
    try {
      raw = JSON.parse(input.value || "{}");
    } catch (e) {
      raw = {};
    }
    if (!raw || typeof raw !== "object") raw = {};
    var scoring = Array.isArray(raw.scoring) ? raw.scoring : [];
    var sections = (Array.isArray(raw.sections) ? raw.sections : []).map(function (section) {
      section = section && typeof section === "object" ? section : {};
      return {
        key: section.key || "",
        title: section.title || "",
        cond: toGroup(section.show_if),
        errors: {},
        auto: !section.key,
        fields: (Array.isArray(section.fields) ? section.fields : []).map(function (field) {
          field = field && typeof field === "object" ? field : {};
          return {
            key: field.key || "",
            label: field.label || "",
            type: field.type || "short_text",
            required: !!field.required,
            help: field.help || "",
            text: field.text || "",
            options: Array.isArray(field.options) ? field.options : [],
            min: field.min === undefined ? 1 : field.min,
            max: field.max === undefined ? 10 : field.max,
            permission: field.permission || "",
            profile: field.profile || "",
            cond: toGroup(field.show_if),
            errors: {},
            auto: !field.key,
          };
        }),
      };
    });

    // Problems the server found, attached to the section or field they name (so they move
    // with it): "sections.1.fields.2.options" -> field 2 of section 1, "options".
    var serverErrors = config.errors || {};
    Object.keys(serverErrors).forEach(function (path) {
      var parts = path.split(".");
      if (parts[0] !== "sections" || !/^\d+$/.test(parts[1] || "")) return;
      var section = sections[parseInt(parts[1], 10)];
      if (!section) return;
      if (parts[2] === "fields" && /^\d+$/.test(parts[3] || "") && section.fields[parseInt(parts[3], 10)]) {
        section.fields[parseInt(parts[3], 10)].errors[parts[4] || "field"] = serverErrors[path];
      } else {
        section.errors[parts[2] || "section"] = serverErrors[path];
      }
    });
    if (Object.keys(serverErrors).length || document.querySelector("[data-builder-errors]")) dirty = true;

    function allOwners() {
      var owners = [];
      sections.forEach(function (s) {
        owners.push(s);
        s.fields.forEach(function (f) {
          owners.push(f);
        });
      });
      return owners;
    }

    function eachLeaf(group, fn) {
      if (!group) return;
      group.items.forEach(function (item) {
        if (item.items) eachLeaf(item, fn);
        else fn(item);
      });
    }

    function uniqueKey(base, list, except) {
      var keys = {};
      list.forEach(function (item) {
        if (item !== except) keys[item.key] = true;
      });
      var key = base;
      var n = 2;
      while (keys[key]) {
        key = base.slice(0, 44) + "_" + n;
        n += 1;
      }
      return key;
    }

    function allFields() {
      var list = [];
      sections.forEach(function (s) {
        list = list.concat(s.fields);
      });
      return list;
    }

    function fieldByKey(key) {
      return allFields().filter(function (f) {
        return f.key === key;
      })[0];
    }

    // The answerable fields before a section (s, f undefined) or a field: what its condition may test.
    function earlier(s, f) {
      var list = [];
      sections.forEach(function (section, si) {
        section.fields.forEach(function (field, fi) {
          if (si < s || (si === s && f !== undefined && fi < f)) {
            if (!NO_ANSWER[field.type]) list.push(field);
          }
        });
      });
      return list;
    }

    function definition() {
      return {
        sections: sections.map(function (s) {
          return {
            key: s.key,
            title: s.title || "",
            show_if: fromGroup(s.cond),
            fields: s.fields.map(function (f) {
              var out = {
                key: f.key,
                label: f.label || "",
                type: f.type,
                required: !!f.required && f.type !== "note",
                help: f.help || "",
                text: PARAGRAPH[f.type] ? f.text || "" : "",
                options: CHOICE[f.type] ? f.options : [],
                show_if: fromGroup(f.cond),
              };
              if (f.type === "scale") {
                out.min = f.min;
                out.max = f.max;
              }
              if (f.type === "yes_no" && f.permission) out.permission = f.permission;
              if (TEXT[f.type] && f.profile) out.profile = f.profile;
              return out;
            }),
          };
        }),
        scoring: scoring,
      };
    }

    function changed() {
      dirty = true;
      sync();
    }

    function sync() {
      var value = definition();
      input.value = JSON.stringify(value);
      preview.draw(value, nameInput ? nameInput.value : "");
      if (status && dirty) status.textContent = "Unsaved changes — save the draft to keep them.";
      var trigger = document.querySelector("[data-publish-trigger]");
      if (trigger) trigger.disabled = dirty;
      var hint = document.querySelector("[data-publish-hint]");
      if (hint) hint.classList.toggle("hidden", !dirty);
    }

    // Editor widgets -----------------------------------------------------------------------

    function iconButton(label, action, data, disabled) {
      return el("button", {
        type: "button",
        className: "btn btn-ghost btn-sm min-h-11 min-w-11",
        "data-builder-action": action,
        "data-s": data.s,
        "data-f": data.f === undefined ? null : data.f,
        "data-path": data.path === undefined ? null : data.path,
        "aria-label": label,
        title: label,
        disabled: !!disabled,
        text: { up: "↑", down: "↓", remove: "✕" }[action.split("-").pop()] || label,
      });
    }

    function errorFor(id, message) {
      return message
        ? el("p", { id: id + "-error", className: "field-errors", role: "alert", "data-error-for": id, text: message })
        : null;
    }

    function control(kind, id, label, value, attrs, error, optional) {
      var wide = attrs.wide;
      attrs = Object.assign({}, attrs, { wide: null });
      var invalid = error ? { "aria-invalid": "true", "aria-describedby": id + "-error" } : {};
      var node;
      if (kind === "textarea") {
        node = el("textarea", Object.assign({ id: id, rows: "3", className: "form-control" }, attrs, invalid));
        node.value = value || "";
      } else {
        node = el(
          "input",
          Object.assign(
            {
              type: kind,
              id: id,
              value: value === null || value === undefined ? "" : String(value),
              className: "form-control",
            },
            attrs,
            invalid,
          ),
        );
      }
      return el("div", { className: "field" + (wide ? " sm:col-span-2" : "") }, [
        el("label", { for: id, className: "field-label" }, [
          el("span", { text: label }),
          optional ? el("span", { className: "field-optional", text: "Optional" }) : null,
        ]),
        node,
        errorFor(id, error),
      ]);
    }

    function select(id, label, value, options, attrs, error) {
      var invalid = error ? { "aria-invalid": "true", "aria-describedby": id + "-error" } : {};
      return el("div", { className: "field" }, [
        el("label", { for: id, className: "field-label", text: label }),
        el(
          "select",
          Object.assign({ id: id, className: "form-control" }, attrs, invalid),
          options.map(function (o) {
            return el("option", { value: o.value, selected: String(o.value) === String(value), text: o.label });
          }),
        ),
        errorFor(id, error),
      ]);
    }

    function leafEditor(leaf, ctx, path, choicesList) {
      var id = ctx.id + "-c" + path.replace(/\./g, "-");
      var data = { "data-s": ctx.s, "data-f": ctx.f === undefined ? null : ctx.f, "data-path": path };
      var target = fieldByKey(leaf.field);
      var known = choicesList.indexOf(target) !== -1;
      var fieldOptions = [{ value: "", label: "Choose a question…" }].concat(
        choicesList.map(function (f) {
          return { value: f.key, label: f.label || f.key };
        }),
      );
      if (leaf.field && !known) {
        fieldOptions.push({
          value: leaf.field,
          label: (target ? target.label || leaf.field : leaf.field) + " (not before this one)",
        });
      }
      var ops = opsFor(target ? target.type : "short_text");
      if (ops.indexOf(leaf.op) === -1) ops = ops.concat([leaf.op]);
      var valueBox = null;
      if (leaf.op !== "answered") {
        var valueAttrs = Object.assign({ "data-cond": "value" }, data);
        if (target && leaf.op === "in" && CHOICE[target.type]) {
          var chosen = Array.isArray(leaf.value) ? leaf.value : [];
          valueBox = el("fieldset", { className: "field min-w-0 sm:col-span-3" }, [
            el("legend", { className: "field-label", text: "Any of" }),
            el(
              "div",
              { className: "flex flex-wrap gap-x-4 gap-y-1" },
              target.options.map(function (option, i) {
                var boxId = id + "-in-" + i;
                return el("label", { for: boxId, className: "flex items-center gap-2 text-sm" }, [
                  el(
                    "input",
                    Object.assign(
                      {
                        type: "checkbox",
                        id: boxId,
                        value: option,
                        checked: chosen.indexOf(option) !== -1,
                        "data-cond": "value-in",
                      },
                      data,
                    ),
                  ),
                  option,
                ]);
              }),
            ),
          ]);
        } else if (target && (target.type === "yes_no" || (CHOICE[target.type] && leaf.op !== "in"))) {
          var values =
            target.type === "yes_no"
              ? [
                  { value: "yes", label: "Yes" },
                  { value: "no", label: "No" },
                ]
              : target.options.map(function (o) {
                  return { value: o, label: o };
                });
          if (
            leaf.value !== "" &&
            leaf.value !== null &&
            !values.some(function (v) {
              return String(v.value) === String(leaf.value);
            })
          ) {
            values.push({ value: String(leaf.value), label: String(leaf.value) + " (not an option)" });
          }
          valueBox = select(id + "-value", "Answer", leaf.value, values, valueAttrs);
        } else if (leaf.op === "in") {
          valueBox = control(
            "text",
            id + "-value",
            "Values (comma-separated)",
            Array.isArray(leaf.value) ? leaf.value.join(", ") : leaf.value,
            Object.assign({ "data-cond": "value-list" }, data),
          );
        } else {
          var numeric =
            target && (target.type === "number" || target.type === "scale" || leaf.op === "gt" || leaf.op === "lt");
          var kind = numeric ? "number" : target && target.type === "date" ? "date" : "text";
          valueBox = control(
            kind,
            id + "-value",
            "Value",
            leaf.value,
            Object.assign({ inputmode: numeric ? "decimal" : null, step: numeric ? "any" : null }, valueAttrs),
          );
        }
      }
      return el("li", { className: "rounded-lg bg-white p-2 ring-1 ring-slate-200", "data-cond-leaf": path }, [
        el(
          "div",
          {
            className:
              "grid grid-cols-1 gap-2 sm:grid-cols-[minmax(0,1.4fr)_minmax(0,1fr)_minmax(0,1fr)_auto] sm:items-end",
          },
          [
            select(id + "-field", "Question", leaf.field, fieldOptions, Object.assign({ "data-cond": "field" }, data)),
            select(
              id + "-op",
              "Compare",
              leaf.op,
              ops.map(function (op) {
                return { value: op, label: opLabels[op] || op };
              }),
              Object.assign({ "data-cond": "op" }, data),
            ),
            valueBox || el("div", { className: "hidden sm:block" }),
            iconButton("Remove this test", "cond-remove", { s: ctx.s, f: ctx.f, path: path }),
          ],
        ),
      ]);
    }

    function groupEditor(group, ctx, path, depth, choicesList) {
      var id = ctx.id + "-g" + (path || "top").replace(/\./g, "-");
      var data = { "data-s": ctx.s, "data-f": ctx.f === undefined ? null : ctx.f, "data-path": path };
      var modes = [
        { value: "all", label: "all of these are true" },
        { value: "any", label: "any of these is true" },
        { value: "none", label: "none of these is true" },
      ];
      var items = group.items.map(function (item, i) {
        var itemPath = path === "" ? String(i) : path + "." + i;
        if (item.items) {
          return el("li", { className: "rounded-lg border border-dashed border-slate-300 p-2" }, [
            el("div", { className: "mb-2 flex items-end justify-between gap-2" }, [
              select(
                id + "-" + i + "-mode",
                "This group holds when",
                item.mode,
                modes,
                Object.assign({ "data-cond": "mode" }, data, { "data-path": itemPath }),
              ),
              iconButton("Remove this group", "cond-remove", { s: ctx.s, f: ctx.f, path: itemPath }),
            ]),
            groupItems(item, ctx, itemPath, depth + 1, choicesList),
          ]);
        }
        return leafEditor(item, ctx, itemPath, choicesList);
      });
      if (depth === 0) {
        return el("div", { className: "space-y-2" }, [
          select(id + "-mode", "Show only when", group.mode, modes, Object.assign({ "data-cond": "mode" }, data)),
          el("ol", { className: "space-y-2", role: "list" }, items),
          addButtons(ctx, path, depth),
        ]);
      }
      return el("ol", { className: "space-y-2", role: "list" }, items);
    }

    function groupItems(group, ctx, path, depth, choicesList) {
      return el("div", { className: "space-y-2" }, [
        groupEditor(group, ctx, path, depth, choicesList),
        addButtons(ctx, path, depth),
      ]);
    }

    function addButtons(ctx, path, depth) {
      var data = { "data-s": ctx.s, "data-f": ctx.f === undefined ? null : ctx.f, "data-path": path };
      return el("div", { className: "flex flex-wrap gap-2" }, [
        el(
          "button",
          Object.assign(
            {
              type: "button",
              className: "btn btn-ghost btn-sm",
              "data-builder-action": "cond-add-test",
              text: "+ Test",
            },
            data,
          ),
        ),
        depth + 1 < MAX_DEPTH
          ? el(
              "button",
              Object.assign(
                {
                  type: "button",
                  className: "btn btn-ghost btn-sm",
                  "data-builder-action": "cond-add-group",
                  text: "+ Group",
                },
                data,
              ),
            )
          : null,
      ]);
    }

    function conditionEditor(owner, ctx, error) {
      var choicesList = earlier(ctx.s, ctx.f);
      var data = { "data-s": ctx.s, "data-f": ctx.f === undefined ? null : ctx.f };
      var errorNode = errorFor(ctx.id + "-show_if", error);
      if (!owner.cond) {
        return el("div", { className: "space-y-1", "data-condition-of": ctx.id }, [
          el(
            "button",
            Object.assign(
              {
                type: "button",
                className: "btn btn-ghost btn-sm",
                "data-builder-action": "cond-add",
                disabled: !choicesList.length,
                title: choicesList.length ? null : "Only an earlier question can decide whether this shows.",
                text: "+ Show only when…",
              },
              data,
            ),
          ),
          errorNode,
        ]);
      }
      return el(
        "div",
        { className: "space-y-2 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200", "data-condition-of": ctx.id },
        [
          el("div", { className: "flex items-center justify-between gap-2" }, [
            el("p", { className: "text-xs font-medium tracking-wide text-slate-500 uppercase", text: "Condition" }),
            el(
              "button",
              Object.assign(
                {
                  type: "button",
                  className: "btn btn-ghost btn-sm",
                  "data-builder-action": "cond-clear",
                  text: "Always show",
                },
                data,
              ),
            ),
          ]),
          groupEditor(owner.cond, ctx, "", 0, choicesList),
          errorNode,
        ],
      );
    }

    function fieldEditor(field, s, f, count) {
      var id = "b-" + s + "-" + f;
      var data = { "data-s": s, "data-f": f };
      var bind = function (name, extra) {
        return Object.assign({ "data-bind": name }, data, extra || {});
      };
      var errors = field.errors;
      var grid = el("div", { className: "grid grid-cols-1 gap-3 sm:grid-cols-2" }, [
        control(
          "text",
          id + "-label",
          field.type === "note" ? "Heading" : field.type === "acknowledgement" ? "Checkbox label" : "Question",
          field.label,
          bind("label", { maxlength: "300", wide: true }),
          errors.label,
          field.type === "note",
        ),
        select(
          id + "-type",
          "Type",
          field.type,
          (config.types || []).map(function (t) {
            return { value: t.value, label: t.label };
          }),
          bind("type"),
          errors.type,
        ),
      ]);
      if (PARAGRAPH[field.type]) {
        grid.appendChild(
          control(
            "textarea",
            id + "-text",
            field.type === "note" ? "Information shown" : "Paragraph the patient reads",
            field.text,
            bind("text", { rows: "4", maxlength: "20000", wide: true }),
            errors.text,
          ),
        );
      }
      if (CHOICE[field.type]) {
        grid.appendChild(
          control(
            "textarea",
            id + "-options",
            "Options (one per line)",
            (field.options || []).join("\n"),
            bind("options", { rows: "3", wide: true }),
            errors.options,
          ),
        );
      }
      if (field.type === "scale") {
        grid.appendChild(
          control(
            "number",
            id + "-min",
            "Lowest value",
            field.min,
            bind("min", { inputmode: "numeric", step: "1" }),
            errors.min,
          ),
        );
        grid.appendChild(
          control(
            "number",
            id + "-max",
            "Highest value",
            field.max,
            bind("max", { inputmode: "numeric", step: "1" }),
            errors.max,
          ),
        );
      }
      if (field.type === "yes_no") {
        grid.appendChild(
          select(
            id + "-permission",
            "“Yes” grants the photo permission",
            field.permission,
            [{ value: "", label: "None" }].concat(config.permissions || []),
            bind("permission"),
            errors.permission,
          ),
        );
      }
      if (TEXT[field.type]) {
        grid.appendChild(
          select(
            id + "-profile",
            "Offer the answer to the profile as",
            field.profile,
            [{ value: "", label: "Nothing" }].concat(config.profiles || []),
            bind("profile"),
            errors.profile,
          ),
        );
      }
      if (field.type !== "note") {
        grid.appendChild(
          control("text", id + "-help", "Help", field.help, bind("help", { maxlength: "1000" }), errors.help, true),
        );
      }
      var required =
        field.type === "note"
          ? null
          : el("div", { className: "field-check-row" }, [
              el(
                "input",
                Object.assign(
                  { type: "checkbox", id: id + "-required", checked: !!field.required, className: "checkbox" },
                  bind("required"),
                ),
              ),
              el("label", { for: id + "-required", className: "field-label", text: "Required" }),
            ]);
      var other = Object.keys(errors)
        .filter(function (name) {
          return (
            ["label", "type", "text", "options", "min", "max", "permission", "profile", "help", "show_if"].indexOf(
              name,
            ) === -1
          );
        })
        .map(function (name) {
          return errorFor(id + "-" + name, errors[name]);
        });
      return el(
        "li",
        {
          className: "rounded-lg border p-3 " + (Object.keys(errors).length ? "border-red-300" : "border-slate-200"),
          "data-builder-field": field.key,
        },
        [
          el("div", { className: "mb-2 flex items-center justify-between gap-2" }, [
            el("p", { className: "min-w-0 truncate text-xs text-slate-500" }, [
              "Field " + (f + 1) + " · ",
              el("span", { text: typeLabels[field.type] || field.type }),
              " · key ",
              el("code", { className: "font-mono", "data-key-of": id, text: field.key }),
            ]),
            el("div", { className: "flex shrink-0 gap-1" }, [
              iconButton("Move field " + (f + 1) + " up", "field-up", { s: s, f: f }, f === 0),
              iconButton("Move field " + (f + 1) + " down", "field-down", { s: s, f: f }, f === count - 1),
              iconButton("Remove field " + (f + 1), "field-remove", { s: s, f: f }),
            ]),
          ]),
          el(
            "div",
            { className: "space-y-3" },
            [grid, required].concat(other, [conditionEditor(field, { s: s, f: f, id: id }, errors.show_if)]),
          ),
        ],
      );
    }

    function drawEditor(focusSelector) {
      editor.textContent = "";
      if (!sections.length) {
        editor.appendChild(
          el("p", {
            className: "rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500",
            text: "No sections yet. Add one to start.",
          }),
        );
      }
      sections.forEach(function (section, s) {
        var id = "b-" + s;
        var errors = section.errors;
        var other = Object.keys(errors)
          .filter(function (name) {
            return name !== "title" && name !== "show_if";
          })
          .map(function (name) {
            return errorFor(id + "-" + name, errors[name]);
          });
        editor.appendChild(
          el("fieldset", { className: "card min-w-0", "data-builder-section": section.key }, [
            el(
              "div",
              { className: "card-body space-y-3" },
              [
                el("legend", { className: "sr-only", text: "Section " + (s + 1) }),
                el("div", { className: "flex items-end gap-2" }, [
                  el("div", { className: "min-w-0 flex-1" }, [
                    control(
                      "text",
                      id + "-title",
                      "Section " + (s + 1) + " title",
                      section.title,
                      { "data-bind": "title", "data-s": s, maxlength: "200" },
                      errors.title,
                      true,
                    ),
                  ]),
                  iconButton("Move section " + (s + 1) + " up", "section-up", { s: s }, s === 0),
                  iconButton("Move section " + (s + 1) + " down", "section-down", { s: s }, s === sections.length - 1),
                  iconButton("Remove section " + (s + 1), "section-remove", { s: s }),
                ]),
                el("p", { className: "text-xs text-slate-500" }, [
                  "Section key ",
                  el("code", { className: "font-mono", "data-key-of": id, text: section.key }),
                ]),
              ]
                .concat(other)
                .concat([
                  conditionEditor(section, { s: s, id: id }, errors.show_if),
                  el(
                    "ol",
                    { className: "space-y-3", role: "list" },
                    section.fields.map(function (field, f) {
                      return fieldEditor(field, s, f, section.fields.length);
                    }),
                  ),
                  el("button", {
                    type: "button",
                    className: "btn btn-secondary btn-sm",
                    "data-builder-action": "add-field",
                    "data-s": s,
                    text: "+ Add field",
                  }),
                ]),
            ),
          ]),
        );
      });
      sync();
      if (focusSelector) {
        var target = form.querySelector(focusSelector);
        if (target && !target.disabled) target.focus();
      }
    }

    function move(list, from, to) {
      if (to < 0 || to >= list.length) return;
      list.splice(to, 0, list.splice(from, 1)[0]);
    }

    function ownerOf(node) {
      var s = parseInt(node.getAttribute("data-s"), 10);
      var fAttr = node.getAttribute("data-f");
      var section = sections[s];
      if (!section) return null;
      if (fAttr === null || fAttr === "") return { owner: section, s: s, f: undefined };
      var f = parseInt(fAttr, 10);
      return section.fields[f] ? { owner: section.fields[f], s: s, f: f } : null;
    }

    // The group or leaf at a dotted path inside an owner's condition, with its parent group.
    function condAt(owner, path) {
      var node = owner.cond;
      var parent = null;
      var index = -1;
      if (path === "" || path === null) return { node: node, parent: null, index: -1 };
      path.split(".").forEach(function (part) {
        parent = node;
        index = parseInt(part, 10);
        node = parent && parent.items ? parent.items[index] : null;
      });
      return { node: node, parent: parent, index: index };
    }

    function newLeaf(s, f) {
      var choicesList = earlier(s, f);
      var target = choicesList[choicesList.length - 1];
      if (!target) return { field: "", op: "equals", value: "" };
      var op = defaultOp(target.type);
      return { field: target.key, op: op, value: defaultValue(target, op) };
    }

    function newField() {
      return {
        key: uniqueKey("question", allFields(), null),
        label: "",
        type: "short_text",
        required: false,
        help: "",
        text: "",
        options: [],
        min: 1,
        max: 10,
        permission: "",
        profile: "",
        cond: null,
        errors: {},
        auto: true,
      };
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-builder-action]");
      if (!button || !form.contains(button)) return;
      var action = button.getAttribute("data-builder-action");
      var s = parseInt(button.getAttribute("data-s"), 10);
      var f = parseInt(button.getAttribute("data-f"), 10);
      var focus = null;
      if (action === "add-section") {
        var section = {
          key: uniqueKey("section", sections, null),
          title: "",
          cond: null,
          errors: {},
          auto: true,
          fields: [],
        };
        sections.push(section);
        section.fields.push(newField());
        focus = "#b-" + (sections.length - 1) + "-title";
      } else if (action === "add-field") {
        sections[s].fields.push(newField());
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
      } else if (action.indexOf("cond-") === 0) {
        var found = ownerOf(button);
        if (!found) return;
        var owner = found.owner;
        var path = button.getAttribute("data-path") || "";
        var ownerId = "#b-" + found.s + (found.f === undefined ? "" : "-" + found.f);
        delete owner.errors.show_if;
        if (action === "cond-add") {
          owner.cond = { mode: "all", items: [newLeaf(found.s, found.f)] };
          focus = ownerId + "-c0-field";
        } else if (action === "cond-clear") {
          owner.cond = null;
          focus =
            '[data-builder-action="cond-add"][data-s="' +
            found.s +
            '"]' +
            (found.f === undefined ? ":not([data-f])" : '[data-f="' + found.f + '"]');
        } else if (action === "cond-add-test" || action === "cond-add-group") {
          var group = condAt(owner, path).node;
          if (!group || !group.items) return;
          var leaf = newLeaf(found.s, found.f);
          group.items.push(action === "cond-add-test" ? leaf : { mode: "any", items: [leaf] });
          var newPath = (path === "" ? "" : path + ".") + (group.items.length - 1);
          focus =
            ownerId + "-c" + (action === "cond-add-test" ? newPath : newPath + ".0").replace(/\./g, "-") + "-field";
        } else if (action === "cond-remove") {
          var at = condAt(owner, path);
          if (!at.parent) return;
          at.parent.items.splice(at.index, 1);
          if (!owner.cond.items.length) owner.cond = null;
          focus = ownerId + (found.f === undefined ? "-title" : "-label");
        } else {
          return;
        }
      } else {
        return;
      }
      event.preventDefault();
      dirty = true;
      drawEditor(focus);
    });

    // Redraw the conditions that test `field` (their answer pickers list its options); the
    // field being edited keeps its inputs and focus.
    function redrawConditionsOn(field) {
      sections.forEach(function (section, s) {
        var owners = [{ owner: section, ctx: { s: s, id: "b-" + s } }].concat(
          section.fields.map(function (f, i) {
            return { owner: f, ctx: { s: s, f: i, id: "b-" + s + "-" + i } };
          }),
        );
        owners.forEach(function (entry) {
          var uses = false;
          eachLeaf(entry.owner.cond, function (leaf) {
            if (leaf.field === field.key) uses = true;
          });
          var box = uses && editor.querySelector('[data-condition-of="' + entry.ctx.id + '"]');
          if (box) box.replaceWith(conditionEditor(entry.owner, entry.ctx, entry.owner.errors.show_if));
        });
      });
    }

    function renameKey(from, to) {
      allOwners().forEach(function (owner) {
        eachLeaf(owner.cond, function (leaf) {
          if (leaf.field === from) leaf.field = to;
        });
      });
    }

    function clearError(owner, name, node) {
      if (!owner.errors[name]) return;
      delete owner.errors[name];
      var shown = form.querySelector('[data-error-for="' + node.id + '"]');
      if (shown) shown.remove();
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    }

    function onCondition(node, redraw) {
      var found = ownerOf(node);
      if (!found || !found.owner.cond) return;
      var what = node.getAttribute("data-cond");
      var at = condAt(found.owner, node.getAttribute("data-path") || "");
      var item = at.node;
      if (!item) return;
      if (what === "mode") {
        item.mode = node.value;
      } else if (what === "field") {
        item.field = node.value;
        var target = fieldByKey(item.field);
        var ops = opsFor(target ? target.type : "short_text");
        if (ops.indexOf(item.op) === -1) item.op = defaultOp(target ? target.type : "short_text");
        item.value = defaultValue(target, item.op);
        if (redraw) drawEditor("#" + node.id);
        else changed();
        return;
      } else if (what === "op") {
        var before = item.op;
        item.op = node.value;
        if (item.op === "in" && !Array.isArray(item.value))
          item.value =
            item.value === "" || item.value === null ? defaultValue(fieldByKey(item.field), "in") : [item.value];
        else if (item.op !== "in" && Array.isArray(item.value)) item.value = item.value[0] || "";
        else if (item.op !== "answered" && (item.value === null || item.value === undefined))
          item.value = defaultValue(fieldByKey(item.field), item.op);
        if (redraw && before !== item.op) {
          drawEditor("#" + node.id);
          return;
        }
      } else if (what === "value") {
        item.value = node.value;
      } else if (what === "value-list") {
        item.value = node.value
          .split(",")
          .map(function (v) {
            return v.trim();
          })
          .filter(Boolean);
      } else if (what === "value-in") {
        var list = Array.isArray(item.value) ? item.value.slice() : [];
        var i = list.indexOf(node.value);
        if (node.checked && i === -1) list.push(node.value);
        if (!node.checked && i !== -1) list.splice(i, 1);
        item.value = list;
      }
      changed();
    }

    function bound(event) {
      var node = event.target;
      if (!node.getAttribute) return;
      // Choices are taken once, on "change" (browsers send "input" for them too).
      if (event.type === "input" && (node.tagName === "SELECT" || node.type === "checkbox" || node.type === "radio"))
        return;
      if (node.getAttribute("data-cond")) {
        onCondition(node, true);
        return;
      }
      var bind = node.getAttribute("data-bind");
      if (!bind) {
        // The details above the editor (the name also titles the preview).
        if (node.form === form && node.name) {
          dirty = true;
          sync();
        }
        return;
      }
      var s = parseInt(node.getAttribute("data-s"), 10);
      var section = sections[s];
      if (!section) return;
      if (bind === "title") {
        section.title = node.value;
        clearError(section, "title", node);
        // New sections take their key from the title; saved keys stay.
        if (section.auto) {
          section.key = uniqueKey(slug(node.value, "section"), sections, section);
          var shownKey = editor.querySelector('[data-key-of="b-' + s + '"]');
          if (shownKey) shownKey.textContent = section.key;
        }
        changed();
        return;
      }
      var f = parseInt(node.getAttribute("data-f"), 10);
      var field = section.fields[f];
      if (!field) return;
      clearError(field, bind, node);
      if (bind === "label") {
        field.label = node.value;
        // New fields take their key from the label; saved keys stay (answers live under them).
        var old = field.key;
        if (field.auto) {
          field.key = uniqueKey(slug(node.value, "question"), allFields(), field);
          if (old !== field.key) renameKey(old, field.key);
          var shown = editor.querySelector('[data-key-of="b-' + s + "-" + f + '"]');
          if (shown) shown.textContent = field.key;
        }
        // The conditions' question pickers name this field by its label (and its key).
        Array.prototype.forEach.call(editor.querySelectorAll('select[data-cond="field"] option'), function (option) {
          if (option.value !== old) return;
          option.value = field.key;
          option.textContent = field.label || field.key;
        });
      } else if (bind === "required") {
        field.required = node.checked;
      } else if (bind === "options") {
        field.options = node.value
          .split("\n")
          .map(function (o) {
            return o.trim();
          })
          .filter(Boolean);
        redrawConditionsOn(field);
      } else if (bind === "type") {
        field.type = node.value;
        if (CHOICE[field.type] && !field.options.length) field.options = [];
        dirty = true;
        drawEditor("#" + node.id);
        return;
      } else {
        field[bind] = node.value;
      }
      changed();
    }

    form.addEventListener("input", bound);
    form.addEventListener("change", bound);
    form.addEventListener("submit", function () {
      input.value = JSON.stringify(definition());
      dirty = false;
    });
    var sandbox = document.getElementById("preview-sandbox");
    if (sandbox) {
      sandbox.addEventListener("submit", function (event) {
        event.preventDefault();
      });
    }
    drawEditor(null);
    var errors = document.querySelector("[data-builder-errors]");
    if (errors) errors.focus();
  }

  // Requirement rows: show the pickers a rule needs, add and remove rows. ----------------

  function initRules(form) {
    var list = form.querySelector("[data-rule-list]");
    var template = form.querySelector("[data-rule-template]");
    var counter = 0;

    function refresh(row) {
      var kind = row.querySelector("[data-rule-kind]").value;
      row.querySelector("[data-rule-service]").classList.toggle("hidden", kind !== "service" && kind !== "both");
      row.querySelector("[data-rule-provider]").classList.toggle("hidden", kind !== "provider" && kind !== "both");
      row.querySelector("[data-rule-remove]").classList.remove("hidden");
    }

    Array.prototype.forEach.call(form.querySelectorAll("[data-rule-row]"), refresh);
    var add = form.querySelector("[data-rule-add]");
    if (add) add.classList.remove("hidden");

    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-rule-kind]")) refresh(event.target.closest("[data-rule-row]"));
    });
    form.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-rule-remove]");
      if (remove) {
        var row = remove.closest("[data-rule-row]");
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        (next ? next.querySelector("[data-rule-kind]") : add).focus();
        return;
      }
      if (event.target.closest("[data-rule-add]") && template) {
        counter += 1;
        var fresh = template.content.firstElementChild.cloneNode(true);
        Array.prototype.forEach.call(fresh.querySelectorAll("[id], [for]"), function (node) {
          ["id", "for"].forEach(function (name) {
            var value = node.getAttribute(name);
            if (value) node.setAttribute(name, value.replace("__n__", "added" + counter));
          });
        });
        list.appendChild(fresh);
        refresh(fresh);
        fresh.querySelector("[data-rule-kind]").focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-form-builder]"), init);
    Array.prototype.forEach.call(document.querySelectorAll("[data-requirements]"), initRules);
    var only = document.querySelector("[data-form-preview]");
    var published = readJSON("preview-definition");
    if (only && published) {
      new Preview(only, null).draw(published, only.getAttribute("data-title") || "");
    }
  });
})();
